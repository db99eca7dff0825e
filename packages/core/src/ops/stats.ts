/**
 * Statistics reductions: var, std (and varMean/stdMean), logsumexp, norm, cumsum. All but cumsum
 * are compositions of differentiable ops; cumsum runs the backend scan and records its node.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { needsGrad, record } from '../autograd/record.js';
import { isFloating, type DType } from '../dtype.js';
import { fmtShape, normDim } from '../shape.js';
import { Tensor, tidy } from '../tensor.js';
import { backendOf, empty, floatDtypeOf, makeView } from './dispatch.js';
import { cast } from './copy.js';
import { amax, amin, mean, reductionAxes, sum, type Dims } from './reduction.js';
import { abs, log, sqrt, where } from './elementwise.js';
import { squeeze } from './views.js';

export interface VarOptions {
  /** Difference between the sample size and the degrees of freedom (default 1: Bessel's correction). */
  correction?: number;
  /** Legacy flag: true means correction 1, false correction 0. */
  unbiased?: boolean;
  keepdim?: boolean;
}

function resolveVarOptions(op: string, opts: VarOptions | boolean | undefined, keepdim: boolean | undefined): { correction: number; keepdim: boolean } {
  const o: VarOptions = typeof opts === 'boolean' ? { unbiased: opts } : { ...(opts ?? {}) };
  if (keepdim !== undefined) o.keepdim = keepdim;
  if (o.unbiased !== undefined && o.correction !== undefined) {
    throw new TypeError(`${op}: cannot specify both 'unbiased' and 'correction'`);
  }
  const correction = o.correction ?? (o.unbiased === false ? 0 : 1);
  if (!Number.isFinite(correction)) throw new RangeError(`${op}: correction must be a finite number, got ${correction}`);
  return { correction, keepdim: o.keepdim ?? false };
}

function checkFloating(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${typeof x}`);
  if (!isFloating(x.dtype)) {
    throw new TypeError(`${op}: only supports floating point dtypes, but got ${x.dtype} (input of shape ${fmtShape(x.shape)})`);
  }
}

/** [variance, mean] sharing the centred computation; mean has the variance's shape. */
function varAndMean(op: string, x: Tensor, dim: Dims, opts: VarOptions | boolean | undefined, keepdimArg: boolean | undefined): [Tensor, Tensor] {
  checkFloating(op, x);
  const { correction, keepdim } = resolveVarOptions(op, opts, keepdimArg);
  const axes = reductionAxes(op, x, dim);
  let n = 1;
  for (const a of axes) n *= x.shape[a]!;
  return tidy(() => {
    const mu = mean(x, axes, true);
    const d = x.sub(mu);
    const ss = sum(d.mul(d), axes, keepdim);
    // n - correction <= 0 gives inf/nan, as in PyTorch.
    const v = ss.div(Math.max(0, n - correction));
    return [v, keepdim ? mu : squeeze(mu, axes)];
  });
}

/** sqrt with a zero (not NaN) gradient where the argument is 0, as PyTorch's std/norm backward. */
function safeSqrt(v: Tensor): Tensor {
  return tidy(() => {
    const z = v.eq(0);
    return where(z, 0, sqrt(where(z, 1, v)));
  });
}

/** torch.var over `dim` (all dims when omitted); correction defaults to 1 (unbiased). */
export function variance(x: Tensor, dim?: Dims, opts?: VarOptions | boolean, keepdim?: boolean): Tensor {
  const [v, mu] = varAndMean('var', x, dim, opts, keepdim);
  mu.dispose();
  return v;
}

/** torch.std: square root of var; the gradient is 0 (not NaN) where the std is 0. */
export function std(x: Tensor, dim?: Dims, opts?: VarOptions | boolean, keepdim?: boolean): Tensor {
  const [v, mu] = varAndMean('std', x, dim, opts, keepdim);
  mu.dispose();
  const out = safeSqrt(v);
  v.dispose();
  return out;
}

/** torch.var_mean: [var, mean]. */
export function varMean(x: Tensor, dim?: Dims, opts?: VarOptions | boolean, keepdim?: boolean): [Tensor, Tensor] {
  return varAndMean('varMean', x, dim, opts, keepdim);
}

/** torch.std_mean: [std, mean]. */
export function stdMean(x: Tensor, dim?: Dims, opts?: VarOptions | boolean, keepdim?: boolean): [Tensor, Tensor] {
  const [v, mu] = varAndMean('stdMean', x, dim, opts, keepdim);
  const s = safeSqrt(v);
  v.dispose();
  return [s, mu];
}

export { variance as var };

/** torch.logsumexp: log(sum(exp(x))) over dim, stable (the max is subtracted first). */
export function logsumexp(x: Tensor, dim: Dims, keepdim = false): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`logsumexp: expected a Tensor, got ${typeof x}`);
  const axes = reductionAxes('logsumexp', x, dim);
  const xf = cast(x, floatDtypeOf(x.dtype));
  const out = tidy(() => {
    if (xf.numel === 0) return log(sum(xf.exp(), axes, keepdim));
    // The shift carries no gradient; infinite maxes (all -inf, or +inf) are replaced by 0 as PyTorch.
    const m = noGrad(() => {
      const mx = amax(xf, axes, true);
      return where(abs(mx).eq(Infinity), 0, mx);
    });
    const s = sum(xf.sub(m).exp(), axes, keepdim);
    return log(s).add(keepdim ? m : squeeze(m, axes));
  });
  if (xf !== x) xf.dispose();
  return out;
}

export type NormOrder = number | 'fro';

/**
 * torch.norm: vector p-norm over `dim` (all elements when omitted). p may be 'fro' (= 2),
 * any number, Infinity or -Infinity. At a zero input the gradient is 0, as in PyTorch.
 */
export function norm(x: Tensor, p: NormOrder | null = 'fro', dim?: Dims, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`norm: expected a Tensor, got ${typeof x}`);
  const pp = p === null ? 'fro' : p;
  if (typeof pp === 'string' && pp !== 'fro') {
    throw new RangeError(`norm: unsupported p '${pp}' (expected 'fro' or a number; use the matrix norms for 'nuc')`);
  }
  const xin = opts.dtype ? cast(x, opts.dtype) : x;
  checkFloating('norm', xin);
  const axes = reductionAxes('norm', xin, dim);
  const out = tidy(() => {
    if (pp === 'fro' || pp === 2) return safeSqrt(sum(xin.mul(xin), axes, keepdim));
    if (pp === 1) return sum(abs(xin), axes, keepdim);
    if (pp === Infinity) return amax(abs(xin), axes, keepdim);
    if (pp === -Infinity) return amin(abs(xin), axes, keepdim);
    if (pp === 0) {
      // count of non-zeros; kept in the graph with a zero gradient
      return sum(xin.ne(0).to(xin.dtype), axes, keepdim).add(sum(xin.mul(0), axes, keepdim));
    }
    if (Number.isNaN(pp)) throw new RangeError('norm: p must not be NaN');
    const s = sum(abs(xin).pow(pp), axes, keepdim);
    const z = s.eq(0);
    return where(z, 0, where(z, 1, s).pow(1 / pp));
  });
  if (xin !== x) xin.dispose();
  return out;
}

/** A view of t reversed along dim (negative stride), differentiable. */
function flipView(t: Tensor, d: number): Tensor {
  const n = t.shape[d]!;
  if (n <= 1) return t;
  const strides = [...t.strides];
  strides[d] = -strides[d]!;
  const out = makeView(t, t.shape, strides, t.offset + (n - 1) * t.strides[d]!);
  if (needsGrad(t)) record('FlipBackward', [t], [out], ([g]) => [flipView(g, d)]);
  return out;
}

/** torch.cumsum: inclusive running sum along dim (integer and bool inputs give int64). */
export function cumsum(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`cumsum: expected a Tensor, got ${typeof x}`);
  const dt = opts.dtype ?? (isFloating(x.dtype) ? x.dtype : 'int64');
  const xin = cast(x, dt);
  const b = backendOf('cumsum', xin);
  if (xin.ndim === 0) {
    const out = xin.mul(1);
    if (xin !== x) xin.dispose();
    return out;
  }
  const d = normDim('cumsum', dim, xin.ndim);
  const out = empty(b, dt, xin.shape);
  if (out.numel > 0) b.cumsum(xin._view('cumsum'), d, out.storage.buf);
  if (needsGrad(xin)) {
    // The gradient is the reversed running sum of g: flip, scan, flip back.
    record('CumsumBackward', [xin], [out], ([g]) => {
      const f = flipView(g, d);
      const c = cumsum(f, d);
      const r = flipView(c, d);
      if (f !== g) f.dispose();
      if (r !== c) c.dispose();
      return [r];
    });
  }
  if (xin !== x) xin.dispose();
  return out;
}

declare module '../tensor.js' {
  interface Tensor {
    var(dim?: Dims, opts?: VarOptions | boolean, keepdim?: boolean): Tensor;
    std(dim?: Dims, opts?: VarOptions | boolean, keepdim?: boolean): Tensor;
    logsumexp(dim: Dims, keepdim?: boolean): Tensor;
    norm(p?: NormOrder | null, dim?: Dims, keepdim?: boolean, opts?: { dtype?: DType }): Tensor;
    cumsum(dim: number, opts?: { dtype?: DType }): Tensor;
  }
}

const P = Tensor.prototype;
P.var = function (d, o, k) { return variance(this, d, o, k); };
P.std = function (d, o, k) { return std(this, d, o, k); };
P.logsumexp = function (d, k) { return logsumexp(this, d, k); };
P.norm = function (p, d, k, o) { return norm(this, p, d, k, o); };
P.cumsum = function (d, o) { return cumsum(this, d, o); };
