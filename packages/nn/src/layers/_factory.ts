/** Shared helpers of the layer files: factory options (device, dtype) and parameter creation. */
import { zeros, type DType, type Tensor } from '@tensile/core';
import { Parameter } from '../module.js';

/** PyTorch's factory keyword arguments: where and in which dtype a layer creates its tensors. */
export interface FactoryOptions {
  device?: string;
  dtype?: DType;
}

/** An uninitialised (zero) parameter of `shape`, ready for an in-place initialiser. */
export function newParam(shape: readonly number[], f: FactoryOptions): Parameter {
  return new Parameter(zeros(shape, { device: f.device, dtype: f.dtype }));
}

/** A zero tensor for a buffer. */
export function newBuffer(shape: readonly number[], f: FactoryOptions, fill = 0): Tensor {
  const t = zeros(shape, { device: f.device, dtype: f.dtype });
  if (fill !== 0) t.fill_(fill);
  return t;
}

/** Normalise int | int[] to an n-tuple (torch's _pair / _single). */
export function ntuple(op: string, name: string, v: number | readonly number[], n: number): number[] {
  const out = typeof v === 'number' ? Array<number>(n).fill(v) : [...v];
  if (out.length !== n || out.some((x) => !Number.isInteger(x))) {
    throw new RangeError(`${op}: expected ${name} to be an integer or a list of ${n} integers, got ${JSON.stringify(v)}`);
  }
  return out;
}

/** Check a positive integer size argument. */
export function checkSize(op: string, name: string, v: number, allowZero = false): void {
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new RangeError(`${op}: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${String(v)}`);
  }
}
