/** Tensor creation: tensor, zeros, ones, full, arange, linspace, eye, rand, randn, randint, *Like. */
import { checkDType, getDefaultDtype, isFloating, type DType, type TypedArray } from '../dtype.js';
import { defaultGenerator, type Generator } from '../random.js';
import { getBackend, getDefaultDevice } from '../registry.js';
import { checkShape, fmtShape, numelOf } from '../shape.js';
import { Tensor, type NestedArray } from '../tensor.js';
import { empty } from './dispatch.js';

export interface TensorOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

function backendFor(opts: TensorOptions | undefined) {
  return getBackend(opts?.device ?? getDefaultDevice());
}

function finishOpts<T extends Tensor>(t: T, opts: TensorOptions | undefined): T {
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(data: unknown, op: string): number[] {
  const shape: number[] = [];
  let cur: unknown = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return checkShape(op, shape);
}

function flatten(data: unknown, shape: number[], out: number[], depth: number, op: string): void {
  if (depth === shape.length) {
    if (typeof data === 'boolean') out.push(data ? 1 : 0);
    else if (typeof data === 'number') out.push(data);
    else if (typeof data === 'bigint') out.push(Number(data));
    else throw new TypeError(`${op}: expected numbers or booleans, got ${typeof data}`);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new RangeError(`${op}: ragged nested array: expected length ${shape[depth]} at depth ${depth}, got ${Array.isArray(data) ? data.length : typeof data}`);
  }
  for (const x of data) flatten(x, shape, out, depth + 1, op);
}

function inferDtype(data: unknown): DType {
  let cur: unknown = data;
  while (Array.isArray(cur)) cur = cur[0];
  if (typeof cur === 'boolean') return 'bool';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  if (ArrayBuffer.isView(data)) return getDefaultDtype();
  // JS numbers cannot say 1 from 1.0, so numbers give the default float dtype (as TensorFlow.js);
  // integer tensors come from { dtype: 'int64' }, BigInt64Array/Int32Array data or bigint values.
  if (typeof cur === 'bigint') return 'int64';
  return getDefaultDtype();
}

/** Host array in the dtype's public typed array (see DataTypeMap). */
export function toTypedArray(values: ArrayLike<number> | BigInt64Array, dtype: DType): TypedArray {
  switch (dtype) {
    case 'float64': return Float64Array.from(values as ArrayLike<number>);
    case 'int32': return Int32Array.from(values as ArrayLike<number>, (v) => Math.trunc(Number(v)));
    case 'int64':
      if (values instanceof BigInt64Array) return values;
      return BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(Math.trunc(v))));
    case 'uint8': return Uint8Array.from(values as ArrayLike<number>, (v) => Number(v) & 255);
    case 'bool': return Uint8Array.from(values as ArrayLike<number>, (v) => (Number(v) !== 0 ? 1 : 0));
    default: return Float32Array.from(values as ArrayLike<number>, Number);
  }
}

/** torch.tensor: from a number, boolean, nested array or typed array (copied). */
export function tensor(data: NestedArray | TypedArray | readonly NestedArray[], opts: TensorOptions & { shape?: number[] } = {}): Tensor {
  let shape: number[];
  let values: ArrayLike<number> | BigInt64Array;
  if (ArrayBuffer.isView(data)) {
    const arr = data as TypedArray;
    shape = opts.shape ? checkShape('tensor', opts.shape) : [arr.length];
    if (numelOf(shape) !== arr.length) throw new RangeError(`tensor: shape ${fmtShape(shape)} does not match ${arr.length} values`);
    values = arr instanceof BigInt64Array ? arr : (arr as ArrayLike<number>);
  } else {
    shape = inferShape(data, 'tensor');
    const flat: number[] = [];
    flatten(data, shape, flat, 0, 'tensor');
    values = flat;
    if (opts.shape) {
      if (numelOf(opts.shape) !== flat.length) throw new RangeError(`tensor: shape ${fmtShape(opts.shape)} does not match ${flat.length} values`);
      shape = checkShape('tensor', opts.shape);
    }
  }
  const dtype = opts.dtype ? checkDType(opts.dtype, 'tensor') : inferDtype(data);
  const backend = backendFor(opts);
  const t = empty(backend, dtype, shape);
  if (t.numel > 0) backend.write(t.storage.buf, dtype, toTypedArray(values instanceof BigInt64Array && dtype !== 'int64' ? Array.from(values, Number) : values, dtype));
  return finishOpts(t, opts);
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number | boolean, opts: TensorOptions = {}): Tensor {
  // A boolean fill gives bool; a number the default float (JS cannot say 1 from 1.0; see docs/decisions.md).
  const dtype = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : getDefaultDtype());
  const backend = backendFor(opts);
  const t = empty(backend, checkDType(dtype, 'full'), checkShape('full', shape));
  if (t.numel > 0) backend.fill(t.storage.buf, dtype, t.numel, Number(value));
  return finishOpts(t, opts);
}

export function zeros(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return full(shape, 0, { ...opts, dtype: opts.dtype ?? getDefaultDtype() });
}
export function ones(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return full(shape, 1, { ...opts, dtype: opts.dtype ?? getDefaultDtype() });
}

function likeOpts(t: Tensor, opts: TensorOptions): TensorOptions {
  return { dtype: opts.dtype ?? t.dtype, device: opts.device ?? t.device, requiresGrad: opts.requiresGrad };
}
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return zeros(t.shape, likeOpts(t, opts));
}
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return ones(t.shape, likeOpts(t, opts));
}
export function fullLike(t: Tensor, value: number | boolean, opts: TensorOptions = {}): Tensor {
  return full(t.shape, value, likeOpts(t, opts));
}
export function emptyLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  const o = likeOpts(t, opts);
  return empty(getBackend(o.device!), o.dtype!, t.shape);
}

/** torch.arange(end) / arange(start, end, step). Integer arguments give int64. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) { end = start; start = 0; }
  if (step === 0) throw new RangeError('arange: step must be nonzero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int64' : getDefaultDtype());
  const backend = backendFor(opts);
  const t = empty(backend, dtype, [n]);
  if (n > 0) backend.arange(t.storage.buf, dtype, n, start, step);
  return finishOpts(t, opts);
}

/** torch.linspace */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: number of steps must be non-negative, got ${steps}`);
  const dtype = opts.dtype ?? getDefaultDtype();
  const backend = backendFor(opts);
  const t = empty(backend, dtype, [steps]);
  if (steps === 1) backend.fill(t.storage.buf, dtype, 1, start);
  else if (steps > 1) {
    // torch computes the two halves from each end so the last value is exactly `end`.
    const step = (end - start) / (steps - 1);
    const vals = new Float64Array(steps);
    const half = Math.floor(steps / 2);
    for (let i = 0; i < steps; i++) vals[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
    backend.write(t.storage.buf, dtype, toTypedArray(vals, dtype));
  }
  return finishOpts(t, opts);
}

/** torch.eye */
export function eye(n: number, m: number = n, opts: TensorOptions = {}): Tensor {
  const vals = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) vals[i * m + i] = 1;
  return tensor(toTypedArray(vals, opts.dtype ?? getDefaultDtype()), { ...opts, shape: [n, m], dtype: opts.dtype ?? getDefaultDtype() });
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

function randomTensor(kind: 'uniform' | 'normal', shape: readonly number[], opts: RandomOptions, op: string): Tensor {
  const dtype = opts.dtype ?? getDefaultDtype();
  if (!isFloating(dtype)) throw new TypeError(`${op}: expected a floating dtype, got ${dtype}`);
  const backend = backendFor(opts);
  const t = empty(backend, dtype, checkShape(op, shape));
  const gen = opts.generator ?? defaultGenerator;
  if (t.numel > 0) backend.random(t.storage.buf, dtype, t.numel, kind, gen.key, gen.take(t.numel));
  return finishOpts(t, opts);
}

/** Uniform samples in [0, 1) from the seeded Philox stream. */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return randomTensor('uniform', shape, opts, 'rand');
}
/** Standard normal samples from the seeded Philox stream. */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return randomTensor('normal', shape, opts, 'randn');
}
export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}

/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!(high > low)) throw new RangeError(`randint: expected low < high, got low=${low}, high=${high}`);
  const dtype = opts.dtype ?? 'int64';
  // Drawn in float64; a device without float64 (webgpu) gets the same values drawn on 'js' and moved.
  const backend = backendFor(opts);
  const f64 = backend.capabilities.dtypes.includes('float64') || (backend.capabilities.storageOnly?.includes('float64') ?? false);
  const u = rand(shape, { device: f64 ? backend.name : 'js', generator: opts.generator, dtype: 'float64' });
  const scaled = u.mul(high - low);
  u.dispose();
  const floored = scaled.floor();
  scaled.dispose();
  const r = floored.add(low);
  floored.dispose();
  const cast = r.to(dtype);
  if (cast !== r) r.dispose();
  if (f64) return cast;
  const out = cast.to(backend.name);
  if (out !== cast) cast.dispose();
  return out;
}
