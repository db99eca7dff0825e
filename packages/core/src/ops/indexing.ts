/** Index ops: gather, scatterAdd, indexSelect, maskedFill, and the scatter-style backward helpers. */
import { needsGrad, record } from '../autograd/record.js';
import type { DType } from '../dtype.js';
import { fmtShape, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty, type TensorOrScalar } from './dispatch.js';
import { rawCopy } from './copy.js';
import { arange, zeros } from './creation.js';
import { where } from './elementwise.js';
import { reductionHelpers, sumToShape } from './reduction.js';
import { expand, reshape, slice, viewGrads } from './views.js';

function checkIndexTensor(op: string, index: Tensor, dtypes: DType[] = ['int64', 'int32']): void {
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be a Tensor`);
  if (!dtypes.includes(index.dtype)) {
    throw new TypeError(`${op}: expected index to have dtype ${dtypes.join(' or ')}, but got ${index.dtype}`);
  }
}

function asInt64(t: Tensor): Tensor {
  return t.dtype === 'int64' ? t : t.to('int64');
}

/** torch.gather: out[i][j] = x[i][index[i][j]] along dim. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexTensor('gather', index, ['int64']);
  const d = normDim('gather', dim, x.ndim);
  const b = backendOf('gather', x, index);
  if (index.ndim !== x.ndim && !(x.ndim === 0 && index.ndim <= 1)) {
    throw new RangeError(`gather: index tensor must have the same number of dimensions as input tensor (index ${fmtShape(index.shape)}, input ${fmtShape(x.shape)})`);
  }
  index.shape.forEach((s, k) => {
    if (k !== d && s > x.shape[k]!) {
      throw new RangeError(`gather: size of index ${fmtShape(index.shape)} does not match input ${fmtShape(x.shape)} at dimension ${k} (expected index.size(${k}) <= input.size(${k}))`);
    }
  });
  const out = empty(b, x.dtype, index.shape);
  if (out.numel > 0) b.gather(x._view('gather'), d, index._view('gather'), out.storage.buf);
  if (needsGrad(x)) {
    const shape = [...x.shape];
    record('GatherBackward', [x], [out], ([g], [idx]) => [scatterAdd(zeros(shape, { dtype: g.dtype, device: g.device }), d, idx!, g)], [index]);
  }
  return out;
}

/** torch.scatter_add (out of place): x with src added at index along dim. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkIndexTensor('scatterAdd', index, ['int64']);
  const d = normDim('scatterAdd', dim, x.ndim);
  const b = backendOf('scatterAdd', x, index, src);
  if (src.dtype !== x.dtype) throw new TypeError(`scatterAdd: expected self.dtype to be equal to src.dtype (${x.dtype} vs ${src.dtype})`);
  if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new RangeError(`scatterAdd: index ${fmtShape(index.shape)}, src ${fmtShape(src.shape)} and self ${fmtShape(x.shape)} must have the same number of dimensions`);
  }
  let srcUsed = src;
  index.shape.forEach((s, k) => {
    if (s > src.shape[k]! || (k !== d && s > x.shape[k]!)) {
      throw new RangeError(`scatterAdd: expected index ${fmtShape(index.shape)} to be smaller than self ${fmtShape(x.shape)} apart from dimension ${d} and to be smaller than src ${fmtShape(src.shape)}`);
    }
    if (s < src.shape[k]!) srcUsed = slice(srcUsed, k, 0, s);
  });
  const out = rawCopy(x);
  if (index.numel > 0) b.scatterAdd(out.storage.buf, out.shape, d, index._view('scatterAdd'), srcUsed._view('scatterAdd'));
  if (srcUsed !== src) srcUsed.dispose();
  if (needsGrad(x, src)) {
    const srcShape = [...src.shape];
    record('ScatterAddBackward', [x, src], [out], ([g], [idx]) => {
      let gs: Tensor | null = null;
      if (src.requiresGrad) {
        gs = gather(g, d, idx!);
        if (gs.shape.some((s, k) => s !== srcShape[k])) gs = padTo(gs, srcShape);
      }
      return [g, gs];
    }, [index]);
  }
  return out;
}

function padTo(g: Tensor, shape: number[]): Tensor {
  // gradient of the unused tail of src is zero
  let out = g;
  for (let k = 0; k < shape.length; k++) {
    if (out.shape[k]! < shape[k]!) out = sliceBackward(out, shapeWith(out.shape, k, shape[k]!), k, 0, 1);
  }
  return out;
}
function shapeWith(s: readonly number[], k: number, v: number): number[] {
  const r = [...s];
  r[k] = v;
  return r;
}

/** torch.index_select: entries `index` (1-D) of dim. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexTensor('indexSelect', index);
  if (index.ndim > 1) throw new RangeError(`indexSelect: index must be a vector (0-D or 1-D), got shape ${fmtShape(index.shape)}`);
  const d = normDim('indexSelect', dim, x.ndim);
  const idx1 = asInt64(index);
  const n = idx1.numel;
  const outShape = x.ndim === 0 ? [] : shapeWith(x.shape, d, n);
  const viewShape = x.shape.map((_, k) => (k === d ? n : 1));
  const r = reshape(idx1, x.ndim === 0 ? [] : viewShape);
  const idx = expand(r, outShape);
  try {
    return gather(x, d, idx);
  } catch (e) {
    // name this op in the kernel's out-of-range message
    if (e instanceof RangeError && e.message.startsWith('gather: index ')) throw new RangeError(`indexSelect${e.message.slice('gather'.length)}`);
    throw e;
  } finally {
    for (const t of [idx, r, idx1]) if (t !== index) t.dispose();
  }
}

/** torch.Tensor.masked_fill: value where mask is true. */
export function maskedFill(x: Tensor, mask: Tensor, value: TensorOrScalar): Tensor {
  if (!(mask instanceof Tensor) || mask.dtype !== 'bool') {
    throw new TypeError(`maskedFill: expected mask to be a bool tensor, got ${mask instanceof Tensor ? mask.dtype : typeof mask}`);
  }
  if (value instanceof Tensor && value.ndim !== 0) {
    throw new RangeError(`maskedFill: only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s)`);
  }
  const v = value instanceof Tensor ? value.to(x.dtype) : value;
  const out = where(mask, v, x);
  // masked_fill keeps self's dtype and shape (mask broadcasts to self)
  if (out.dtype !== x.dtype) return out.to(x.dtype);
  return out;
}

/** Zeros of inShape with g written into the slice; the backward of slicing. */
export function sliceBackward(g: Tensor, inShape: number[], dim: number, start: number, step: number): Tensor {
  const b = backendOf('slice_backward', g);
  const out = zeros(inShape, { dtype: g.dtype, device: g.device });
  const len = g.shape[dim]!;
  const target = slice(out, dim, start, start + len * step, step);
  if (g.numel > 0) b.copy(g._view('slice_backward'), target._view());
  target.dispose();
  if (needsGrad(g)) {
    record('SliceBackwardBackward', [g], [out], ([gg]) => [slice(gg, dim, start, start + len * step, step)]);
  }
  return out;
}

/** Storage positions of a strided layout, as an int64 tensor of that shape. */
function stridedPositions(shape: readonly number[], strides: readonly number[], offset: number, device: string): Tensor {
  let pos = arange(offset, offset + 1, 1, { dtype: 'int64', device }).reshape(shape.map(() => 1));
  shape.forEach((s, k) => {
    const r = arange(0, s, 1, { dtype: 'int64', device }).mul(strides[k]!).reshape(shape.map((_, j) => (j === k ? s : 1)));
    pos = pos.add(r);
  });
  return pos.expand(shape);
}

/** The backward of asStrided: scatter-add into storage space, then read x's positions. */
export function asStridedBackward(g: Tensor, inShape: number[], inStrides: number[], inOffset: number, size: number[], stride: number[], offset: number): Tensor {
  const outPos = stridedPositions(size, stride, offset, g.device).reshape([-1]);
  const inPos = stridedPositions(inShape, inStrides, inOffset, g.device).reshape([-1]);
  let extent = 1;
  for (const [sh, st, off] of [[size, stride, offset], [inShape, inStrides, inOffset]] as const) {
    let hi = off;
    sh.forEach((s, k) => (hi += (s - 1) * Math.max(st[k]!, 0)));
    extent = Math.max(extent, hi + 1);
  }
  const storageGrad = scatterAdd(zeros([extent], { dtype: g.dtype, device: g.device }), 0, outPos, reshape(g, [-1]));
  return reshape(gather(storageGrad, 0, inPos), inShape);
}

viewGrads.sumToShape = sumToShape;
viewGrads.sliceBackward = sliceBackward;
viewGrads.asStridedBackward = asStridedBackward;
reductionHelpers.scatterGrad = (src, index, dim, shape, dtype) => scatterAdd(zeros(shape, { dtype, device: src.device }), dim, index, src);

declare module '../tensor.js' {
  interface Tensor {
    gather(dim: number, index: Tensor): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    maskedFill(mask: Tensor, value: TensorOrScalar): Tensor;
  }
}
const P = Tensor.prototype;
P.gather = function (d, i) { return gather(this, d, i); };
P.scatterAdd = function (d, i, s) { return scatterAdd(this, d, i, s); };
P.indexSelect = function (d, i) { return indexSelect(this, d, i); };
P.maskedFill = function (m, v) { return maskedFill(this, m, v); };
