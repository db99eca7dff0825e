/** Reductions: sum, mean, prod, max/min (with indices), amax/amin, argmax/argmin. */
import { needsGrad, record } from '../autograd/record.js';
import type { ReduceOp } from '../backend.js';
import { isFloating, type DType } from '../dtype.js';
import { fmtShape, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty } from './dispatch.js';
import { cast } from './copy.js';
import { expand, reshape, unsqueeze } from './views.js';

export type Dims = number | readonly number[] | null | undefined;

/** Normalised, sorted, unique reduction axes (all axes when dims is null/undefined). */
export function reductionAxes(op: string, x: Tensor, dims: Dims): number[] {
  if (dims === null || dims === undefined) return [...x.shape.keys()];
  const list = typeof dims === 'number' ? [dims] : [...dims];
  if (list.length === 0) return [...x.shape.keys()];
  const axes = list.map((d) => normDim(op, d, x.ndim));
  if (new Set(axes).size !== axes.length) throw new RangeError(`${op}: dim ${fmtShape(list)} appears multiple times in the list of dims`);
  return axes.sort((a, b) => a - b);
}

/** Run a reduce kernel (no autograd); output keeps reduced axes as size 1 when keepdim. */
export function rawReduce(op: ReduceOp, x: Tensor, axes: readonly number[], keepdim: boolean, outDtype: DType = x.dtype): Tensor {
  const b = backendOf(op, x);
  const outShape = x.shape.filter((_, i) => !axes.includes(i));
  const out = empty(b, op === 'argmax' || op === 'argmin' ? 'int64' : outDtype, outShape);
  if (out.numel > 0) {
    if (x.numel === 0 && (op === 'max' || op === 'min' || op === 'argmax' || op === 'argmin')) {
      throw new RangeError(`${op}: expected reduction dim to be specified for input.numel() == 0 (shape ${fmtShape(x.shape)})`);
    }
    b.reduce(op, x._view(op), axes, out.storage.buf);
  }
  if (!keepdim) return out;
  const kshape = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
  const r = reshape(out, kshape);
  return r;
}

/** Expand a reduced gradient back over the reduced axes. */
export function expandReduced(g: Tensor, shape: readonly number[], axes: readonly number[], keepdim: boolean): Tensor {
  let r = g;
  if (!keepdim) for (const a of axes) r = unsqueeze(r, a);
  return expand(r, shape);
}

function sumDtype(x: Tensor, dtype?: DType): DType {
  if (dtype) return dtype;
  return isFloating(x.dtype) ? x.dtype : 'int64';
}

/** torch.sum */
export function sum(x: Tensor, dim?: Dims, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  const axes = reductionAxes('sum', x, dim);
  const dt = sumDtype(x, opts.dtype);
  const xin = cast(x, dt);
  const out = rawReduce('sum', xin, axes, keepdim);
  if (needsGrad(xin)) {
    const shape = [...x.shape];
    record('SumBackward', [xin], [out], ([g]) => [expandReduced(g, shape, axes, keepdim)]);
  }
  return out;
}

/** torch.mean (floating inputs only, as PyTorch). */
export function mean(x: Tensor, dim?: Dims, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  const axes = reductionAxes('mean', x, dim);
  const dt = opts.dtype ?? x.dtype;
  if (!isFloating(dt)) throw new TypeError(`mean: could not infer output dtype; input dtype must be floating point, but got ${x.dtype}`);
  let n = 1;
  for (const a of axes) n *= x.shape[a]!;
  const s = sum(x, axes, keepdim, { dtype: dt });
  const out = s.div(n);
  s.dispose();
  return out;
}

/** torch.prod */
export function prod(x: Tensor, dim?: number | null, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  const axes = reductionAxes('prod', x, dim ?? null);
  const xin = cast(x, sumDtype(x, opts.dtype));
  const out = rawReduce('prod', xin, axes, keepdim);
  if (needsGrad(xin)) {
    const shape = [...xin.shape];
    record('ProdBackward', [xin], [out], ([g], [xs, o]) => {
      // d(prod)/dx_i = prod of the others; exact with zeros: only a lone zero gets a nonzero grad.
      const isZero = xs!.eq(0);
      const zerosCount = sum(isZero, axes, true);
      const safe = xs!.maskedFill(isZero, 1);
      const prodNonZero = prod(safe, axes.length === 1 ? axes[0]! : null, true);
      const oK = expandReduced(o!, shape, axes, keepdim);
      const gK = expandReduced(g, shape, axes, keepdim);
      const normal = oK.div(safe);
      const atZero = prodNonZero.expand(shape).mul(zerosCount.eq(1).expand(shape));
      return [gK.mul(atZero.where(isZero, normal))];
    }, [xin, out]);
  }
  return out;
}

/** amax/amin: gradient shared evenly among tied extremes (as PyTorch). */
function extreme(op: 'max' | 'min', name: string, x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const axes = reductionAxes(name, x, dim);
  const out = rawReduce(op, x, axes, keepdim);
  if (needsGrad(x)) {
    const shape = [...x.shape];
    record(`${name[0]!.toUpperCase()}${name.slice(1)}Backward`, [x], [out], ([g], [xs, o]) => {
      const mask = xs!.eq(expandReduced(o!, shape, axes, keepdim)).to(g.dtype);
      const count = sum(mask, axes, true);
      return [expandReduced(g, shape, axes, keepdim).mul(mask).div(count)];
    }, [x, out]);
  }
  return out;
}

export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('max', 'amax', x, dim, keepdim);
}
export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('min', 'amin', x, dim, keepdim);
}

/** argmax over one dim, or over the flattened tensor when dim is null. */
export function argmax(x: Tensor, dim: number | null = null, keepdim = false): Tensor {
  return argExtreme('argmax', x, dim, keepdim);
}
export function argmin(x: Tensor, dim: number | null = null, keepdim = false): Tensor {
  return argExtreme('argmin', x, dim, keepdim);
}
function argExtreme(op: 'argmax' | 'argmin', x: Tensor, dim: number | null, keepdim: boolean): Tensor {
  if (dim === null) {
    const flat = reshape(x, [-1]);
    const r = rawReduce(op, flat, [0], false);
    return keepdim ? reshape(r, x.shape.map(() => 1)) : r;
  }
  return rawReduce(op, x, [normDim(op, dim, x.ndim)], keepdim);
}

/** max/min over one dim: [values, indices]; the gradient goes to the index PyTorch picks. */
function extremeWithIndices(op: 'max' | 'min', x: Tensor, dim: number, keepdim: boolean): [Tensor, Tensor] {
  const d = normDim(op, dim, x.ndim);
  const values = rawReduce(op, x, [d], keepdim);
  const indices = rawReduce(op === 'max' ? 'argmax' : 'argmin', x, [d], keepdim);
  if (needsGrad(x)) {
    const shape = [...x.shape];
    const dtype = x.dtype;
    record(op === 'max' ? 'MaxBackward' : 'MinBackward', [x], [values], ([g], [idx]) => {
      const gi = keepdim ? g : unsqueeze(g, d);
      const ii = keepdim ? idx! : unsqueeze(idx!, d);
      return [scatterGrad(gi, ii, d, shape, dtype)];
    }, [indices]);
  }
  return [values, indices];
}

// Set by indexing.ts: zeros(shape).scatterAdd(dim, index, src), differentiable in src.
export const reductionHelpers = {
  scatterGrad: null as unknown as (src: Tensor, index: Tensor, dim: number, shape: number[], dtype: DType) => Tensor,
};
function scatterGrad(src: Tensor, index: Tensor, dim: number, shape: number[], dtype: DType): Tensor {
  return reductionHelpers.scatterGrad(src, index, dim, shape, dtype);
}

/** torch.max: the maximum (no dim), or [values, indices] over `dim`; with a tensor, elementwise maximum. */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): [Tensor, Tensor];
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim?: number | Tensor, keepdim = false): Tensor | [Tensor, Tensor] {
  if (dim instanceof Tensor) return x.maximum(dim);
  if (dim === undefined) return extreme('max', 'max', x, null, false);
  return extremeWithIndices('max', x, dim, keepdim);
}
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): [Tensor, Tensor];
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim?: number | Tensor, keepdim = false): Tensor | [Tensor, Tensor] {
  if (dim instanceof Tensor) return x.minimum(dim);
  if (dim === undefined) return extreme('min', 'min', x, null, false);
  return extremeWithIndices('min', x, dim, keepdim);
}

/** Sum of g over the dims that broadcasting added or expanded, back to `shape`. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const s = axes.length ? sum(g, axes, true) : g;
  return reshape(s, shape);
}


declare module '../tensor.js' {
  interface Tensor {
    sum(dim?: Dims, keepdim?: boolean, opts?: { dtype?: DType }): Tensor;
    mean(dim?: Dims, keepdim?: boolean, opts?: { dtype?: DType }): Tensor;
    prod(dim?: number | null, keepdim?: boolean, opts?: { dtype?: DType }): Tensor;
    amax(dim?: Dims, keepdim?: boolean): Tensor;
    amin(dim?: Dims, keepdim?: boolean): Tensor;
    argmax(dim?: number | null, keepdim?: boolean): Tensor;
    argmin(dim?: number | null, keepdim?: boolean): Tensor;
    max(): Tensor;
    max(dim: number, keepdim?: boolean): [Tensor, Tensor];
    max(other: Tensor): Tensor;
    min(): Tensor;
    min(dim: number, keepdim?: boolean): [Tensor, Tensor];
    min(other: Tensor): Tensor;
  }
}

const P = Tensor.prototype;
P.sum = function (d, k, o) { return sum(this, d, k, o); };
P.mean = function (d, k, o) { return mean(this, d, k, o); };
P.prod = function (d, k, o) { return prod(this, d, k, o); };
P.amax = function (d, k) { return amax(this, d, k); };
P.amin = function (d, k) { return amin(this, d, k); };
P.argmax = function (d, k) { return argmax(this, d, k); };
P.argmin = function (d, k) { return argmin(this, d, k); };
P.max = function (this: Tensor, d?: number | Tensor, k?: boolean) { return max(this, d as number, k) as never; } as Tensor['max'];
P.min = function (this: Tensor, d?: number | Tensor, k?: boolean) { return min(this, d as number, k) as never; } as Tensor['min'];
