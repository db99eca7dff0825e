/** Adam and AdamW (torch.optim.Adam, torch.optim.AdamW), with amsgrad and maximize. */
import { keep, maximum, zerosLike, type Tensor } from '@tensile/core';
import { Optimizer, type ParamGroup, type Params, type ParamState } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Coefficients of the running averages of the gradient and its square (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  weightDecay: number;
  /** Use the maximum of past squared-gradient averages (AMSGrad). */
  amsgrad: boolean;
  maximize: boolean;
}

function checkAdam(name: string, o: AdamOptions): void {
  if (!(o.lr >= 0)) throw new RangeError(`${name}: invalid learning rate: ${o.lr}`);
  if (!(o.eps >= 0)) throw new RangeError(`${name}: invalid epsilon value: ${o.eps}`);
  if (!(o.betas[0] >= 0 && o.betas[0] < 1)) throw new RangeError(`${name}: invalid beta parameter at index 0: ${o.betas[0]}`);
  if (!(o.betas[1] >= 0 && o.betas[1] < 1)) throw new RangeError(`${name}: invalid beta parameter at index 1: ${o.betas[1]}`);
  if (!(o.weightDecay >= 0)) throw new RangeError(`${name}: invalid weightDecay value: ${o.weightDecay}`);
}

/** The Adam update shared by Adam and AdamW (decoupled = AdamW's weight decay). */
function adamUpdate(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup & AdamOptions, decoupled: boolean): void {
  let gr = g.maximize ? grad.neg() : grad;
  st.step = (st.step as number) + 1;
  const step = st.step;
  if (g.weightDecay !== 0) {
    if (decoupled) p.mul_(1 - g.lr * g.weightDecay);
    else gr = gr.add(p, { alpha: g.weightDecay });
  }
  const [beta1, beta2] = g.betas;
  const expAvg = st.expAvg as Tensor, expAvgSq = st.expAvgSq as Tensor;
  expAvg.mul_(beta1).add_(gr, { alpha: 1 - beta1 });
  expAvgSq.mul_(beta2).addcmul_(gr, gr, { value: 1 - beta2 });
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
  const stepSize = g.lr / biasCorrection1;
  let second = expAvgSq;
  if (g.amsgrad) {
    const m = st.maxExpAvgSq as Tensor;
    m.copy_(maximum(m, expAvgSq));
    second = m;
  }
  const denom = second.sqrt().div_(biasCorrection2Sqrt).add_(g.eps);
  p.addcdiv_(expAvg, denom, { value: -stepSize });
}

function adamState(p: Tensor, g: AdamOptions): ParamState {
  const st: ParamState = { step: 0, expAvg: keep(zerosLike(p)), expAvgSq: keep(zerosLike(p)) };
  if (g.amsgrad) st.maxExpAvgSq = keep(zerosLike(p));
  return st;
}

/** Adam: adaptive moment estimation, weight decay as an L2 term on the gradient. */
export class Adam extends Optimizer<AdamOptions> {
  protected readonly fusedName: string = 'fusedAdam';

  constructor(params: Params<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    const o: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...opts };
    o.betas = [...o.betas];
    checkAdam('Adam', o);
    super(params, o);
  }
  protected _initState(p: Tensor, g: ParamGroup & AdamOptions): ParamState {
    return adamState(p, g);
  }
  protected _update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup & AdamOptions): void {
    adamUpdate(p, grad, st, g, false);
  }
}

/** AdamW: Adam with decoupled weight decay (param *= 1 - lr * weightDecay before the Adam step). */
export class AdamW extends Optimizer<AdamOptions> {
  protected readonly fusedName: string = 'fusedAdamW';

  constructor(params: Params<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    const o: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...opts };
    o.betas = [...o.betas];
    checkAdam('AdamW', o);
    super(params, o);
  }
  protected _initState(p: Tensor, g: ParamGroup & AdamOptions): ParamState {
    return adamState(p, g);
  }
  protected _update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup & AdamOptions): void {
    adamUpdate(p, grad, st, g, true);
  }
}
