/**
 * Metadata-only views: reshape/view, permute, transpose, expand, squeeze, unsqueeze, flatten,
 * narrow, select, slice with steps, asStrided. None copies data (reshape copies only when the
 * strides make a view impossible, as in PyTorch).
 */
import { needsGrad, record } from '../autograd/record.js';
import { broadcastShapes, contiguousStrides, fmtShape, normDim, numelOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { makeView } from './dispatch.js';
import { contiguous } from './copy.js';

/** Resolve a -1 in a target shape; throws naming the op when the sizes cannot match. */
export function inferSize(op: string, shape: readonly number[], numel: number): number[] {
  const out = [...shape];
  const neg = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) throw new RangeError(`${op}: only one dimension can be inferred (-1), got ${fmtShape(shape)}`);
  const known = out.reduce((p, d) => (d === -1 ? p : p * d), 1);
  if (neg >= 0) {
    if (known === 0 || numel % known !== 0) throw new RangeError(`${op}: shape ${fmtShape(shape)} is invalid for input of size ${numel}`);
    out[neg] = numel / known;
  }
  if (out.some((d) => !Number.isInteger(d) || d < 0) || numelOf(out) !== numel) {
    throw new RangeError(`${op}: shape ${fmtShape(shape)} is invalid for input of size ${numel}`);
  }
  return out;
}

/** Strides for viewing (shape, strides) as newShape without a copy, or null if impossible. */
function viewStrides(shape: readonly number[], strides: readonly number[], newShape: readonly number[]): number[] | null {
  if (numelOf(shape) === 0) return contiguousStrides(newShape);
  // Group old dims into contiguous chunks; each new dim must fall inside one chunk (PyTorch's computeStride).
  const newStrides = new Array<number>(newShape.length).fill(0);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1] ?? 1;
  let tensorNumel = 1, viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d]!;
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) {
    for (; viewD >= 0; viewD--) {
      if (newShape[viewD] !== 1) return null;
      newStrides[viewD] = 1;
    }
  }
  return newStrides;
}

function viewAs(op: string, x: Tensor, shape: readonly number[], strides: readonly number[], offset: number, backward: (g: Tensor) => Tensor): Tensor {
  const out = makeView(x, shape, strides, offset);
  if (needsGrad(x)) record(op, [x], [out], ([g]) => [backward(g)]);
  return out;
}

/** torch.Tensor.view: a view with a new shape; throws when strides make it impossible. */
export function view(x: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  const target = inferSize('view', shape.flat() as number[], x.numel);
  const st = viewStrides(x.shape, x.strides, target);
  if (!st) {
    throw new Error(
      `view: size is not compatible with input tensor's size and stride (shape ${fmtShape(x.shape)}, strides ${fmtShape(x.strides)} ` +
        `to ${fmtShape(target)}); use reshape() instead`,
    );
  }
  const inShape = [...x.shape];
  return viewAs('ViewBackward', x, target, st, x.offset, (g) => reshape(g, inShape));
}

/** torch.reshape: a view when possible, otherwise a copy. */
export function reshape(x: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  x._assertAlive('reshape');
  const target = inferSize('reshape', shape.flat() as number[], x.numel);
  const st = viewStrides(x.shape, x.strides, target);
  if (st) return view(x, target);
  const c = contiguous(x);
  const out = view(c, target);
  c.dispose(); // the view holds the copy's storage; its node holds the copy's edge
  return out;
}

export function permute(x: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  const ds = (dims.flat() as number[]).map((d) => normDim('permute', d, x.ndim));
  if (ds.length !== x.ndim || new Set(ds).size !== ds.length) {
    throw new RangeError(`permute: dims ${fmtShape(dims.flat() as number[])} must be a permutation of ${x.ndim} dims for a tensor of shape ${fmtShape(x.shape)}`);
  }
  const inv = new Array<number>(ds.length);
  ds.forEach((d, i) => (inv[d] = i));
  return viewAs('PermuteBackward', x, ds.map((d) => x.shape[d]!), ds.map((d) => x.strides[d]!), x.offset, (g) => permute(g, inv));
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normDim('transpose', dim0, x.ndim), b = normDim('transpose', dim1, x.ndim);
  if (x.ndim === 0) return x;
  const p = [...Array(x.ndim).keys()];
  p[a] = b;
  p[b] = a;
  return permute(x, p);
}

/** Transpose of a <= 2-D tensor (torch.t). */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new RangeError(`t: expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape], strides = [...x.strides];
  const st = d < x.ndim ? x.strides[d]! * x.shape[d]! : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, st);
  return viewAs('UnsqueezeBackward', x, shape, strides, x.offset, (g) => squeeze(g, d));
}

/** Remove size-1 dims (all, or the given ones; others are left as they are, as in PyTorch). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const dims = dim === undefined ? [...x.shape.keys()] : (Array.isArray(dim) ? dim : [dim as number]).map((d) => normDim('squeeze', d, x.ndim));
  const drop = new Set(dims.filter((d) => x.shape[d] === 1));
  const inShape = [...x.shape];
  return viewAs(
    'SqueezeBackward',
    x,
    x.shape.filter((_, i) => !drop.has(i)),
    x.strides.filter((_, i) => !drop.has(i)),
    x.offset,
    (g) => reshape(g, inShape),
  );
}

/** Broadcast to a larger shape with stride 0 (-1 keeps a size). */
export function expand(x: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  const target = sizes.flat() as number[];
  if (target.length < x.ndim) {
    throw new RangeError(`expand: the number of sizes provided (${target.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`);
  }
  const lead = target.length - x.ndim;
  const shape: number[] = [], strides: number[] = [];
  target.forEach((s, i) => {
    const j = i - lead;
    const cur = j >= 0 ? x.shape[j]! : 1;
    const size = s === -1 ? cur : s;
    if (j < 0 && s === -1) throw new RangeError(`expand: -1 is not allowed in a leading, non-existing dimension (${fmtShape(target)})`);
    if (cur !== size && cur !== 1) {
      throw new RangeError(`expand: the expanded size of the tensor (${size}) must match the existing size (${cur}) at non-singleton dimension ${i}; target sizes ${fmtShape(target)}, tensor sizes ${fmtShape(x.shape)}`);
    }
    shape.push(size);
    strides.push(j >= 0 && cur === size ? x.strides[j]! : 0);
  });
  const inShape = [...x.shape];
  return viewAs('ExpandBackward', x, shape, strides, x.offset, (g) => sumToShape(g, inShape));
}

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return expand(x, shape);
}

/** Broadcast tensors against each other (torch.broadcast_tensors). */
export function broadcastTensors(...ts: Tensor[]): Tensor[] {
  const shape = broadcastShapes('broadcastTensors', ...ts.map((t) => t.shape));
  return ts.map((t) => expand(t, shape));
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim), e = normDim('flatten', endDim, x.ndim);
  if (s > e) throw new RangeError(`flatten: startDim (${startDim}) cannot come after endDim (${endDim})`);
  const shape = [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** torch.narrow: `length` elements of `dim` from `start`. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim('narrow', dim, x.ndim);
  const size = x.shape[d]!;
  const s = start < 0 ? start + size : start;
  if (s < 0 || length < 0 || s + length > size) {
    throw new RangeError(`narrow: start (${start}) + length (${length}) exceeds dimension size (${size}) of dim ${dim} for shape ${fmtShape(x.shape)}`);
  }
  return slice(x, d, s, s + length, 1);
}

/** Elements start, start+step, ... < end of `dim` (Python slicing semantics, step > 0). */
export function slice(x: Tensor, dim: number, start: number | null = 0, end: number | null = null, step = 1): Tensor {
  const d = normDim('slice', dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d]!;
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = clampIdx(start ?? 0), e = clampIdx(end ?? size);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const shape = [...x.shape], strides = [...x.strides];
  shape[d] = len;
  strides[d] = x.strides[d]! * step;
  const inShape = [...x.shape];
  return viewAs('SliceBackward', x, shape, strides, x.offset + s * x.strides[d]!, (g) => sliceBackward(g, inShape, d, s, step));
}

/** select: index one position of `dim`, removing it. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim('select', dim, x.ndim);
  const size = x.shape[d]!;
  if (index < -size || index >= size) throw new RangeError(`select: index ${index} is out of bounds for dimension ${d} with size ${size}`);
  const i = index < 0 ? index + size : index;
  const shape = x.shape.filter((_, k) => k !== d), strides = x.strides.filter((_, k) => k !== d);
  const inShape = [...x.shape];
  return viewAs('SelectBackward', x, shape, strides, x.offset + i * x.strides[d]!, (g) => sliceBackward(unsqueeze(g, d), inShape, d, i, 1));
}

/**
 * A view with explicit sizes, strides and offset over x's storage (torch.as_strided); overlapping
 * windows are fine (conv, pooling). Offsets are relative to x's storage.
 */
export function asStrided(x: Tensor, size: readonly number[], stride: readonly number[], storageOffset = x.offset): Tensor {
  const out = makeView(x, size, stride, storageOffset);
  if (needsGrad(x)) {
    const inShape = [...x.shape], inStrides = [...x.strides], inOffset = x.offset;
    record('AsStridedBackward', [x], [out], ([g]) => [asStridedBackward(g, inShape, inStrides, inOffset, [...size], [...stride], storageOffset)]);
  }
  return out;
}

// Backward helpers are filled in by the files that own the ops they need (avoids import cycles).
export const viewGrads = {
  sumToShape: null as unknown as (g: Tensor, shape: readonly number[]) => Tensor,
  sliceBackward: null as unknown as (g: Tensor, inShape: number[], dim: number, start: number, step: number) => Tensor,
  asStridedBackward: null as unknown as (g: Tensor, inShape: number[], inStrides: number[], inOffset: number, size: number[], stride: number[], offset: number) => Tensor,
};
function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  return viewGrads.sumToShape(g, shape);
}
function sliceBackward(g: Tensor, inShape: number[], dim: number, start: number, step: number): Tensor {
  return viewGrads.sliceBackward(g, inShape, dim, start, step);
}
function asStridedBackward(g: Tensor, inShape: number[], inStrides: number[], inOffset: number, size: number[], stride: number[], offset: number): Tensor {
  return viewGrads.asStridedBackward(g, inShape, inStrides, inOffset, size, stride, offset);
}

declare module '../tensor.js' {
  interface Tensor {
    view(...shape: (number | readonly number[])[]): Tensor;
    reshape(...shape: (number | readonly number[])[]): Tensor;
    permute(...dims: (number | readonly number[])[]): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    /** Transpose of a <= 2-D tensor. */
    t(): Tensor;
    /** Transpose of the last two dims (torch.Tensor.mT). */
    readonly mT: Tensor;
    /** Transpose (torch.Tensor.T: reverses all dims). */
    readonly T: Tensor;
    unsqueeze(dim: number): Tensor;
    squeeze(dim?: number | readonly number[]): Tensor;
    expand(...sizes: (number | readonly number[])[]): Tensor;
    expandAs(other: Tensor): Tensor;
    viewAs(other: Tensor): Tensor;
    reshapeAs(other: Tensor): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
    select(dim: number, index: number): Tensor;
    asStrided(size: readonly number[], stride: readonly number[], storageOffset?: number): Tensor;
  }
}

const P = Tensor.prototype;
P.view = function (...s) { return view(this, ...s); };
P.reshape = function (...s) { return reshape(this, ...s); };
P.permute = function (...d) { return permute(this, ...d); };
P.transpose = function (a, b) { return transpose(this, a, b); };
P.t = function () { return t(this); };
Object.defineProperty(P, 'mT', { get(this: Tensor) { return transpose(this, -2, -1); } });
Object.defineProperty(P, 'T', { get(this: Tensor) { return permute(this, [...Array(this.ndim).keys()].reverse()); } });
P.unsqueeze = function (d) { return unsqueeze(this, d); };
P.squeeze = function (d) { return squeeze(this, d); };
P.expand = function (...s) { return expand(this, ...s); };
P.expandAs = function (o) { return expand(this, o.shape); };
P.viewAs = function (o) { return view(this, o.shape); };
P.reshapeAs = function (o) { return reshape(this, o.shape); };
P.flatten = function (s, e) { return flatten(this, s, e); };
P.narrow = function (d, s, l) { return narrow(this, d, s, l); };
P.slice = function (d, s, e, st) { return slice(this, d, s, e, st); };
P.select = function (d, i) { return select(this, d, i); };
P.asStrided = function (s, st, o) { return asStrided(this, s, st, o); };
