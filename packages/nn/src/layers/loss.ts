/** Loss modules wrapping core's functional losses (torch.nn.MSELoss, CrossEntropyLoss, ...). */
import {
  binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, klDiv, l1Loss, mseLoss, nllLoss, smoothL1Loss,
  type Reduction, type Tensor,
} from '@tensile/core';
import { huberLoss } from '../functional-extra.js';
import { Module } from '../module.js';

export type { Reduction };

/** Base of the losses: holds `reduction` ('mean' default, 'sum', 'none'). */
export abstract class Loss extends Module<[Tensor, Tensor], Tensor> {
  readonly reduction: Reduction;
  constructor(opts: { reduction?: Reduction } = {}) {
    super();
    const r = opts.reduction ?? 'mean';
    if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new RangeError(`${this.constructor.name}: ${JSON.stringify(r)} is not a valid value for reduction (mean, sum, none)`);
    this.reduction = r;
  }
  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/** A loss with an optional per-class `weight` registered as a buffer (torch's _WeightedLoss). */
export abstract class WeightedLoss extends Loss {
  declare weight: Tensor | null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
  }
}

/** torch.nn.MSELoss: mean squared error. */
export class MSELoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}
/** torch.nn.L1Loss: mean absolute error. */
export class L1Loss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}
/** torch.nn.SmoothL1Loss({ beta = 1 }): quadratic below beta, linear above. */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(opts: { reduction?: Reduction; beta?: number } = {}) {
    super(opts);
    this.beta = opts.beta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}
/** torch.nn.HuberLoss({ delta = 1 }). */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(opts: { reduction?: Reduction; delta?: number } = {}) {
    super(opts);
    this.delta = opts.delta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

export interface CrossEntropyLossOptions {
  weight?: Tensor | null;
  /** Default -100. */
  ignoreIndex?: number;
  reduction?: Reduction;
  /** Default 0. */
  labelSmoothing?: number;
}

/** torch.nn.CrossEntropyLoss: logits [N, C, ...] against class indices [N, ...] or class probabilities. */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: CrossEntropyLossOptions = {}) {
    super(opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

/** torch.nn.NLLLoss: negative log-likelihood of log-probabilities [N, C, ...]. */
export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  constructor(opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) {
    super(opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** torch.nn.BCELoss: binary cross-entropy of probabilities. */
export class BCELoss extends WeightedLoss {
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** torch.nn.BCEWithLogitsLoss: sigmoid + binary cross-entropy, numerically stable; optional posWeight. */
export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare posWeight: Tensor | null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
    this.registerBuffer('pos_weight', opts.posWeight ?? null, { property: 'posWeight' });
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}

/** torch.nn.KLDivLoss: input log-probabilities; reduction also 'batchmean'; logTarget. */
export class KLDivLoss extends Module<[Tensor, Tensor], Tensor> {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.logTarget = opts.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
