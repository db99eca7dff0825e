/** Adagrad (torch.optim.Adagrad). */
import { fullLike, keep, type Tensor } from '@tensile/core';
import { Optimizer, type ParamGroup, type Params, type ParamState } from './optimizer.js';

export interface AdagradOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** The lr at step t is lr / (1 + (t - 1) * lrDecay). */
  lrDecay: number;
  weightDecay: number;
  /** Starting value of the sum of squared gradients. */
  initialAccumulatorValue: number;
  /** Added to the denominator (default 1e-10). */
  eps: number;
  maximize: boolean;
}

/** Adagrad: per-element learning rates from the running sum of squared gradients. */
export class Adagrad extends Optimizer<AdagradOptions> {
  protected readonly fusedName = 'fusedAdagrad';

  constructor(params: Params<AdagradOptions>, opts: Partial<AdagradOptions> = {}) {
    const o: AdagradOptions = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...opts };
    if (!(o.lr >= 0)) throw new RangeError(`Adagrad: invalid learning rate: ${o.lr}`);
    if (!(o.lrDecay >= 0)) throw new RangeError(`Adagrad: invalid lrDecay value: ${o.lrDecay}`);
    if (!(o.weightDecay >= 0)) throw new RangeError(`Adagrad: invalid weightDecay value: ${o.weightDecay}`);
    if (!(o.initialAccumulatorValue >= 0)) throw new RangeError(`Adagrad: invalid initialAccumulatorValue value: ${o.initialAccumulatorValue}`);
    if (!(o.eps >= 0)) throw new RangeError(`Adagrad: invalid epsilon value: ${o.eps}`);
    super(params, o);
  }

  protected _initState(p: Tensor, g: ParamGroup & AdagradOptions): ParamState {
    return { step: 0, sum: keep(fullLike(p, g.initialAccumulatorValue)) };
  }

  protected _update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup & AdagradOptions): void {
    let gr = g.maximize ? grad.neg() : grad;
    st.step = (st.step as number) + 1;
    if (g.weightDecay !== 0) gr = gr.add(p, { alpha: g.weightDecay });
    const clr = g.lr / (1 + (st.step - 1) * g.lrDecay);
    const sum = st.sum as Tensor;
    sum.addcmul_(gr, gr, { value: 1 });
    const std = sum.sqrt().add_(g.eps);
    p.addcdiv_(gr, std, { value: -clr });
  }
}
