/** SGD with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD). */
import { clone, keep, type Tensor } from '@tensile/core';
import { Optimizer, type ParamGroup, type Params, type ParamState } from './optimizer.js';

export interface SGDOptions {
  /** Learning rate (default 1e-3, as PyTorch 2). */
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize: boolean;
}

/**
 * Stochastic gradient descent: with momentum, buf = momentum * buf + (1 - dampening) * g (buf = g
 * at the first step), and the step uses buf, or g + momentum * buf with Nesterov.
 */
export class SGD extends Optimizer<SGDOptions> {
  protected readonly fusedName = 'fusedSgd';

  constructor(params: Params<SGDOptions>, opts: Partial<SGDOptions> = {}) {
    const o: SGDOptions = { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...opts };
    if (!(o.lr >= 0)) throw new RangeError(`SGD: invalid learning rate: ${o.lr}`);
    if (!(o.momentum >= 0)) throw new RangeError(`SGD: invalid momentum value: ${o.momentum}`);
    if (!(o.weightDecay >= 0)) throw new RangeError(`SGD: invalid weightDecay value: ${o.weightDecay}`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new RangeError('SGD: Nesterov momentum requires a momentum and zero dampening');
    super(params, o);
  }

  protected _initState(): ParamState {
    return {};
  }
  protected _stepKeys(): string[] {
    return [];
  }

  protected _update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup & SGDOptions): void {
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = d.add(p, { alpha: g.weightDecay });
    if (g.momentum !== 0) {
      let buf = st.momentumBuffer as Tensor | undefined;
      if (!buf) {
        buf = keep(clone(d));
        st.momentumBuffer = buf;
      } else {
        buf.mul_(g.momentum).add_(d, { alpha: 1 - g.dampening });
      }
      d = g.nesterov ? d.add(buf, { alpha: g.momentum }) : buf;
    }
    p.add_(d, { alpha: -g.lr });
  }

  /** A fused kernel needs the momentum buffer to exist; the composite path creates it at step 1. */
  protected _runFused(group: ParamGroup & SGDOptions, ps: Tensor[]): boolean {
    if (group.momentum !== 0 && ps.some((p) => !this.state.get(p)!.momentumBuffer)) return false;
    return super._runFused(group, ps);
  }
}
