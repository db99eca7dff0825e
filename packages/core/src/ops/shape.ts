/**
 * Shape ops that move or combine data: cat, stack, split, chunk, unbind, flip, roll, repeat,
 * tile, tril, triu. split/chunk/unbind return views; the others allocate.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { needsGrad, record } from '../autograd/record.js';
import type { View } from '../backend.js';
import { isFloating, promoteTypes } from '../dtype.js';
import { fmtShape, normDim, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty, scalarTensor } from './dispatch.js';
import { cast, clone, rawCast } from './copy.js';
import { arange } from './creation.js';
import { where } from './elementwise.js';
import { expand, narrow, reshape, select, unsqueeze } from './views.js';

function checkTensorList(op: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: expected a list of tensors, got ${typeof tensors}`);
  if (tensors.length === 0) throw new RangeError(`${op}: expected a non-empty list of Tensors`);
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected Tensor as element ${i} in argument 0, but got ${t === null ? 'null' : typeof t}`);
  });
}

/** torch.cat: concatenate tensors along an existing dim (dtypes promote as in PyTorch). */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  checkTensorList('cat', tensors);
  const b = backendOf('cat', ...tensors);
  const dtype = tensors.map((t) => t.dtype).reduce((a, c) => promoteTypes(a, c));
  // As PyTorch: 1-D empty tensors are skipped (legacy behaviour), 0-d tensors are refused.
  tensors.forEach((t, i) => {
    if (t.ndim === 0) throw new RangeError(`cat: zero-dimensional tensor (at position ${i}) cannot be concatenated`);
  });
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
  if (parts.length === 0) return empty(b, dtype, [0]);
  const ref = parts[0]!;
  const d = normDim('cat', dim, ref.ndim);
  let total = 0;
  for (const t of parts) {
    if (t.ndim !== ref.ndim || t.shape.some((s, k) => k !== d && s !== ref.shape[k])) {
      const k = t.ndim !== ref.ndim ? -1 : t.shape.findIndex((s, j) => j !== d && s !== ref.shape[j]);
      const why = k < 0 ? `tensors must have the same number of dimensions (${ref.ndim} vs ${t.ndim})` : `expected size ${ref.shape[k]} but got size ${t.shape[k]} at dimension ${k}`;
      throw new RangeError(
        `cat: sizes of tensors must match except in dimension ${d}; ${why} for tensor number ${tensors.indexOf(t)} in the list ` +
          `(shapes ${tensors.map((x) => fmtShape(x.shape)).join(', ')})`,
      );
    }
    total += t.shape[d]!;
  }
  const outShape = [...ref.shape];
  outShape[d] = total;
  const out = empty(b, dtype, outShape);
  const starts: number[] = [];
  let off = 0;
  for (const t of parts) {
    starts.push(off);
    if (t.numel > 0) {
      const src = rawCast(t, dtype);
      const dst: View = { buf: out.storage.buf, dtype, shape: t.shape, strides: out.strides, offset: off * out.strides[d]! };
      b.copy(src._view('cat'), dst);
      if (src !== t) src.dispose();
    }
    off += t.shape[d]!;
  }
  if (needsGrad(...parts)) {
    const info = parts.map((t, i) => ({ start: starts[i]!, len: t.shape[d]!, dtype: t.dtype, want: t.requiresGrad }));
    record('CatBackward', parts, [out], ([g]) =>
      info.map(({ start, len, dtype: dt, want }) => {
        if (!want) return null;
        const gi = narrow(g!, d, start, len);
        return gi.dtype !== dt && isFloating(dt) ? cast(gi, dt) : gi;
      }),
    );
  }
  return out;
}

/** Alias of cat (torch.concat). */
export const concat = cat;

/** torch.stack: join same-shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  checkTensorList('stack', tensors);
  const ref = tensors[0]!;
  tensors.forEach((t, i) => {
    if (!sameShape(t.shape, ref.shape)) {
      throw new RangeError(`stack: expects each tensor to be equal size, but got ${fmtShape(ref.shape)} at entry 0 and ${fmtShape(t.shape)} at entry ${i}`);
    }
  });
  const d = normDim('stack', dim, ref.ndim + 1);
  const us = tensors.map((t) => unsqueeze(t, d));
  const out = cat(us, d);
  us.forEach((u) => u.dispose());
  return out;
}

/** torch.split: views of `x` in pieces of splitSize (the last may be smaller) or of the given sizes. */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  x._assertAlive('split');
  const d = normDim('split', dim, x.ndim);
  const size = x.shape[d]!;
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const s = splitSizeOrSections;
    if (!Number.isInteger(s) || s < 0 || (s === 0 && size !== 0)) {
      throw new RangeError(`split: split_size must be a positive integer (got ${s}) for dimension ${d} of size ${size}`);
    }
    const n = s === 0 ? 1 : Math.max(1, Math.ceil(size / s));
    sizes = Array.from({ length: n }, (_, i) => Math.min(s, size - i * s));
  } else {
    sizes = [...splitSizeOrSections];
    const sumSizes = sizes.reduce((a, c) => a + c, 0);
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sumSizes !== size) {
      throw new RangeError(`split: split_with_sizes expects split sizes ${fmtShape(sizes)} to sum exactly to ${size} (input tensor's size at dimension ${d}), but got sum ${sumSizes}`);
    }
  }
  const views = () => {
    const out: Tensor[] = [];
    let start = 0;
    for (const s of sizes) {
      out.push(narrow(x, d, start, s));
      start += s;
    }
    return out;
  };
  if (!needsGrad(x)) return views();
  // One node for all pieces (as PyTorch's SplitBackward): its backward concatenates the pieces'
  // gradients once, instead of each piece scattering into a zero tensor of x's size and the
  // engine summing them (quadratic in the number of pieces).
  const out = noGrad(views);
  record('SplitBackward', [x], out, (gs) => [cat(gs, d)]);
  return out;
}

/** torch.chunk: up to `chunks` views of equal size ceil(n / chunks) along dim (fewer when they run out). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: number of chunks must be a positive integer, got ${chunks}`);
  const d = normDim('chunk', dim, x.ndim);
  const size = x.shape[d]!;
  if (size === 0) return split(x, Array(chunks).fill(0), d);
  return split(x, Math.ceil(size / chunks), d);
}

/** torch.unbind: views of every index along dim, with dim removed. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normDim('unbind', dim, x.ndim);
  const views = () => Array.from({ length: x.shape[d]! }, (_, i) => select(x, d, i));
  if (!needsGrad(x) || x.shape[d] === 0) return views();
  // One node whose backward stacks the gradients (PyTorch's UnbindBackward): an RNN unbinding T
  // time steps then costs O(T) in backward, not T zero-filled tensors of x's size summed.
  const out = noGrad(views);
  record('UnbindBackward', [x], out, (gs) => [stack(gs, d)]);
  return out;
}

/** torch.flip: a copy of x with the order of elements reversed along dims. */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const b = backendOf('flip', x);
  const list = typeof dims === 'number' ? [dims] : [...dims];
  const ds = list.map((dd) => normDim('flip', dd, x.ndim));
  if (new Set(ds).size !== ds.length) throw new RangeError(`flip: dims ${fmtShape(list)} has duplicates`);
  const v = x._view('flip');
  const strides = [...v.strides];
  let offset = v.offset;
  for (const dd of ds) {
    if (x.shape[dd]! > 0) offset += (x.shape[dd]! - 1) * strides[dd]!;
    strides[dd] = -strides[dd]!;
  }
  const out = empty(b, x.dtype, x.shape);
  if (out.numel > 0) b.copy({ ...v, strides, offset }, out._view());
  if (needsGrad(x)) record('FlipBackward', [x], [out], ([g]) => [flip(g!, ds)]);
  return out;
}

/** torch.roll: shift elements along dims (cyclically); without dims the flattened tensor rolls. */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
  const sh = typeof shifts === 'number' ? [shifts] : [...shifts];
  if (dims === undefined || dims === null || (Array.isArray(dims) && dims.length === 0)) {
    if (sh.length !== 1) throw new RangeError(`roll: shifts ${fmtShape(sh)} must have one entry when dims is not given`);
    const flat = reshape(x, [-1]);
    const r = roll(flat, sh[0]!, 0);
    const out = reshape(r, x.shape);
    if (flat !== x) flat.dispose();
    if (r !== out) r.dispose();
    return out;
  }
  const ds = typeof dims === 'number' ? [dims] : [...dims];
  if (ds.length !== sh.length) throw new RangeError(`roll: shifts and dims must align (shifts: ${sh.length}, dims: ${ds.length})`);
  let cur = x;
  ds.forEach((dd, i) => {
    const d = normDim('roll', dd, x.ndim);
    const n = x.shape[d]!;
    const s = n === 0 ? 0 : ((sh[i]! % n) + n) % n;
    if (s === 0) return;
    const a = narrow(cur, d, n - s, s), c = narrow(cur, d, 0, n - s);
    const next = cat([a, c], d);
    a.dispose();
    c.dispose();
    if (cur !== x) cur.dispose();
    cur = next;
  });
  return cur === x ? clone(x) : cur;
}

/** torch.Tensor.repeat: tile x `sizes[i]` times along each dim (sizes may add leading dims). */
export function repeat(x: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  const reps = sizes.flat() as number[];
  if (reps.length < x.ndim) {
    throw new RangeError(`repeat: number of repeat dims (${reps.length}) can not be smaller than number of dimensions of tensor (${x.ndim}, shape ${fmtShape(x.shape)})`);
  }
  if (reps.some((r) => !Number.isInteger(r) || r < 0)) throw new RangeError(`repeat: repeats must be non-negative integers, got ${fmtShape(reps)}`);
  const lead = reps.length - x.ndim;
  const base = [...Array<number>(lead).fill(1), ...x.shape];
  // [1, s0, 1, s1, ...] expanded to [r0, s0, r1, s1, ...], then merged pairwise.
  const inter = base.flatMap((s) => [1, s]);
  const target = base.flatMap((s, i) => [reps[i]!, s]);
  const v = reshape(x, inter);
  const e = expand(v, target);
  const out = reshape(e, base.map((s, i) => s * reps[i]!));
  if (v !== x) v.dispose();
  e.dispose();
  return out;
}

/** torch.tile: like repeat, with missing leading reps treated as 1. */
export function tile(x: Tensor, dims: readonly number[]): Tensor {
  const reps = dims.length < x.ndim ? [...Array<number>(x.ndim - dims.length).fill(1), ...dims] : [...dims];
  return repeat(x, reps);
}

function triangle(op: 'tril' | 'triu', x: Tensor, diagonal: number): Tensor {
  const b = backendOf(op, x);
  if (x.ndim < 2) throw new RangeError(`${op}: input tensor must have at least 2 dimensions, got shape ${fmtShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new TypeError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = x.shape[x.ndim - 2]!, cols = x.shape[x.ndim - 1]!;
  const r = arange(0, rows, 1, { dtype: 'int64', device: x.device });
  const c = arange(0, cols, 1, { dtype: 'int64', device: x.device });
  const rc = reshape(r, [rows, 1]);
  const diff = c.sub(rc); // col - row
  const mask = op === 'tril' ? diff.le(diagonal) : diff.ge(diagonal);
  const zero = scalarTensor(0, x.dtype, b);
  const out = where(mask, x, zero);
  for (const t of [r, c, rc, diff, mask, zero]) t.dispose();
  return out;
}

/** torch.tril: zero the elements above the `diagonal`-th diagonal of the last two dims. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal);
}

/** torch.triu: zero the elements below the `diagonal`-th diagonal of the last two dims. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal);
}

declare module '../tensor.js' {
  interface Tensor {
    split(splitSizeOrSections: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    unbind(dim?: number): Tensor[];
    flip(...dims: (number | readonly number[])[]): Tensor;
    roll(shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor;
    repeat(...sizes: (number | readonly number[])[]): Tensor;
    tile(...dims: (number | readonly number[])[]): Tensor;
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
  }
}

const P = Tensor.prototype;
P.split = function (s, d) { return split(this, s, d); };
P.chunk = function (c, d) { return chunk(this, c, d); };
P.unbind = function (d) { return unbind(this, d); };
P.flip = function (...d) { return flip(this, d.flat()); };
P.roll = function (s, d) { return roll(this, s, d); };
P.repeat = function (...s) { return repeat(this, ...s); };
P.tile = function (...d) { return tile(this, d.flat()); };
P.tril = function (d) { return tril(this, d); };
P.triu = function (d) { return triu(this, d); };
