/**
 * Loss functions (torch.nn.functional): mseLoss, l1Loss, smoothL1Loss, nllLoss, crossEntropy,
 * binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv, cosineSimilarity. Compositions of
 * differentiable ops (binaryCrossEntropy records its own node to match PyTorch's clamped
 * gradient), following PyTorch 1.13 semantics: weighted means divide by the sum of the
 * weights of the non-ignored targets.
 */
import { noGrad } from '../autograd/grad-mode.js';
import type { Overrides } from '../backend.js';
import { needsGrad, record } from '../autograd/record.js';
import { isFloating } from '../dtype.js';
import { broadcastShapes, fmtShape, normDim, sameShape } from '../shape.js';
import { Tensor, tidy } from '../tensor.js';
import { backendOf, empty, floatDtypeOf, resultTypeOf } from './dispatch.js';
import { arange } from './creation.js';
import { softmax } from './nn/normalization.js';
import { cast } from './copy.js';
import { gather, indexSelect } from './indexing.js';
import { amax, amin, sum } from './reduction.js';
import { abs, clamp, eq, exp, log, neg, where } from './elementwise.js';
import { logsumexp, norm } from './stats.js';
import { expand, reshape, squeeze, unsqueeze } from './views.js';

export type Reduction = 'mean' | 'sum' | 'none';

function applyReduction(op: string, loss: Tensor, reduction: Reduction | undefined): Tensor {
  switch (reduction ?? 'mean') {
    case 'mean': return loss.mean();
    case 'sum': return loss.sum();
    case 'none': return loss;
    default: throw new RangeError(`${op}: '${String(reduction)}' is not a valid value for reduction (expected 'mean', 'sum' or 'none')`);
  }
}

function checkTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected ${name} to be a Tensor, got ${t === null ? 'null' : typeof t}`);
}

/** input and target promoted to a common floating dtype. */
function floatPair(op: string, input: Tensor, target: Tensor): [Tensor, Tensor] {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  backendOf(op, input, target);
  const dt = floatDtypeOf(resultTypeOf(input, target));
  return [cast(input, dt), cast(target, dt)];
}

/** Private, stable log-softmax: x - logsumexp(x) (a backend's fused kernel when no grad is needed). */
function logSoftmaxStable(x: Tensor, dim: number): Tensor {
  const fused = x.storage.backend.overrides?.logSoftmax;
  if (fused && !needsGrad(x) && x.numel > 0) {
    const out = empty(x.storage.backend, x.dtype, x.shape);
    fused(x._view('logSoftmax'), dim, out.storage.buf);
    return out;
  }
  return tidy(() => x.sub(logsumexp(x, dim, true)));
}

/** torch.nn.functional.mse_loss: (input - target)^2, reduced. */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return tidy(() => {
    const [x, t] = floatPair('mseLoss', input, target);
    const d = x.sub(t);
    return applyReduction('mseLoss', d.mul(d), opts.reduction);
  });
}

/** torch.nn.functional.l1_loss: |input - target|, reduced. */
export function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return tidy(() => {
    const [x, t] = floatPair('l1Loss', input, target);
    return applyReduction('l1Loss', abs(x.sub(t)), opts.reduction);
  });
}

/** torch.nn.functional.smooth_l1_loss: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta. */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; beta?: number } = {}): Tensor {
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) throw new RangeError(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  return tidy(() => {
    const [x, t] = floatPair('smoothL1Loss', input, target);
    const d = x.sub(t);
    const ad = abs(d);
    const loss = beta === 0 ? ad : where(ad.lt(beta), d.mul(d).mul(0.5 / beta), ad.sub(0.5 * beta));
    return applyReduction('smoothL1Loss', loss, opts.reduction);
  });
}

export interface NllLossOptions {
  /** Per-class rescaling weight, shape [C]. */
  weight?: Tensor | null;
  /** Target value that contributes nothing (neither to the loss nor to the mean's divisor). */
  ignoreIndex?: number;
  reduction?: Reduction;
}

interface ClassTargets {
  classDim: number;
  numClasses: number;
  /** target with ignored entries replaced by 0 (int64). */
  safe: Tensor;
  /** true where the target is not ignored. */
  valid: Tensor;
  /** weight[target] (or 1), zero where ignored, in the input's dtype; the weighted mean's divisor is its sum. */
  w: Tensor;
}

function classTargets(op: string, input: Tensor, target: Tensor, weight: Tensor | null | undefined, ignoreIndex: number): ClassTargets {
  if (input.ndim < 1) throw new RangeError(`${op}: input must have at least 1 dimension, got shape ${fmtShape(input.shape)}`);
  if (isFloating(target.dtype) || target.dtype === 'bool') {
    throw new TypeError(`${op}: expected target of an integer dtype (class indices), got ${target.dtype}`);
  }
  const classDim = input.ndim === 1 ? 0 : 1;
  const numClasses = input.shape[classDim]!;
  const expected = input.shape.filter((_, i) => i !== classDim);
  if (!sameShape(expected, target.shape)) {
    throw new RangeError(`${op}: expected target of shape ${fmtShape(expected)} for input of shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`);
  }
  if (weight) {
    checkTensor(op, 'weight', weight);
    if (weight.ndim !== 1 || weight.shape[0] !== numClasses) {
      throw new RangeError(`${op}: weight must be a 1-D tensor of ${numClasses} elements (one per class), got shape ${fmtShape(weight.shape)}`);
    }
  }
  const t64 = cast(target, 'int64');
  const valid = t64.ne(ignoreIndex);
  const safe = where(valid, t64, 0);
  if (safe.numel > 0 && safe.storage.backend.capabilities.syncRead) {
    const lo = amin(safe), hi = amax(safe);
    const l = lo.itemSync(), h = hi.itemSync();
    lo.dispose();
    hi.dispose();
    if (l < 0 || h >= numClasses) {
      throw new RangeError(`${op}: target ${l < 0 ? l : h} is out of bounds: expected class indices in [0, ${numClasses - 1}] (or ignoreIndex ${ignoreIndex})`);
    }
  }
  const validF = valid.to(input.dtype);
  const w = weight ? reshape(indexSelect(cast(weight, input.dtype), 0, reshape(safe, [-1])), target.shape).mul(validF) : validF;
  return { classDim, numClasses, safe, valid, w };
}

/** torch.nn.functional.nll_loss: -weight[t] * input[n, t, ...] for log-probability input [N, C, d1...] (or [C]). */
export function nllLoss(input: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  checkTensor('nllLoss', 'input', input);
  checkTensor('nllLoss', 'target', target);
  backendOf('nllLoss', input, target, opts.weight);
  if (!isFloating(input.dtype)) throw new TypeError(`nllLoss: expected a floating point input, got ${input.dtype}`);
  const reduction = opts.reduction ?? 'mean';
  return tidy(() => nllWithTargets(input, classTargets('nllLoss', input, target, opts.weight, opts.ignoreIndex ?? -100), reduction));
}

function nllWithTargets(input: Tensor, ct: ClassTargets, reduction: Reduction): Tensor {
  const picked = squeeze(gather(input, ct.classDim, unsqueeze(ct.safe, ct.classDim)), ct.classDim);
  const loss = neg(picked.mul(ct.w));
  if (reduction === 'mean') return loss.sum().div(ct.w.sum());
  return applyReduction('nllLoss', loss, reduction);
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the target with the uniform distribution: (1 - s) * target + s / C. */
  labelSmoothing?: number;
}

/** Per-class weight shaped to broadcast along the class dim of an input of rank `ndim`. */
function weightAlongClassDim(weight: Tensor, ndim: number, classDim: number, dtype: Tensor['dtype']): Tensor {
  return reshape(cast(weight, dtype), Array.from({ length: ndim }, (_, i) => (i === classDim ? weight.numel : 1)));
}

/**
 * torch.nn.functional.cross_entropy for logits [N, C, d1...] (or [C]) with class-index targets
 * [N, d1...], or class-probability targets of the input's shape.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  checkTensor('crossEntropy', 'input', input);
  checkTensor('crossEntropy', 'target', target);
  backendOf('crossEntropy', input, target, opts.weight);
  if (!isFloating(input.dtype)) throw new TypeError(`crossEntropy: expected a floating point input, got ${input.dtype}`);
  if (input.ndim < 1) throw new RangeError(`crossEntropy: input must have at least 1 dimension, got shape ${fmtShape(input.shape)}`);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`crossEntropy: labelSmoothing must be between 0.0 and 1.0, got ${eps}`);
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new RangeError(`crossEntropy: '${String(reduction)}' is not a valid value for reduction (expected 'mean', 'sum' or 'none')`);
  }
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const weight = opts.weight ?? null;
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim]!;
  const fused = input.storage.backend.overrides?.crossEntropy;
  if (
    fused && (input.dtype === 'float32' || input.dtype === 'float64') && input.ndim <= 2 && input.numel > 0 &&
    (target.dtype === 'int64' || target.dtype === 'int32') && sameShape(input.shape.slice(0, input.ndim - 1), target.shape) &&
    (!weight || (weight.dtype === input.dtype && weight.ndim === 1 && weight.numel === C && !needsGrad(weight)))
  ) {
    return crossEntropyFused(fused, input, target, weight, ignoreIndex, eps, reduction);
  }
  return tidy(() => {
    const logp = logSoftmaxStable(input, classDim);
    if (sameShape(input.shape, target.shape)) {
      // class probabilities
      if (!isFloating(target.dtype)) {
        throw new TypeError(`crossEntropy: expected a floating point target for class probabilities (target shape equals input shape ${fmtShape(input.shape)}), got ${target.dtype}`);
      }
      if (ignoreIndex >= 0) throw new RangeError('crossEntropy: ignoreIndex is not supported for floating point (class probability) targets');
      if (weight && (weight.ndim !== 1 || weight.numel !== C)) {
        throw new RangeError(`crossEntropy: weight must be a 1-D tensor of ${C} elements (one per class), got shape ${fmtShape(weight.shape)}`);
      }
      let t = cast(target, input.dtype);
      if (eps > 0) t = t.mul(1 - eps).add(eps / C);
      let prod = logp.mul(t);
      if (weight) prod = prod.mul(weightAlongClassDim(weight, input.ndim, classDim, input.dtype));
      if (reduction === 'none') return neg(sum(prod, classDim));
      if (reduction === 'sum') return neg(prod.sum());
      return neg(prod.sum()).div(input.numel / C);
    }
    const ct = classTargets('crossEntropy', input, target, weight, ignoreIndex);
    const nll = nllWithTargets(logp, ct, reduction);
    if (eps === 0) return nll;
    const { valid, w } = ct;
    let smooth = weight ? neg(sum(logp.mul(weightAlongClassDim(weight, input.ndim, classDim, input.dtype)), classDim)) : neg(sum(logp, classDim));
    smooth = where(valid, smooth, 0);
    let ret: Tensor;
    if (reduction === 'none') ret = smooth;
    else if (reduction === 'sum') ret = smooth.sum();
    else ret = smooth.sum().div(w.sum());
    return nll.mul(1 - eps).add(ret.mul(eps / C));
  });
}

/**
 * crossEntropy through a backend's fused kernel (logits [N, C] or [C], class-index targets);
 * the gradient is written in differentiable ops:
 * scale * ((1 - s) w[t] (softmax(x) - onehot(t)) + (s / C) (softmax(x) sum(w) - w)), zero on
 * ignored rows, scale = g (g / sum(w[t]) for 'mean').
 */
function crossEntropyFused(
  fused: NonNullable<Overrides['crossEntropy']>,
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
  eps: number,
  reduction: Reduction,
): Tensor {
  const op = 'crossEntropy';
  const C = input.shape[input.ndim - 1]!;
  const N = input.ndim === 2 ? input.shape[0]! : 1;
  const x2 = input.ndim === 1 ? reshape(input, [1, C]) : input;
  const t1 = target.ndim === 0 ? reshape(target, [1]) : target;
  const out = empty(input.storage.backend, input.dtype, reduction === 'none' ? target.shape : []);
  try {
    fused(x2._view(op), t1._view(op), weight ? weight._view(op) : null, ignoreIndex, eps, reduction, out.storage.buf);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    if (x2 !== input) x2.dispose();
    if (t1 !== target) t1.dispose();
  }
  if (needsGrad(input)) {
    record('CrossEntropyBackward', [input], [out], ([g], [xs, ts, ws]) => [tidy(() => {
      const x = reshape(xs!, [N, C]);
      const t = reshape(cast(ts!, 'int64'), [N]);
      const p = softmax(x, 1);
      const valid = t.ne(ignoreIndex);
      const validF = valid.to(input.dtype);
      const safe = where(valid, t, 0);
      const onehot = eq(unsqueeze(safe, 1), arange(C, undefined, 1, { dtype: 'int64', device: input.device })).to(input.dtype);
      const wt = weight ? indexSelect(ws!, 0, safe).mul(validF) : validF;
      let gx = p.sub(onehot).mul(unsqueeze(wt, 1));
      if (eps > 0) {
        const smooth = weight ? p.mul(sum(ws!)).sub(ws!) : p.mul(C).sub(1);
        gx = gx.mul(1 - eps).add(smooth.mul(unsqueeze(validF, 1)).mul(eps / C));
      }
      const scale = reduction === 'none' ? unsqueeze(reshape(g!, [N]), 1) : reduction === 'sum' ? g! : g!.div(wt.sum());
      return reshape(gx.mul(scale), input.shape);
    })], weight ? [input, target, weight] : [input, target]);
  }
  return out;
}

function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(`${op}: using a target size (${fmtShape(target.shape)}) that is different to the input size (${fmtShape(input.shape)}) is not supported`);
  }
}

/**
 * torch.nn.functional.binary_cross_entropy for probabilities: the logs are clamped at -100 and
 * the input gradient is (x - t) / max(x (1 - x), 1e-12), as PyTorch.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  const op = 'binaryCrossEntropy';
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  backendOf(op, input, target, opts.weight);
  checkSameShape(op, input, target);
  return tidy(() => {
    const [x, t] = floatPair(op, input, target);
    const w = opts.weight ? expand(cast(opts.weight, x.dtype), x.shape) : null;
    const loss = noGrad(() => tidy(() => {
      const l = neg(t.mul(clamp(log(x), -100)).add(t.rsub(1).mul(clamp(log(x.rsub(1)), -100))));
      return w ? l.mul(w) : l;
    }));
    if (needsGrad(x, t)) {
      const wantX = x.requiresGrad, wantT = t.requiresGrad;
      record('BinaryCrossEntropyBackward', [x, t], [loss], ([g], [sx, st, sw]) => {
        const gw = sw ? g.mul(sw) : g;
        const gx = wantX ? gw.mul(sx!.sub(st!)).div(clamp(sx!.rsub(1).mul(sx!), 1e-12)) : null;
        const gt = wantT ? gw.mul(clamp(log(sx!.rsub(1)), -100).sub(clamp(log(sx!), -100))) : null;
        return [gx, gt];
      }, w ? [x, t, w] : [x, t]);
    }
    return applyReduction(op, loss, opts.reduction);
  });
}

/**
 * torch.nn.functional.binary_cross_entropy_with_logits, stable for large |logits|:
 * (1 - t) x + (1 + (posWeight - 1) t) (log(e^-m + e^(-x-m)) + m), m = max(-x, 0).
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  backendOf(op, input, target, opts.weight, opts.posWeight);
  checkSameShape(op, input, target);
  return tidy(() => {
    const [x, t] = floatPair(op, input, target);
    const m = clamp(neg(x), 0);
    const softplusNegX = log(exp(neg(m)).add(exp(neg(x).sub(m)))).add(m);
    let loss: Tensor;
    if (opts.posWeight) {
      const logWeight = cast(opts.posWeight, x.dtype).sub(1).mul(t).add(1);
      loss = t.rsub(1).mul(x).add(logWeight.mul(softplusNegX));
    } else {
      loss = t.rsub(1).mul(x).add(softplusNegX);
    }
    if (opts.weight) loss = loss.mul(cast(opts.weight, x.dtype));
    if (!sameShape(loss.shape, x.shape)) {
      throw new RangeError(`${op}: weight/posWeight must broadcast to the input shape ${fmtShape(x.shape)}, got loss of shape ${fmtShape(loss.shape)}`);
    }
    return applyReduction(op, loss, opts.reduction);
  });
}

/**
 * torch.nn.functional.kl_div: pointwise target * (log(target) - input) for log-probability
 * input; with logTarget the target is given as log-probabilities too.
 */
export function klDiv(input: Tensor, target: Tensor, opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  const op = 'klDiv';
  const reduction = opts.reduction ?? 'mean';
  return tidy(() => {
    const [x, t] = floatPair(op, input, target);
    let loss: Tensor;
    if (opts.logTarget) loss = exp(t).mul(t.sub(x));
    else {
      // xlogy(t, t) is 0 where t == 0 (with a zero gradient there)
      const z = t.eq(0);
      const tlogt = where(z, 0, t.mul(log(where(z, 1, t))));
      loss = tlogt.sub(t.mul(x));
    }
    if (reduction === 'batchmean') return loss.sum().div(loss.ndim > 0 ? loss.shape[0]! : 1);
    return applyReduction(op, loss, reduction);
  });
}

/**
 * torch.nn.functional.cosine_similarity along dim, broadcasting x1 and x2:
 * sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps)) as PyTorch 1.13 (the clamp carries no gradient).
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, opts: { dim?: number; eps?: number } = {}): Tensor {
  const op = 'cosineSimilarity';
  checkTensor(op, 'x1', x1);
  checkTensor(op, 'x2', x2);
  const eps = opts.eps ?? 1e-8;
  return tidy(() => {
    const [a0, b0] = floatPair(op, x1, x2);
    const shape = broadcastShapes(op, a0.shape, b0.shape);
    const a = expand(a0, shape), b = expand(b0, shape);
    const d = normDim(op, opts.dim ?? 1, shape.length);
    const unit = (v: Tensor): Tensor => {
      const n = norm(v, 2, d, true);
      const shift = noGrad(() => clamp(n, eps).sub(n));
      return v.div(n.add(shift));
    };
    return sum(unit(a).mul(unit(b)), d);
  });
}

declare module '../tensor.js' {
  interface Tensor {
    /** Log-probabilities [N, C, ...] against class indices (see nllLoss). */
    nllLoss(target: Tensor, opts?: NllLossOptions): Tensor;
    /** Logits [N, C, ...] against class indices or probabilities (see crossEntropy). */
    crossEntropy(target: Tensor, opts?: CrossEntropyOptions): Tensor;
  }
}
const P = Tensor.prototype;
P.nllLoss = function (t, o) { return nllLoss(this, t, o); };
P.crossEntropy = function (t, o) { return crossEntropy(this, t, o); };
