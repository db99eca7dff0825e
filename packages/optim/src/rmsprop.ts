/** RMSprop with momentum and the centered variant (torch.optim.RMSprop). */
import { keep, zerosLike, type Tensor } from '@tensile/core';
import { Optimizer, type ParamGroup, type Params, type ParamState } from './optimizer.js';

export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment. */
  centered: boolean;
  maximize: boolean;
}

/** RMSprop: divide the gradient by a running root-mean-square of recent gradients. */
export class RMSprop extends Optimizer<RMSpropOptions> {
  protected readonly fusedName = 'fusedRmsprop';

  constructor(params: Params<RMSpropOptions>, opts: Partial<RMSpropOptions> = {}) {
    const o: RMSpropOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...opts };
    if (!(o.lr >= 0)) throw new RangeError(`RMSprop: invalid learning rate: ${o.lr}`);
    if (!(o.eps >= 0)) throw new RangeError(`RMSprop: invalid epsilon value: ${o.eps}`);
    if (!(o.momentum >= 0)) throw new RangeError(`RMSprop: invalid momentum value: ${o.momentum}`);
    if (!(o.weightDecay >= 0)) throw new RangeError(`RMSprop: invalid weightDecay value: ${o.weightDecay}`);
    if (!(o.alpha >= 0)) throw new RangeError(`RMSprop: invalid alpha value: ${o.alpha}`);
    super(params, o);
  }

  protected _initState(p: Tensor, g: ParamGroup & RMSpropOptions): ParamState {
    const st: ParamState = { step: 0, squareAvg: keep(zerosLike(p)) };
    if (g.momentum > 0) st.momentumBuffer = keep(zerosLike(p));
    if (g.centered) st.gradAvg = keep(zerosLike(p));
    return st;
  }

  protected _update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup & RMSpropOptions): void {
    let gr = g.maximize ? grad.neg() : grad;
    st.step = (st.step as number) + 1;
    if (g.weightDecay !== 0) gr = gr.add(p, { alpha: g.weightDecay });
    const squareAvg = st.squareAvg as Tensor;
    squareAvg.mul_(g.alpha).addcmul_(gr, gr, { value: 1 - g.alpha });
    let avg: Tensor;
    if (g.centered) {
      const gradAvg = st.gradAvg as Tensor;
      gradAvg.mul_(g.alpha).add_(gr, { alpha: 1 - g.alpha });
      avg = squareAvg.clone().addcmul_(gradAvg, gradAvg, { value: -1 }).sqrt_();
    } else {
      avg = squareAvg.sqrt();
    }
    avg.add_(g.eps);
    if (g.momentum > 0) {
      const buf = st.momentumBuffer as Tensor;
      buf.mul_(g.momentum).addcdiv_(gr, avg);
      p.add_(buf, { alpha: -g.lr });
    } else {
      p.addcdiv_(gr, avg, { value: -g.lr });
    }
  }
}
