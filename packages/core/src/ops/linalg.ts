/** Matrix products: matmul (NumPy broadcasting rules), mm, bmm, dot, outer, linear algebra helpers. */
import { needsGrad, record } from '../autograd/record.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty } from './dispatch.js';
import { broadcastShapes } from '../shape.js';
import { expand, reshape, squeeze, transpose, unsqueeze } from './views.js';

/** Batched product of equal-batch operands [..., m, k] x [..., k, n]: the kernel plus its gradient. */
function batchedMatmul(a: Tensor, b: Tensor): Tensor {
  const be = backendOf('matmul', a, b);
  const r = a.ndim;
  const outShape = [...a.shape.slice(0, r - 2), a.shape[r - 2]!, b.shape[r - 1]!];
  const out = empty(be, a.dtype, outShape);
  if (out.numel > 0) {
    if (a.shape[r - 1] === 0) be.fill(out.storage.buf, out.dtype, out.numel, 0);
    else be.matmul(a._view('matmul'), b._view('matmul'), out.storage.buf);
  }
  if (needsGrad(a, b)) {
    record('MmBackward', [a, b], [out], ([g], [sa, sb]) => [
      a.requiresGrad ? batchedMatmul(g, transpose(sb!, -1, -2)) : null,
      b.requiresGrad ? batchedMatmul(transpose(sa!, -1, -2), g) : null,
    ], [a, b]);
  }
  return out;
}

function checkSameDtype(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new TypeError(`${op}: expected both arguments to have the same dtype, but got ${a.dtype} and ${b.dtype}`);
}

/** torch.matmul with 1-D promotion and batch broadcasting. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  backendOf('matmul', a, b);
  checkSameDtype('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both arguments need at least 1 dimension, but got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, -1) : b;
  const k1 = a2.shape[a2.ndim - 1]!, k2 = b2.shape[b2.ndim - 2]!;
  if (k1 !== k2) {
    const sa = a.ndim === 1 ? `[${a.shape[0]}]` : fmtShape(a.shape);
    throw new RangeError(`matmul: shapes ${sa} and ${fmtShape(b.shape)} cannot be multiplied (${k1} != ${k2})`);
  }
  const batch = broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const ae = expand(a2, [...batch, a2.shape[a2.ndim - 2]!, k1]);
  const bE = expand(b2, [...batch, k2, b2.shape[b2.ndim - 1]!]);
  let out = batchedMatmul(ae, bE);
  for (const v of [ae, bE, a2, b2]) if (v !== a && v !== b) v.dispose(); // temporary views
  if (a.ndim === 1) { const o = out; out = squeeze(o, -2); o.dispose(); }
  if (b.ndim === 1) { const o = out; out = squeeze(o, -1); o.dispose(); }
  return out;
}

/** torch.mm: 2-D x 2-D only. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) throw new RangeError(`mm: expected 2-D tensors, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

/** torch.bmm: 3-D x 3-D with equal batch. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3) throw new RangeError(`bmm: expected 3-D tensors, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) throw new RangeError(`bmm: batch sizes differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

/** torch.dot: 1-D x 1-D. */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new RangeError(`dot: 1D tensors expected, but got ${a.ndim}D and ${b.ndim}D tensors`);
  return matmul(a, b);
}

/** torch.outer */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new RangeError(`outer: 1D tensors expected, but got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return reshape(a, [-1, 1]).mul(reshape(b, [1, -1]));
}

declare module '../tensor.js' {
  interface Tensor {
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    bmm(other: Tensor): Tensor;
    dot(other: Tensor): Tensor;
    outer(other: Tensor): Tensor;
  }
}
const P = Tensor.prototype;
P.matmul = function (o) { return matmul(this, o); };
P.mm = function (o) { return mm(this, o); };
P.bmm = function (o) { return bmm(this, o); };
P.dot = function (o) { return dot(this, o); };
P.outer = function (o) { return outer(this, o); };
