/** Dropout layers (torch.nn.Dropout and friends); active only in training mode. */
import { dropout, type Tensor } from '@tensile/core';
import { Module } from '../module.js';

export interface DropoutOptions {
  /** Accepted for PyTorch compatibility; the output is always a new tensor. */
  inplace?: boolean;
}

/** torch.nn.Dropout: zero each element with probability p in training, scale the rest by 1/(1-p). */
export class Dropout extends Module<[Tensor], Tensor> {
  readonly p: number;
  readonly inplace: boolean;
  constructor(p = 0.5, opts: DropoutOptions = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`Dropout: dropout probability has to be between 0 and 1, but got ${p}`);
    this.p = p;
    this.inplace = opts.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}, inplace=${this.inplace}`;
  }
}
