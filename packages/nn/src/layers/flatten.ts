/** Flatten and Unflatten layers (torch.nn.Flatten, torch.nn.Unflatten). */
import { flatten, type Tensor } from '@tensile/core';
import { Module } from '../module.js';

/** torch.nn.Flatten: flatten dims startDim..endDim (default 1..-1, keeping the batch dim). */
export class Flatten extends Module<[Tensor], Tensor> {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** torch.nn.Unflatten: expand dim `dim` into `unflattenedSize` (one entry may be -1). */
export class Unflatten extends Module<[Tensor], Tensor> {
  readonly unflattenedSize: number[];
  constructor(readonly dim: number, unflattenedSize: readonly number[]) {
    super();
    if (!Array.isArray(unflattenedSize) || unflattenedSize.some((s) => !Number.isInteger(s))) {
      throw new TypeError(`Unflatten: unflattenedSize must be a list of integers, got ${JSON.stringify(unflattenedSize)}`);
    }
    this.unflattenedSize = [...unflattenedSize];
  }
  forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.ndim : this.dim;
    if (d < 0 || d >= x.ndim) throw new RangeError(`Unflatten: dim ${this.dim} is out of range for input of shape [${x.shape.join(', ')}]`);
    return x.reshape([...x.shape.slice(0, d), ...this.unflattenedSize, ...x.shape.slice(d + 1)]);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattenedSize=[${this.unflattenedSize.join(', ')}]`;
  }
}
