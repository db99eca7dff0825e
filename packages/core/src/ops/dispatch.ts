/** Plumbing shared by all ops: device checks, output allocation, scalars, views. */
import type { Backend } from '../backend.js';
import { getDefaultDtype, isFloating, resultType, scalarDType, type DType, type PromotionOperand } from '../dtype.js';
import { allocStorage } from '../memory.js';
import { getBackend, getDefaultDevice } from '../registry.js';
import { contiguousStrides, numelOf } from '../shape.js';
import { Tensor, type TensorTracking } from '../tensor.js';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;

/** Throws unless every tensor lives on one device; returns that device's backend. */
export function backendOf(op: string, ...ts: (Tensor | null | undefined)[]): Backend {
  let first: Tensor | undefined;
  for (const t of ts) {
    if (!t) continue;
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${describe(t)}`);
    t._assertAlive(op);
    if (!first) first = t;
    else if (t.device !== first.device) {
      throw new Error(`${op}: expected all tensors to be on the same device, but found tensors on ${first.device} and ${t.device}`);
    }
  }
  return first ? first.storage.backend : getBackend(getDefaultDevice());
}

export function describe(v: unknown): string {
  if (v instanceof Tensor) return `Tensor(shape=[${v.shape.join(', ')}], dtype=${v.dtype})`;
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : typeof v;
}

/** A fresh contiguous tensor (uninitialised contents). */
export function empty(backend: Backend, dtype: DType, shape: readonly number[]): Tensor {
  return emptyOwned(backend, dtype, [...shape]);
}

/** empty() taking ownership of `shape` (a fresh array nobody else holds). */
export function emptyOwned(backend: Backend, dtype: DType, shape: number[], tracking: TensorTracking = false): Tensor {
  const numel = numelOf(shape);
  checkDeviceDtype(backend, dtype, 'empty');
  return new Tensor(allocStorage(backend, dtype, numel), shape, contiguousStrides(shape), 0, tracking);
}

export function checkDeviceDtype(backend: Backend, dtype: DType, op: string): void {
  const caps = backend.capabilities;
  if (!caps.dtypes.includes(dtype) && !(caps.storageOnly?.includes(dtype) ?? false)) {
    throw new TypeError(`${op}: device '${backend.name}' does not support dtype ${dtype} (supported: ${caps.dtypes.join(', ')})`);
  }
}

/**
 * A 0-d tensor holding a JS scalar. `tracking` 'temp': an op's temporary, which the op must
 * dispose itself (in a finally); it skips tidy scopes and finalization.
 */
export function scalarTensor(value: Scalar, dtype: DType, backend: Backend, tracking: TensorTracking = false): Tensor {
  const t = emptyOwned(backend, dtype, [], tracking);
  backend.fill(t.storage.buf, dtype, 1, typeof value === 'boolean' ? Number(value) : value);
  return t;
}

export function promotionOperand(x: TensorOrScalar): PromotionOperand {
  if (x instanceof Tensor) return { dtype: x.dtype, kind: x.ndim === 0 ? 'zerodim' : 'dim' };
  return { dtype: scalarDType(x), kind: 'scalar' };
}

/** torch.result_type over tensors and scalars. */
export function resultTypeOf(...xs: TensorOrScalar[]): DType {
  if (xs.length === 2) return resultTypeOf2(xs[0]!, xs[1]!);
  return resultType(xs.map(promotionOperand));
}

/** resultTypeOf(a, b), with allocation-free answers for the common cases. */
export function resultTypeOf2(a: TensorOrScalar, b: TensorOrScalar): DType {
  if (a instanceof Tensor) {
    const da = a.dtype;
    if (b instanceof Tensor) {
      if (b.dtype === da) return da;
    } else if (sameCategoryScalar(da, b)) return da;
  } else if (b instanceof Tensor && sameCategoryScalar(b.dtype, a)) return b.dtype;
  return resultType([promotionOperand(a), promotionOperand(b)]);
}

// A JS scalar that never changes a tensor's dtype: any number or bool with a floating tensor,
// an integer number with an integer (not bool) tensor, a bool with any tensor.
function sameCategoryScalar(d: DType, s: TensorOrScalar): boolean {
  if (typeof s === 'boolean') return true;
  if (typeof s !== 'number') return false;
  if (isFloating(d)) return true;
  return d !== 'bool' && Number.isInteger(s);
}

/** The floating dtype an op computes in for this input (ints and bools go to the default float). */
export function floatDtypeOf(dtype: DType): DType {
  return isFloating(dtype) ? dtype : getDefaultDtype();
}

/** A view sharing storage (metadata only, no copy). */
export function makeView(t: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  t._assertAlive('view');
  const v = new Tensor(t.storage, [...shape], [...strides], offset);
  v._base = t._base ?? t;
  return v;
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
