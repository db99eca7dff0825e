/**
 * torch.nn.functional equivalents: softmax family, normalisation layers (layer, batch, group,
 * instance), dropout, linear and normalize. softmax/logSoftmax carry explicit backward formulas
 * (written with differentiable ops, so double backward works) and use a backend's fused forward
 * when it has one; the rest are compositions of differentiable ops.
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { needsGrad, record } from '../../autograd/record.js';
import { isFloating, type DType } from '../../dtype.js';
import { fmtShape, normDim, numelOf } from '../../shape.js';
import { Tensor, tidy } from '../../tensor.js';
import { cast } from '../copy.js';
import { rand } from '../creation.js';
import { backendOf, empty, floatDtypeOf } from '../dispatch.js';
import { abs, add, div, exp, log, maximum, mul, pow, rsqrt, sqrt, sub, where } from '../elementwise.js';
import { matmul } from '../linalg.js';
import { amax, mean, sum } from '../reduction.js';
import { reshape, transpose } from '../views.js';

// ---- softmax family ----

type SoftmaxKind = 'softmax' | 'logSoftmax';

/** Shared driver: dtype handling, 0-d and empty inputs, fused forward, explicit backward. */
function softmaxImpl(kind: SoftmaxKind, x: Tensor, dim: number, dtype: DType | undefined): Tensor {
  const be = backendOf(kind, x);
  if (typeof dim !== 'number') throw new TypeError(`${kind}: expected dim to be a number, got ${typeof dim}`);
  const d = normDim(kind, dim, x.ndim);
  const dt = dtype ?? floatDtypeOf(x.dtype);
  if (!isFloating(dt)) throw new TypeError(`${kind}: expected a floating dtype, got ${dt}`);
  if (x.ndim === 0) {
    // A 0-d input is one element along a dimension of size 1.
    const x1 = reshape(x, [1]);
    const y1 = softmaxImpl(kind, x1, 0, dtype);
    const y = reshape(y1, []);
    x1.dispose();
    y1.dispose();
    return y;
  }
  const xin = cast(x, dt);
  let y: Tensor;
  const fused = be.overrides?.[kind];
  if (xin.numel === 0) {
    y = empty(be, dt, xin.shape);
  } else if (fused) {
    y = empty(be, dt, xin.shape);
    fused.call(be.overrides, xin._view(kind), d, y.storage.buf);
  } else {
    y = noGrad(() => tidy(() => (kind === 'softmax' ? softmaxComposite(xin, d) : logSoftmaxComposite(xin, d))));
  }
  if (needsGrad(xin)) {
    if (kind === 'softmax') {
      // dx = y * (g - sum(g * y, dim))
      record('SoftmaxBackward', [xin], [y], ([g], [ys]) => [
        tidy(() => mul(ys!, sub(g!, sum(mul(g!, ys!), d, true)))),
      ], [y]);
    } else {
      // dx = g - exp(y) * sum(g, dim)
      record('LogSoftmaxBackward', [xin], [y], ([g], [ys]) => [
        tidy(() => sub(g!, mul(exp(ys!), sum(g!, d, true)))),
      ], [y]);
    }
  }
  if (xin !== x) xin.dispose();
  return y;
}

function softmaxComposite(x: Tensor, d: number): Tensor {
  const e = exp(sub(x, amax(x, d, true)));
  return div(e, sum(e, d, true));
}

function logSoftmaxComposite(x: Tensor, d: number): Tensor {
  const z = sub(x, amax(x, d, true));
  return sub(z, log(sum(exp(z), d, true)));
}

/** torch.nn.functional.softmax: exp(x) / sum(exp(x), dim), computed stably; `dtype` casts the input first. */
export function softmax(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  return softmaxImpl('softmax', x, dim, opts.dtype);
}

/** torch.nn.functional.log_softmax: x - logsumexp(x, dim), computed stably; `dtype` casts the input first. */
export function logSoftmax(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  return softmaxImpl('logSoftmax', x, dim, opts.dtype);
}

// ---- helpers ----

function checkParam(op: string, name: string, p: Tensor | null | undefined, expected: readonly number[], what: string): void {
  if (p === null || p === undefined) return;
  if (!(p instanceof Tensor)) throw new TypeError(`${op}: expected ${name} to be a Tensor or null, got ${typeof p}`);
  if (p.numel !== numelOf(expected)) {
    throw new RangeError(`${op}: ${name} should contain ${numelOf(expected)} elements (${what}), but got ${name} of shape ${fmtShape(p.shape)}`);
  }
}

function checkFloatInput(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected input to be a Tensor, got ${typeof x}`);
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: expected a floating point input, got ${x.dtype}`);
}

/**
 * Checks shared by batchNorm and instanceNorm: a floating [N, C, *] input of at least `minDims`
 * dims, optional per-channel running statistics and affine parameters on the same backend.
 * Returns C.
 */
function checkChannelNormArgs(
  op: string,
  x: Tensor,
  minDims: number,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  weight: Tensor | null | undefined,
  bias: Tensor | null | undefined,
): number {
  checkFloatInput(op, x);
  if (x.ndim < minDims) throw new RangeError(`${op}: expected an input of at least ${minDims} dims [N, C, *], but got input of shape ${fmtShape(x.shape)}`);
  const c = x.shape[1]!;
  const what = `one per channel of input ${fmtShape(x.shape)}`;
  checkParam(op, 'runningMean', runningMean, [c], what);
  checkParam(op, 'runningVar', runningVar, [c], what);
  checkParam(op, 'weight', weight, [c], what);
  checkParam(op, 'bias', bias, [c], what);
  backendOf(op, x, runningMean, runningVar, weight, bias);
  return c;
}

/** Shape [1, C, 1, ...] of rank `rank` (per-channel parameters broadcast over an [N, C, *] input). */
function channelShape(c: number, rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i === 1 ? c : 1));
}

// ---- layer norm ----

/**
 * torch.nn.functional.layer_norm: normalise over the trailing `normalizedShape` dims (biased
 * variance), then scale by `weight` and shift by `bias` (both of shape normalizedShape).
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const op = 'layerNorm';
  checkFloatInput(op, x);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  if (k === 0) throw new RangeError(`${op}: expected normalizedShape to be at least 1-dimensional, i.e., containing at least one element`);
  const tail = x.shape.slice(x.ndim - k);
  if (x.ndim < k || tail.some((s, i) => s !== ns[i])) {
    throw new RangeError(`${op}: given normalizedShape=${fmtShape(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size ${fmtShape(x.shape)}`);
  }
  for (const [name, p] of [['weight', weight], ['bias', bias]] as const) {
    if (p && (p.ndim !== k || p.shape.some((s, i) => s !== ns[i]))) {
      throw new RangeError(`${op}: expected ${name} to be of same shape as normalizedShape, but got ${name} of shape ${fmtShape(p.shape)} and normalizedShape = ${fmtShape(ns)}`);
    }
  }
  const be = backendOf(op, x, weight, bias);
  const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const fused = be.overrides?.layerNorm;
  if (fused && (!weight || weight.dtype === x.dtype) && (!bias || bias.dtype === x.dtype)) {
    const out = empty(be, x.dtype, x.shape);
    if (out.numel > 0) fused.call(be.overrides, x._view(op), weight ? weight._view(op) : null, bias ? bias._view(op) : null, numelOf(ns), eps, out.storage.buf);
    if (needsGrad(x, weight, bias)) {
      const wantX = x.requiresGrad, wantW = !!weight?.requiresGrad, wantB = !!bias?.requiresGrad;
      record('LayerNormBackward', [x, weight, bias], [out], ([g], [xs, ws]) =>
        layerNormBackward(g!, xs!, weight ? ws! : null, axes, eps, wantX, wantW, wantB), weight ? [x, weight] : [x]);
    }
    return out;
  }
  return tidy(() => {
    const xc = sub(x, mean(x, axes, true));
    const variance = mean(mul(xc, xc), axes, true);
    let y = mul(xc, rsqrt(add(variance, eps)));
    if (weight) y = mul(y, weight);
    if (bias) y = add(y, bias);
    return y;
  });
}

/**
 * Gradients of layerNorm (for the fused forward) in differentiable ops, recomputing the row
 * statistics from x: dx = rstd * (gy - mean(gy) - xhat * mean(gy * xhat)) with gy = g * weight,
 * dweight = sum(g * xhat), dbias = sum(g) over the leading dims.
 */
function layerNormBackward(
  g: Tensor, x: Tensor, weight: Tensor | null, axes: number[], eps: number, wantX: boolean, wantW: boolean, wantB: boolean,
): (Tensor | null)[] {
  return tidy(() => {
    const lead = Array.from({ length: x.ndim - axes.length }, (_, i) => i);
    const overLead = (t: Tensor): Tensor => (lead.length > 0 ? sum(t, lead) : t);
    const xc = sub(x, mean(x, axes, true));
    const rstd = rsqrt(add(mean(mul(xc, xc), axes, true), eps));
    const xhat = mul(xc, rstd);
    let gx: Tensor | null = null;
    if (wantX) {
      const gy = weight ? mul(g, weight) : g;
      gx = mul(rstd, sub(sub(gy, mean(gy, axes, true)), mul(xhat, mean(mul(gy, xhat), axes, true))));
    }
    return [gx, wantW ? overLead(mul(g, xhat)) : null, wantB ? overLead(g) : null];
  });
}

// ---- batch norm ----

/**
 * torch.nn.functional.batch_norm over an [N, C, *] input. In training mode it normalises with
 * the batch statistics (biased variance) and updates `runningMean`/`runningVar` in place (when
 * given) with `momentum`, using the unbiased variance, as PyTorch; in eval mode it uses the
 * running statistics.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  weight?: Tensor | null,
  bias?: Tensor | null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  const op = 'batchNorm';
  const c = checkChannelNormArgs(op, x, 2, runningMean, runningVar, weight, bias);
  const cshape = channelShape(c, x.ndim);
  const axes = [...x.shape.keys()].filter((i) => i !== 1);
  const n = x.numel / Math.max(c, 1);
  if (!training && (!runningMean || !runningVar)) {
    throw new Error(`${op}: runningMean and runningVar must be given in evaluation mode (training=false)`);
  }
  if (training && n <= 1) {
    throw new RangeError(`${op}: expected more than 1 value per channel when training, got input of shape ${fmtShape(x.shape)}`);
  }
  return tidy(() => {
    let xc: Tensor, rstd: Tensor;
    if (training) {
      const mu = mean(x, axes, true);
      xc = sub(x, mu);
      const variance = mean(mul(xc, xc), axes, true);
      rstd = rsqrt(add(variance, eps));
      noGrad(() => {
        if (runningMean) runningMean.mul_(1 - momentum).add_(reshape(mu, runningMean.shape).mul(momentum));
        if (runningVar) runningVar.mul_(1 - momentum).add_(reshape(variance, runningVar.shape).mul((momentum * n) / (n - 1)));
      });
    } else {
      xc = sub(x, reshape(cast(runningMean!, x.dtype), cshape));
      rstd = rsqrt(add(reshape(cast(runningVar!, x.dtype), cshape), eps));
    }
    const scale = weight ? mul(rstd, reshape(weight, cshape)) : rstd;
    const y = mul(xc, scale);
    return bias ? add(y, reshape(bias, cshape)) : y;
  });
}

// ---- instance norm ----

/**
 * torch.nn.functional.instance_norm over an [N, C, *] input: each (sample, channel) is
 * normalised over its spatial dims. With running statistics and useInputStats, they are updated
 * in place with the batch average of the per-instance statistics (unbiased variance); with
 * useInputStats=false the running statistics are used instead.
 */
export function instanceNorm(
  x: Tensor,
  runningMean?: Tensor | null,
  runningVar?: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  useInputStats = true,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  const op = 'instanceNorm';
  const c = checkChannelNormArgs(op, x, 3, runningMean, runningVar, weight, bias);
  if (!useInputStats) {
    if (!runningMean || !runningVar) throw new Error(`${op}: expected runningMean and runningVar to be given when useInputStats=false`);
    return batchNorm(x, runningMean, runningVar, weight, bias, false, momentum, eps);
  }
  const cshape = channelShape(c, x.ndim);
  const axes = [...x.shape.keys()].slice(2);
  const n = numelOf(x.shape.slice(2));
  if (n <= 1) throw new RangeError(`${op}: expected more than 1 spatial element when training, got input of shape ${fmtShape(x.shape)}`);
  return tidy(() => {
    const mu = mean(x, axes, true);
    const xc = sub(x, mu);
    const variance = mean(mul(xc, xc), axes, true);
    const rstd = rsqrt(add(variance, eps));
    noGrad(() => {
      if (runningMean) runningMean.mul_(1 - momentum).add_(reshape(mean(mu, 0), runningMean.shape).mul(momentum));
      if (runningVar) runningVar.mul_(1 - momentum).add_(reshape(mean(variance, 0), runningVar.shape).mul((momentum * n) / (n - 1)));
    });
    const scale = weight ? mul(rstd, reshape(weight, cshape)) : rstd;
    const y = mul(xc, scale);
    return bias ? add(y, reshape(bias, cshape)) : y;
  });
}

// ---- group norm ----

/**
 * torch.nn.functional.group_norm: split the C channels of an [N, C, *] input into `numGroups`
 * groups, normalise each (sample, group) over its channels and spatial dims (biased variance),
 * then apply the per-channel `weight` and `bias`.
 */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const op = 'groupNorm';
  checkFloatInput(op, x);
  if (x.ndim < 2) throw new RangeError(`${op}: expected an input of at least 2 dims [N, C, *], but got input of shape ${fmtShape(x.shape)}`);
  const n = x.shape[0]!, c = x.shape[1]!;
  if (!Number.isInteger(numGroups) || numGroups <= 0 || c % numGroups !== 0) {
    throw new RangeError(`${op}: expected number of channels in input to be divisible by numGroups, but got input of shape ${fmtShape(x.shape)} and numGroups=${numGroups}`);
  }
  const what = `one per channel of input ${fmtShape(x.shape)}`;
  checkParam(op, 'weight', weight, [c], what);
  checkParam(op, 'bias', bias, [c], what);
  backendOf(op, x, weight, bias);
  const cshape = channelShape(c, x.ndim);
  const groupSize = n * numGroups === 0 ? 0 : x.numel / (n * numGroups);
  return tidy(() => {
    const xg = reshape(x, [n, numGroups, groupSize]);
    const xc = sub(xg, mean(xg, 2, true));
    const variance = mean(mul(xc, xc), 2, true);
    let y = reshape(mul(xc, rsqrt(add(variance, eps))), x.shape);
    if (weight) y = mul(y, reshape(weight, cshape));
    if (bias) y = add(y, reshape(bias, cshape));
    return y;
  });
}

// ---- dropout ----

/**
 * torch.nn.functional.dropout: in training, zero each element with probability p (a mask drawn
 * from the seeded default generator) and scale the kept ones by 1/(1-p). p=0 or training=false
 * returns x itself.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  const op = 'dropout';
  backendOf(op, x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
  if (p === 0 || !training || x.numel === 0) return x;
  const dt = floatDtypeOf(x.dtype);
  return tidy(() => {
    if (p === 1) return mul(x, 0);
    const u = rand(x.shape, { dtype: dt, device: x.device });
    // keep with probability 1-p: u in [0, 1) is >= p with probability 1-p
    return where(u.ge(p), mul(x, 1 / (1 - p)), 0);
  });
}

// ---- linear ----

/** torch.nn.functional.linear: x @ weight^T + bias, weight of shape [out, in] (or [in]), bias [out]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = 'linear';
  backendOf(op, x, weight, bias);
  if (weight.ndim !== 1 && weight.ndim !== 2) {
    throw new RangeError(`${op}: expected weight to be 1-D or 2-D [outFeatures, inFeatures], but got weight of shape ${fmtShape(weight.shape)}`);
  }
  if (x.ndim === 0) throw new RangeError(`${op}: expected input to have at least 1 dim, but got a 0-d input`);
  const inF = weight.shape[weight.ndim - 1]!;
  if (x.shape[x.ndim - 1] !== inF) {
    throw new RangeError(`${op}: input of shape ${fmtShape(x.shape)} and weight of shape ${fmtShape(weight.shape)} cannot be multiplied (${x.shape[x.ndim - 1]} != ${inF})`);
  }
  if (x.dtype !== weight.dtype) throw new TypeError(`${op}: expected input and weight to have the same dtype, but got ${x.dtype} and ${weight.dtype}`);
  if (x.ndim === 2 && weight.ndim === 2 && (!bias || (bias.dtype === x.dtype && bias.ndim === 1 && bias.shape[0] === weight.shape[0]))) return linear2d(x, weight, bias ?? null);
  return tidy(() => {
    const y = matmul(x, weight.ndim === 2 ? transpose(weight, 0, 1) : weight);
    return bias ? add(y, bias) : y;
  });
}

/**
 * linear on x [M, I], weight [O, I] as one node (PyTorch's addmm): the forward multiplies by a
 * transposed view of the weight (the GEMM reads it in place), and the weight gradient is
 * computed as g^T x, already [O, I] and contiguous, instead of the transpose of x^T g (which
 * .grad would copy). The backward is written with differentiable ops (double backward works).
 */
function linear2d(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const out = noGrad(() => {
    const wt = transpose(weight, 0, 1);
    const y = matmul(x, wt);
    wt.dispose();
    if (!bias) return y;
    const r = add(y, bias);
    y.dispose();
    return r;
  });
  if (needsGrad(x, weight, bias)) {
    record('AddmmBackward', [x, weight, bias], [out], ([g], [xs, ws]) => {
      let gt: Tensor | null = null;
      try {
        return [
          x.requiresGrad ? matmul(g!, ws!) : null,
          weight.requiresGrad ? matmul((gt = transpose(g!, 0, 1)), xs!) : null,
          bias?.requiresGrad ? sum(g!, 0) : null,
        ];
      } finally {
        gt?.dispose();
      }
    }, [x, weight]);
  }
  return out;
}

// ---- normalize ----

/**
 * torch.nn.functional.normalize: x / max(||x||_p, eps) along `dim` (defaults p=2, dim=1,
 * eps=1e-12). The gradient is finite at zero vectors.
 */
export function normalize(x: Tensor, opts: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  const op = 'normalize';
  checkFloatInput(op, x);
  const p = opts.p ?? 2, eps = opts.eps ?? 1e-12;
  const d = normDim(op, opts.dim ?? 1, x.ndim);
  if (!(p > 0)) throw new RangeError(`${op}: expected p > 0, got ${p}`);
  return tidy(() => {
    let denom: Tensor;
    if (p === Infinity) denom = maximum(amax(abs(x), d, true), eps);
    else if (p === 2) denom = sqrt(maximum(sum(mul(x, x), d, true), eps * eps));
    else if (p === 1) denom = maximum(sum(abs(x), d, true), eps);
    // max(s, eps^p)^(1/p) == max(s^(1/p), eps) and keeps the gradient finite where s = 0
    else denom = pow(maximum(sum(pow(abs(x), p), d, true), Math.pow(eps, p)), 1 / p);
    return div(x, denom);
  });
}

declare module '../../tensor.js' {
  interface Tensor {
    softmax(dim: number, opts?: { dtype?: DType }): Tensor;
    logSoftmax(dim: number, opts?: { dtype?: DType }): Tensor;
  }
}

const P = Tensor.prototype;
P.softmax = function (dim, opts) { return softmax(this, dim, opts); };
P.logSoftmax = function (dim, opts) { return logSoftmax(this, dim, opts); };
