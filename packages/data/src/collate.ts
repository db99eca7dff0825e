/**
 * Collation: turning a list of samples into a batch (torch.utils.data.default_collate).
 */
import { getDefaultDtype, stack, Tensor, tensor, type DType, type TypedArray } from '@tensile/core';

/** The batch type `defaultCollate` makes from samples of type T. */
export type Collated<T> =
  T extends Tensor ? Tensor
  : T extends number | boolean | bigint ? Tensor
  : T extends string ? string[]
  : T extends ArrayBufferView ? Tensor
  : T extends null | undefined ? T[]
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Collated<T[K]> }
  : T extends object ? { [K in keyof T]: Collated<T[K]> }
  : unknown;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function typedDtype(a: ArrayBufferView): DType {
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array || a instanceof Int16Array || a instanceof Int8Array || a instanceof Uint16Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  throw new TypeError(`defaultCollate: unsupported typed array ${a.constructor.name}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return `Tensor${JSON.stringify(v.shape)}`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/**
 * torch.utils.data.default_collate: tensors are stacked along a new dim 0 (so they must share shape,
 * dtype and device); numbers become a 1-D tensor (int64 when every value is an integer, else the
 * default float dtype: JS cannot tell 1 from 1.0, so give float targets as tensors or typed arrays,
 * or use a custom collateFn, when integer-valued floats must stay floats); booleans a bool tensor;
 * bigints int64; typed arrays a stacked tensor of their dtype ([batch, length]); strings stay an
 * array; arrays/tuples and plain objects are collated element- or key-wise, recursively.
 * The result is made of fresh tensors; the samples are left untouched.
 */
export function defaultCollate<T>(batch: readonly T[]): Collated<T> {
  if (batch.length === 0) throw new RangeError('defaultCollate: got an empty batch');
  const first = batch[0] as unknown;
  const mixed = (k: number) =>
    new TypeError(`defaultCollate: every sample in a batch must have the same structure; sample 0 is ${describe(first)} but sample ${k} is ${describe(batch[k])}`);
  if (first instanceof Tensor) {
    batch.forEach((b, k) => {
      if (!(b instanceof Tensor)) throw mixed(k);
    });
    return stack(batch as readonly Tensor[], 0) as Collated<T>;
  }
  if (typeof first === 'number') {
    const vals = batch.map((b, k) => {
      if (typeof b !== 'number') throw mixed(k);
      return b;
    });
    return tensor(vals, { dtype: vals.every(Number.isInteger) ? 'int64' : getDefaultDtype() }) as Collated<T>;
  }
  if (typeof first === 'boolean') {
    batch.forEach((b, k) => {
      if (typeof b !== 'boolean') throw mixed(k);
    });
    return tensor([...batch] as unknown as boolean[], { dtype: 'bool' }) as Collated<T>;
  }
  if (typeof first === 'bigint') {
    const vals = BigInt64Array.from(batch.map((b, k) => {
      if (typeof b !== 'bigint') throw mixed(k);
      return b;
    }));
    return tensor(vals, { dtype: 'int64' }) as Collated<T>;
  }
  if (typeof first === 'string') {
    batch.forEach((b, k) => {
      if (typeof b !== 'string') throw mixed(k);
    });
    return [...batch] as Collated<T>;
  }
  if (first === null || first === undefined) return [...batch] as Collated<T>;
  if (ArrayBuffer.isView(first) && !(first instanceof DataView)) {
    const dtype = typedDtype(first);
    const len = (first as unknown as ArrayLike<number>).length;
    const Ctor = dtype === 'float64' ? Float64Array : dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : dtype === 'int64' ? BigInt64Array : Uint8Array;
    const out = new Ctor(len * batch.length);
    batch.forEach((b, k) => {
      if (!ArrayBuffer.isView(b) || (b as unknown as ArrayLike<number>).length !== len || typedDtype(b) !== dtype) {
        throw new TypeError(`defaultCollate: typed arrays in a batch must share type and length; sample 0 is ${first.constructor.name}(${len}) but sample ${k} is ${describe(b)}(${(b as unknown as ArrayLike<number>)?.length})`);
      }
      (out as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(b as unknown as ArrayLike<unknown>, k * len);
    });
    return tensor(out as TypedArray, { dtype, shape: [batch.length, len] }) as Collated<T>;
  }
  if (Array.isArray(first)) {
    const len = first.length;
    batch.forEach((b, k) => {
      if (!Array.isArray(b)) throw mixed(k);
      if (b.length !== len) throw new RangeError(`defaultCollate: each element in list of batch should be of equal size; sample 0 has ${len} elements but sample ${k} has ${b.length}`);
    });
    return collateParts(first.map((_, j) => () => defaultCollate((batch as unknown as unknown[][]).map((b) => b[j])))) as Collated<T>;
  }
  if (isPlainObject(first)) {
    const keys = Object.keys(first);
    batch.forEach((b, k) => {
      if (!isPlainObject(b)) throw mixed(k);
      for (const key of keys) if (!(key in b)) throw new TypeError(`defaultCollate: sample ${k} has no key '${key}' (sample 0 has keys ${keys.join(', ')})`);
    });
    const parts = collateParts(keys.map((key) => () => defaultCollate((batch as unknown as Record<string, unknown>[]).map((b) => b[key]))));
    return Object.fromEntries(keys.map((key, j) => [key, parts[j]])) as Collated<T>;
  }
  throw new TypeError(`defaultCollate: batch must contain tensors, numbers, booleans, bigints, strings, typed arrays, arrays or plain objects; found ${describe(first)}`);
}

/** Collate each part; if one fails, free the tensors the earlier parts made. */
function collateParts(parts: (() => unknown)[]): unknown[] {
  const done: unknown[] = [];
  try {
    for (const p of parts) done.push(p());
    return done;
  } catch (e) {
    disposeTensors(done);
    throw e;
  }
}

/** Call fn on every tensor inside v (arrays, plain objects, Maps; depth-limited). */
export function forEachTensor(v: unknown, fn: (t: Tensor) => void, depth = 0): void {
  if (depth > 16 || v === null || typeof v !== 'object') return;
  if (v instanceof Tensor) fn(v);
  else if (Array.isArray(v)) for (const x of v) forEachTensor(x, fn, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) forEachTensor(x, fn, depth + 1);
  else if (isPlainObject(v)) for (const x of Object.values(v)) forEachTensor(x, fn, depth + 1);
}

/** Dispose every tensor inside v (a batch, a sample) except those in `except`. */
export function disposeTensors(v: unknown, except?: ReadonlySet<Tensor>): void {
  forEachTensor(v, (t) => {
    if (!except?.has(t)) t.dispose();
  });
}
