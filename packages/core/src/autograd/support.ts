/** Small tensor factories the engine needs (kept apart to avoid import cycles). */
import type { DType } from '../dtype.js';
import { full } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';

export function zerosOf(meta: { shape: number[]; dtype: string; device: string }): Tensor {
  return full(meta.shape, 0, { dtype: meta.dtype as DType, device: meta.device });
}

export function onesOf(t: Tensor): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, device: t.device });
}
