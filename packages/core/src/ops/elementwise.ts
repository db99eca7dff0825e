/**
 * Elementwise ops. Primitives (backend unary/binary/where kernels) carry explicit gradient
 * formulas written with differentiable ops, so double backward comes for free; activations are
 * compositions of primitives and need no gradient code of their own.
 */
import { isGradEnabled } from '../autograd/grad-mode.js';
import { needsGrad, record } from '../autograd/record.js';
import { BOOL_BINARY, type Backend, type BinaryOp, type UnaryOp, type View } from '../backend.js';
import { isFloating, type DType } from '../dtype.js';
import { broadcastShapes, fmtShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty, emptyOwned, floatDtypeOf, resultTypeOf, resultTypeOf2, scalarTensor, type TensorOrScalar } from './dispatch.js';
import { cast, rawCast } from './copy.js';
import { sumToShape } from './reduction.js';
import { expand } from './views.js';

/** A view broadcast to `shape` (stride 0 on expanded dims), for kernels only. */
export function broadcastView(t: Tensor, shape: readonly number[], op: string): View {
  const v = t._view(op);
  if (shapesEqual(t.shape, shape)) return v;
  const lead = shape.length - t.ndim;
  const strides = shape.map((s, i) => {
    const j = i - lead;
    return j < 0 || t.shape[j] === 1 ? (j >= 0 && s === 1 ? t.strides[j]! : 0) : t.strides[j]!;
  });
  return { ...v, shape, strides };
}

/** x as a tensor of `dtype` on like's device; a new tensor (not x) must be disposed by the caller. */
function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function asTensorLike(x: TensorOrScalar, dtype: DType, like: Tensor, op: string): Tensor {
  if (x instanceof Tensor) return x.dtype === dtype ? x : cast(x, dtype);
  if (typeof x !== 'number' && typeof x !== 'boolean') throw new TypeError(`${op}: expected a Tensor or a number, got ${typeof x}`);
  // A temporary the caller disposes in a finally: no tidy tracking or finalization needed.
  return scalarTensor(x, dtype, like.storage.backend, 'temp');
}

/** Run a unary kernel (no autograd). */
export function rawUnary(op: UnaryOp, x: Tensor): Tensor {
  const b = backendOf(op, x);
  const out = empty(b, op === 'logicalNot' || op === 'isnan' ? 'bool' : x.dtype, x.shape);
  if (out.numel > 0) b.unary(op, x._view(op), out.storage.buf);
  return out;
}

/** Run a binary kernel on same-dtype inputs with broadcasting (no autograd). */
export function rawBinary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const be = backendOf2(op, a, b);
  const shape = shapesEqual(a.shape, b.shape) ? a.shape.slice() : broadcastShapes(op, a.shape, b.shape);
  const out = emptyOwned(be, BOOL_BINARY.has(op) ? 'bool' : a.dtype, shape);
  if (out.numel > 0) be.binary(op, broadcastView(a, shape, op), broadcastView(b, shape, op), out.storage.buf);
  return out;
}

/** backendOf(op, a, b) for two tensors, without the rest-argument array. */
function backendOf2(op: string, a: Tensor, b: Tensor): Backend {
  if (!(a instanceof Tensor) || !(b instanceof Tensor) || a.isDisposed || b.isDisposed || a.storage.backend !== b.storage.backend) {
    return backendOf(op, a, b); // throws the right error (or agrees)
  }
  return a.storage.backend;
}

/** Promote two operands to their result type as tensors on a's (or b's) device. */
function promote(op: string, a: TensorOrScalar, b: TensorOrScalar, computeDtype?: (d: DType) => DType): [Tensor, Tensor, DType] {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : null;
  if (!like) throw new TypeError(`${op}: expected at least one Tensor argument`);
  if (a instanceof Tensor && b instanceof Tensor) backendOf2(op, a, b); // alive, same device
  else like._assertAlive(op);
  let dt = resultTypeOf2(a, b);
  if (computeDtype) dt = computeDtype(dt);
  const ta = asTensorLike(a, dt, like, op);
  let tb: Tensor;
  try {
    tb = asTensorLike(b, dt, like, op);
  } catch (e) {
    disposeTemp(ta, a);
    throw e;
  }
  return [ta, tb, dt];
}

/** fn(t), then dispose the temporary t (graph nodes keep what backward needs through edges and saved aliases). */
function withTemp<T>(t: Tensor, fn: (t: Tensor) => T): T {
  try {
    return fn(t);
  } finally {
    t.dispose();
  }
}

/** Build a composite op; intermediates passed through `tmp` are disposed once it returns. */
function composite(fn: (tmp: (t: Tensor) => Tensor) => Tensor): Tensor {
  const temps: Tensor[] = [];
  try {
    return fn((t) => (temps.push(t), t));
  } finally {
    for (const t of temps) t.dispose();
  }
}

// Promoted copies and scalar tensors are temporaries: nodes keep what they need through edges
// and saved aliases, so the tensor objects can go at once.
function disposeTemp(t: Tensor, orig: TensorOrScalar): void {
  if (t !== orig) t.dispose();
}

// ---- binary arithmetic ----

type BinaryGrad = (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null];

/**
 * `saves`: what the gradient formula reads besides g: 'inputs' (a and b), 'out' (a, b and the
 * output) or 'none' (add and sub need only g, so, as in PyTorch, nothing is saved).
 */
function binary(op: BinaryOp, name: string, x: TensorOrScalar, y: TensorOrScalar, grad: BinaryGrad | null, computeDtype?: (d: DType) => DType, saves: 'inputs' | 'out' | 'none' = 'inputs'): Tensor {
  const [a, b] = promote(op, x, y, computeDtype);
  try {
    const out = rawBinary(op, a, b);
    if (grad && isGradEnabled() && (a.requiresGrad || b.requiresGrad)) {
      const aShape = [...a.shape], bShape = [...b.shape];
      const wantA = a.requiresGrad, wantB = b.requiresGrad;
      record(name, [a, b], [out], ([g], [sa, sb, so]) => {
        const [ga, gb] = grad(g, sa!, sb!, so ?? out);
        return [wantA && ga ? sumToShape(ga, aShape) : null, wantB && gb ? sumToShape(gb, bShape) : null];
      }, saves === 'none' ? [] : saves === 'out' ? [a, b, out] : [a, b]);
    }
    return out;
  } finally {
    disposeTemp(a, x);
    disposeTemp(b, y);
  }
}

const toFloat = (d: DType): DType => floatDtypeOf(d);
const addGrad: BinaryGrad = (g) => [g, g];
const subGrad: BinaryGrad = (g) => [g, neg(g)];

/** a + alpha * b */
export function add(a: TensorOrScalar, b: TensorOrScalar, opts: { alpha?: number } = {}): Tensor {
  if (opts.alpha !== undefined && opts.alpha !== 1) return withTemp(mul(b, opts.alpha), (bs) => add(a, bs));
  return binary('add', 'AddBackward', a, b, addGrad, undefined, 'none');
}
/** a - alpha * b */
export function sub(a: TensorOrScalar, b: TensorOrScalar, opts: { alpha?: number } = {}): Tensor {
  if (opts.alpha !== undefined && opts.alpha !== 1) return withTemp(mul(b, opts.alpha), (bs) => sub(a, bs));
  if (resultTypeOf(a, b) === 'bool') throw new TypeError('sub: subtraction with two bool tensors is not supported; use logicalXor() instead');
  return binary('sub', 'SubBackward', a, b, subGrad, undefined, 'none');
}
export function mul(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('mul', 'MulBackward', a, b, (g, x, y) => [mul(g, y), mul(g, x)]);
}
/** True division (integers promote to float); roundingMode 'trunc' or 'floor' as torch.div. */
export function div(a: TensorOrScalar, b: TensorOrScalar, opts: { roundingMode?: 'trunc' | 'floor' | null } = {}): Tensor {
  if (opts.roundingMode === 'floor') return floorDivide(a, b);
  if (opts.roundingMode === 'trunc') {
    const dt = resultTypeOf(a, b);
    if (!isFloating(dt)) return binary('div', 'DivBackward', a, b, null);
    return withTemp(div(a, b), (q) => trunc(q));
  }
  return binary('div', 'DivBackward', a, b, (g, x, y) => [div(g, y), neg(mul(g, x)).div(mul(y, y))], toFloat);
}
export function pow(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('pow', 'PowBackward', a, b, (g, x, y) => {
    const ga = mul(g, mul(y, pow(x, sub(y, 1))));
    // d/dy x^y = x^y log x; defined as 0 where x == 0 and y >= 0, as PyTorch.
    const gb = x.requiresGrad || y.requiresGrad ? mul(g, where(x.eq(0).logicalAnd(y.ge(0)), 0, mul(pow(x, y), log(x)))) : null;
    return [ga, gb];
  });
}
export function maximum(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('maximum', 'MaximumBackward', a, b, (g, x, y) => tieSplit(g, x, y, 'gt'));
}
export function minimum(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('minimum', 'MinimumBackward', a, b, (g, x, y) => tieSplit(g, x, y, 'lt'));
}
// Ties share the gradient equally, as torch.maximum/minimum.
function tieSplit(g: Tensor, x: Tensor, y: Tensor, win: 'gt' | 'lt'): [Tensor, Tensor] {
  const wx = where(x.eq(y), 0.5, where(win === 'gt' ? x.gt(y) : x.lt(y), 1, 0)).to(g.dtype);
  return [mul(g, wx), mul(g, rsub(wx, 1))];
}
export function atan2(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('atan2', 'Atan2Backward', a, b, (g, x, y) => {
    const den = add(mul(x, x), mul(y, y));
    return [mul(g, y).div(den), neg(mul(g, x)).div(den)];
  }, toFloat);
}
/** Python-style remainder (sign of the divisor). */
export function remainder(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('remainder', 'RemainderBackward', a, b, (g, x, y) => [g, neg(mul(g, floorDivide(x, y)))]);
}
export function floorDivide(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('floorDivide', 'FloorDivideBackward', a, b, null);
}
/** b - a (torch.rsub) */
export function rsub(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return sub(b, a);
}

// ---- comparisons and logic (bool results, no gradient) ----

function compare(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary(op, op, a, b, null);
}
export const eq = (a: TensorOrScalar, b: TensorOrScalar): Tensor => compare('eq', a, b);
export const ne = (a: TensorOrScalar, b: TensorOrScalar): Tensor => compare('ne', a, b);
export const lt = (a: TensorOrScalar, b: TensorOrScalar): Tensor => compare('lt', a, b);
export const le = (a: TensorOrScalar, b: TensorOrScalar): Tensor => compare('le', a, b);
export const gt = (a: TensorOrScalar, b: TensorOrScalar): Tensor => compare('gt', a, b);
export const ge = (a: TensorOrScalar, b: TensorOrScalar): Tensor => compare('ge', a, b);
export const logicalAnd = (a: TensorOrScalar, b: TensorOrScalar): Tensor => compare('logicalAnd', a, b);
export const logicalOr = (a: TensorOrScalar, b: TensorOrScalar): Tensor => compare('logicalOr', a, b);
export const logicalXor = (a: TensorOrScalar, b: TensorOrScalar): Tensor => compare('logicalXor', a, b);

// ---- unary primitives ----

type UnaryGrad = (g: Tensor, x: Tensor, y: Tensor) => Tensor | null;

function unary(op: UnaryOp, name: string, x: Tensor, grad: UnaryGrad | null, floatOnly = true, saveOut = false): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${typeof x}`);
  x._assertAlive(op);
  const xin = floatOnly ? cast(x, floatDtypeOf(x.dtype)) : x;
  const out = rawUnary(op, xin);
  if (grad && needsGrad(xin)) {
    // Ops whose gradient needs only the output (exp, tanh, ...) save just that, as PyTorch.
    record(name, [xin], [out], ([g], [s]) => [saveOut ? grad(g, null as never, s!) : grad(g, s!, null as never)], saveOut ? [out] : [xin]);
  }
  if (xin !== x) disposeTemp(xin, x);
  return out;
}

export const neg = (x: Tensor): Tensor => {
  if (x.dtype === 'bool') throw new TypeError('neg: negation, the `-` operator, on a bool tensor is not supported; use logicalNot() instead');
  return unary('neg', 'NegBackward', x, (g) => neg(g), false);
};
export const exp = (x: Tensor): Tensor => unary('exp', 'ExpBackward', x, (g, _x, y) => mul(g, y), true, true);
export const log = (x: Tensor): Tensor => unary('log', 'LogBackward', x, (g, xs) => div(g, xs));
export const sqrt = (x: Tensor): Tensor => unary('sqrt', 'SqrtBackward', x, (g, _x, y) => div(g, mul(y, 2)), true, true);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', 'RsqrtBackward', x, (g, _x, y) => mul(g, pow(y, 3)).mul(-0.5), true, true);
export const abs = (x: Tensor): Tensor => unary('abs', 'AbsBackward', x, (g, xs) => mul(g, sign(xs)), false);
export const sign = (x: Tensor): Tensor => unary('sign', 'SignBackward', x, (g) => mul(g, 0), false);
export const sin = (x: Tensor): Tensor => unary('sin', 'SinBackward', x, (g, xs) => mul(g, cos(xs)));
export const cos = (x: Tensor): Tensor => unary('cos', 'CosBackward', x, (g, xs) => neg(mul(g, sin(xs))));
export const tan = (x: Tensor): Tensor => unary('tan', 'TanBackward', x, (g, _x, y) => mul(g, add(mul(y, y), 1)), true, true);
export const tanh = (x: Tensor): Tensor => unary('tanh', 'TanhBackward', x, (g, _x, y) => mul(g, rsub(mul(y, y), 1)), true, true);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', 'SigmoidBackward', x, (g, _x, y) => mul(g, mul(y, rsub(y, 1))), true, true);
export const erf = (x: Tensor): Tensor => unary('erf', 'ErfBackward', x, (g, xs) => mul(g, exp(neg(mul(xs, xs)))).mul(2 / Math.sqrt(Math.PI)));
export const floor = (x: Tensor): Tensor => (isFloating(x.dtype) ? unary('floor', 'FloorBackward', x, (g) => mul(g, 0)) : x);
export const ceil = (x: Tensor): Tensor => (isFloating(x.dtype) ? unary('ceil', 'CeilBackward', x, (g) => mul(g, 0)) : x);
export const round = (x: Tensor): Tensor => (isFloating(x.dtype) ? unary('round', 'RoundBackward', x, (g) => mul(g, 0)) : x);
export const trunc = (x: Tensor): Tensor => (isFloating(x.dtype) ? unary('trunc', 'TruncBackward', x, (g) => mul(g, 0)) : x);
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', 'ReciprocalBackward', x, (g, _x, y) => neg(mul(g, mul(y, y))), true, true);
export const log1p = (x: Tensor): Tensor => unary('log1p', 'Log1pBackward', x, (g, xs) => div(g, add(xs, 1)));
export const expm1 = (x: Tensor): Tensor => unary('expm1', 'Expm1Backward', x, (g, _x, y) => mul(g, add(y, 1)), true, true);
export const asin = (x: Tensor): Tensor => unary('asin', 'AsinBackward', x, (g, xs) => div(g, sqrt(rsub(mul(xs, xs), 1))));
export const acos = (x: Tensor): Tensor => unary('acos', 'AcosBackward', x, (g, xs) => neg(div(g, sqrt(rsub(mul(xs, xs), 1)))));
export const atan = (x: Tensor): Tensor => unary('atan', 'AtanBackward', x, (g, xs) => div(g, add(mul(xs, xs), 1)));
export const logicalNot = (x: Tensor): Tensor => unary('logicalNot', 'logicalNot', x, null, false);
export const isnan = (x: Tensor): Tensor => unary('isnan', 'isnan', x, null, false);
export const square = (x: Tensor): Tensor => mul(x, x);
export const log2 = (x: Tensor): Tensor => withTemp(log(x), (l) => mul(l, 1 / Math.LN2));
export const log10 = (x: Tensor): Tensor => withTemp(log(x), (l) => mul(l, 1 / Math.LN10));

// ---- where / clamp ----

/** torch.where(cond, a, b); scalars allowed for a and b. */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (!(cond instanceof Tensor)) throw new TypeError('where: condition must be a Tensor');
  if (cond.dtype !== 'bool') throw new TypeError(`where: expected condition to be a bool tensor, got ${cond.dtype}`);
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : cond;
  backendOf('where', cond, a instanceof Tensor ? a : null, b instanceof Tensor ? b : null);
  let dt = resultTypeOf(a, b);
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) dt = isFloating(dt) ? floatDtypeOf('int64') : dt;
  const ta = asTensorLike(a, dt, like, 'where');
  let tb: Tensor | undefined;
  try {
    tb = asTensorLike(b, dt, like, 'where');
    const be = backendOf('where', cond, ta, tb);
    const shape = broadcastShapes('where', cond.shape, ta.shape, tb.shape);
    const out = emptyOwned(be, dt, shape);
    if (out.numel > 0) be.where(broadcastView(cond, shape, 'where'), broadcastView(ta, shape, 'where'), broadcastView(tb, shape, 'where'), out.storage.buf);
    if (needsGrad(ta, tb)) {
      const aShape = [...ta.shape], bShape = [...tb.shape];
      const tta = ta, ttb = tb;
      record('WhereBackward', [null, ta, tb], [out], ([g], [c]) => [
        null,
        tta.requiresGrad ? sumToShape(where(c!, g, 0), aShape) : null,
        ttb.requiresGrad ? sumToShape(where(c!, 0, g), bShape) : null,
      ], [cond]);
    }
    return out;
  } finally {
    disposeTemp(ta, a);
    if (tb) disposeTemp(tb, b);
  }
}

/** torch.clamp: bounds may be numbers, tensors or null; gradient passes where min <= x <= max. */
export function clamp(x: Tensor, min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor {
  if ((min === null || min === undefined) && (max === null || max === undefined)) {
    throw new TypeError("clamp: at least one of 'min' or 'max' must not be None");
  }
  let out = x;
  const raw = (v: Tensor, bound: TensorOrScalar, op: 'maximum' | 'minimum') => {
    const [a, b] = promote('clamp', v, bound);
    try {
      return rawBinary(op, a, b);
    } finally {
      disposeTemp(a, v);
      disposeTemp(b, bound);
    }
  };
  if (min !== null && min !== undefined) out = raw(out, min, 'maximum');
  if (max !== null && max !== undefined) {
    const prev = out;
    out = raw(out, max, 'minimum');
    if (prev !== x) prev.dispose();
  }
  if (needsGrad(x)) {
    const shape = [...x.shape];
    record('ClampBackward', [x], [out], ([g], [xs]) => {
      let mask = ones(xs!);
      if (min !== null && min !== undefined) mask = mask.logicalAnd(xs!.ge(min));
      if (max !== null && max !== undefined) mask = mask.logicalAnd(xs!.le(max));
      return [sumToShape(where(mask, g, 0), shape)];
    }, [x]);
  }
  return out;
}
function ones(x: Tensor): Tensor {
  return expand(scalarTensor(true, 'bool', x.storage.backend), x.shape);
}

// ---- activations (compositions: gradients come from their parts) ----

export function relu(x: Tensor): Tensor {
  x._assertAlive('relu');
  const be = x.storage.backend;
  const fused = be.overrides?.relu;
  if (fused && (x.dtype === 'float32' || x.dtype === 'float64')) {
    const out = empty(be, x.dtype, x.shape);
    if (out.numel > 0) fused(x._view('relu'), out.storage.buf);
    if (needsGrad(x)) record('ReluBackward', [x], [out], ([g], [y]) => [reluGrad(g!, y!)], [out]);
    return out;
  }
  return composite((tmp) => where(tmp(x.gt(0)), x, 0));
}
/** d relu: grad where the output is positive; fused when no graph is being built (double backward composes). */
function reluGrad(g: Tensor, y: Tensor): Tensor {
  const be = g.storage.backend;
  const fused = be.overrides?.reluBackward;
  if (fused && !isGradEnabled() && g.dtype === y.dtype && g.device === y.device && (g.dtype === 'float32' || g.dtype === 'float64')) {
    const out = empty(be, g.dtype, g.shape);
    if (out.numel > 0) fused(g._view('relu'), y._view('relu'), out.storage.buf);
    return out;
  }
  return composite((tmp) => where(tmp(y.gt(0)), g, 0));
}
export function silu(x: Tensor): Tensor {
  return composite((tmp) => mul(x, tmp(sigmoid(x))));
}
/** GELU, exact (erf) or with the tanh approximation. Backends may fuse the forward. */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  const approximate = opts.approximate ?? 'none';
  const fused = x.storage.backend.overrides?.gelu;
  if (fused && isFloating(x.dtype)) {
    const out = empty(x.storage.backend, x.dtype, x.shape);
    if (out.numel > 0) fused(x._view('gelu'), approximate, out.storage.buf);
    if (needsGrad(x)) record('GeluBackward', [x], [out], ([g], [xs]) => [composite((tmp) => mul(g!, tmp(geluDerivative(xs!, approximate))))], [x]);
    return out;
  }
  return composite((tmp) => {
    const half = tmp(mul(x, 0.5));
    if (approximate === 'tanh') {
      const inner = tmp(mul(tmp(add(x, tmp(mul(tmp(pow(x, 3)), 0.044715)))), Math.sqrt(2 / Math.PI)));
      return mul(half, tmp(add(tmp(tanh(inner)), 1)));
    }
    return mul(half, tmp(add(tmp(erf(tmp(mul(x, Math.SQRT1_2)))), 1)));
  });
}
/** d gelu(x) / dx in differentiable ops (the backward of the fused forward). */
function geluDerivative(x: Tensor, approximate: 'none' | 'tanh'): Tensor {
  return composite((tmp) => {
    if (approximate === 'tanh') {
      // 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 k x^2), t = tanh(sqrt(2/pi) (x + k x^3))
      const k = 0.044715, beta = Math.sqrt(2 / Math.PI);
      const x2 = tmp(mul(x, x));
      const t = tmp(tanh(tmp(mul(tmp(add(x, tmp(mul(tmp(mul(x2, x)), k)))), beta))));
      const left = tmp(mul(tmp(add(t, 1)), 0.5));
      const dt = tmp(mul(tmp(mul(tmp(sub(1, tmp(mul(t, t)))), tmp(mul(x, 0.5)))), tmp(mul(tmp(add(tmp(mul(x2, 3 * k)), 1)), beta))));
      return add(left, dt);
    }
    // Phi(x) + x phi(x)
    const cdf = tmp(mul(tmp(add(tmp(erf(tmp(mul(x, Math.SQRT1_2)))), 1)), 0.5));
    const pdf = tmp(mul(tmp(exp(tmp(mul(tmp(mul(x, x)), -0.5)))), 1 / Math.sqrt(2 * Math.PI)));
    return add(cdf, tmp(mul(x, pdf)));
  });
}
export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  const beta = opts.beta ?? 1, threshold = opts.threshold ?? 20;
  return composite((tmp) => {
    const bx = tmp(mul(x, beta));
    // Clamp inside the soft branch so the unused branch never overflows (no NaN gradients).
    const soft = tmp(div(tmp(log1p(tmp(exp(tmp(minimum(bx, threshold)))))), beta));
    return where(tmp(bx.gt(threshold)), x, soft);
  });
}
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return composite((tmp) => where(tmp(x.gt(0)), x, tmp(mul(x, negativeSlope))));
}
export function elu(x: Tensor, alpha = 1): Tensor {
  return composite((tmp) => where(tmp(x.gt(0)), x, tmp(mul(tmp(expm1(tmp(minimum(x, 0)))), alpha))));
}
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  return clamp(x, minVal, maxVal);
}
export function relu6(x: Tensor): Tensor {
  return clamp(x, 0, 6);
}
export function logSigmoid(x: Tensor): Tensor {
  return composite((tmp) => neg(tmp(softplus(tmp(neg(x))))));
}
export function mish(x: Tensor): Tensor {
  return composite((tmp) => mul(x, tmp(tanh(tmp(softplus(x))))));
}

// ---- in place ----

/**
 * Write `result` into `self` in place and bump its version. With autograd, self takes the
 * result's history; a leaf that requires grad refuses, as in PyTorch.
 */
export function assignInPlace(self: Tensor, result: Tensor, op: string): Tensor {
  self._assertAlive(op);
  if (result === self) return self;
  const tracking = needsGrad(self, result);
  if (tracking && self.isLeaf && self.requiresGrad) {
    throw new Error(`${op}: a leaf Variable that requires grad is being used in an in-place operation; wrap it in noGrad() or use an out-of-place op`);
  }
  if (tracking && self._base && self._base.requiresGrad) {
    throw new Error(`${op}: in-place operations on a view of a tensor that requires grad are not supported; clone() first`);
  }
  if (!sameShape(broadcastShapes(op, self.shape, result.shape), self.shape)) {
    throw new RangeError(`${op}: output with shape ${fmtShape(self.shape)} doesn't match the broadcast shape ${fmtShape(broadcastShapes(op, self.shape, result.shape))}`);
  }
  if (isFloating(result.dtype) && !isFloating(self.dtype)) {
    throw new TypeError(`${op}: result type ${result.dtype} can't be cast to the desired output type ${self.dtype}`);
  }
  const src = rawCast(result, self.dtype);
  const be = backendOf(op, self, src);
  if (self.numel > 0) be.copy(broadcastView(src, self.shape, op), self._view(op));
  self.storage.version++;
  if (src !== result) src.dispose();
  if (tracking) {
    const r = sameShape(result.shape, self.shape) ? result : expand(result, self.shape);
    if (r.gradFn) self._setGradFn(r.gradFn, r.outputNr);
    else {
      self.gradFn = null;
      self.requiresGrad_(false);
    }
    if (r !== result) r.dispose();
  }
  result.dispose();
  return self;
}

/**
 * Run `fn` on self (cloned first when autograd records, so saved inputs are not clobbered: the op
 * may save self's old value even when only an operand requires grad, as buf.mul_(w) does).
 */
function inplace(self: Tensor, op: string, fn: (x: Tensor) => Tensor, ...operands: unknown[]): Tensor {
  self._assertAlive(op);
  const tracking = needsGrad(self, ...operands.filter((o): o is Tensor => o instanceof Tensor));
  if (tracking && self.isLeaf && self.requiresGrad) {
    throw new Error(`${op}: a leaf Variable that requires grad is being used in an in-place operation; wrap it in noGrad() or use an out-of-place op`);
  }
  const input = tracking ? self.clone() : self;
  try {
    assignInPlace(self, fn(input), op);
  } finally {
    if (input !== self) input.dispose();
  }
  return self;
}

declare module '../tensor.js' {
  interface Tensor {
    add(other: TensorOrScalar, opts?: { alpha?: number }): Tensor;
    sub(other: TensorOrScalar, opts?: { alpha?: number }): Tensor;
    mul(other: TensorOrScalar): Tensor;
    div(other: TensorOrScalar, opts?: { roundingMode?: 'trunc' | 'floor' | null }): Tensor;
    pow(exponent: TensorOrScalar): Tensor;
    maximum(other: TensorOrScalar): Tensor;
    minimum(other: TensorOrScalar): Tensor;
    atan2(other: TensorOrScalar): Tensor;
    remainder(other: TensorOrScalar): Tensor;
    floorDivide(other: TensorOrScalar): Tensor;
    rsub(other: TensorOrScalar): Tensor;
    eq(other: TensorOrScalar): Tensor;
    ne(other: TensorOrScalar): Tensor;
    lt(other: TensorOrScalar): Tensor;
    le(other: TensorOrScalar): Tensor;
    gt(other: TensorOrScalar): Tensor;
    ge(other: TensorOrScalar): Tensor;
    logicalAnd(other: TensorOrScalar): Tensor;
    logicalOr(other: TensorOrScalar): Tensor;
    logicalXor(other: TensorOrScalar): Tensor;
    logicalNot(): Tensor;
    isnan(): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log2(): Tensor;
    log10(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tan(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    erf(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    trunc(): Tensor;
    reciprocal(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    asin(): Tensor;
    acos(): Tensor;
    atan(): Tensor;
    square(): Tensor;
    relu(): Tensor;
    where(cond: Tensor, other: TensorOrScalar): Tensor;
    clamp(min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor;
    clip(min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor;
    add_(other: TensorOrScalar, opts?: { alpha?: number }): this;
    sub_(other: TensorOrScalar, opts?: { alpha?: number }): this;
    mul_(other: TensorOrScalar): this;
    div_(other: TensorOrScalar): this;
    pow_(exponent: TensorOrScalar): this;
    clamp_(min?: TensorOrScalar | null, max?: TensorOrScalar | null): this;
    neg_(): this;
    exp_(): this;
    sqrt_(): this;
    relu_(): this;
    sigmoid_(): this;
    tanh_(): this;
    zero_(): this;
    fill_(value: TensorOrScalar): this;
    copy_(src: Tensor): this;
    /** lerp_, addcmul_, addcdiv_ are what optimizers use. */
    lerp_(end: Tensor, weight: TensorOrScalar): this;
    addcmul_(a: Tensor, b: Tensor, opts?: { value?: number }): this;
    addcdiv_(a: Tensor, b: Tensor, opts?: { value?: number }): this;
  }
}

const P = Tensor.prototype;
P.add = function (o, opts) { return add(this, o, opts); };
P.sub = function (o, opts) { return sub(this, o, opts); };
P.mul = function (o) { return mul(this, o); };
P.div = function (o, opts) { return div(this, o, opts); };
P.pow = function (o) { return pow(this, o); };
P.maximum = function (o) { return maximum(this, o); };
P.minimum = function (o) { return minimum(this, o); };
P.atan2 = function (o) { return atan2(this, o); };
P.remainder = function (o) { return remainder(this, o); };
P.floorDivide = function (o) { return floorDivide(this, o); };
P.rsub = function (o) { return rsub(this, o); };
P.eq = function (o) { return eq(this, o); };
P.ne = function (o) { return ne(this, o); };
P.lt = function (o) { return lt(this, o); };
P.le = function (o) { return le(this, o); };
P.gt = function (o) { return gt(this, o); };
P.ge = function (o) { return ge(this, o); };
P.logicalAnd = function (o) { return logicalAnd(this, o); };
P.logicalOr = function (o) { return logicalOr(this, o); };
P.logicalXor = function (o) { return logicalXor(this, o); };
P.logicalNot = function () { return logicalNot(this); };
P.isnan = function () { return isnan(this); };
P.neg = function () { return neg(this); };
P.exp = function () { return exp(this); };
P.log = function () { return log(this); };
P.log2 = function () { return log2(this); };
P.log10 = function () { return log10(this); };
P.sqrt = function () { return sqrt(this); };
P.rsqrt = function () { return rsqrt(this); };
P.abs = function () { return abs(this); };
P.sign = function () { return sign(this); };
P.sin = function () { return sin(this); };
P.cos = function () { return cos(this); };
P.tan = function () { return tan(this); };
P.tanh = function () { return tanh(this); };
P.sigmoid = function () { return sigmoid(this); };
P.erf = function () { return erf(this); };
P.floor = function () { return floor(this); };
P.ceil = function () { return ceil(this); };
P.round = function () { return round(this); };
P.trunc = function () { return trunc(this); };
P.reciprocal = function () { return reciprocal(this); };
P.log1p = function () { return log1p(this); };
P.expm1 = function () { return expm1(this); };
P.asin = function () { return asin(this); };
P.acos = function () { return acos(this); };
P.atan = function () { return atan(this); };
P.square = function () { return square(this); };
P.relu = function () { return relu(this); };
P.where = function (c, o) { return where(c, this, o); };
P.clamp = function (a, b) { return clamp(this, a, b); };
P.clip = function (a, b) { return clamp(this, a, b); };
P._accumulate = function (g: Tensor) { return add(this, g); };
P.add_ = function (o, opts) { return inplace(this, 'add_', (x) => add(x, o, opts), o) as never; };
P.sub_ = function (o, opts) { return inplace(this, 'sub_', (x) => sub(x, o, opts), o) as never; };
P.mul_ = function (o) { return inplace(this, 'mul_', (x) => mul(x, o), o) as never; };
P.div_ = function (o) { return inplace(this, 'div_', (x) => div(x, o), o) as never; };
P.pow_ = function (o) { return inplace(this, 'pow_', (x) => pow(x, o), o) as never; };
P.clamp_ = function (a, b) { return inplace(this, 'clamp_', (x) => clamp(x, a, b), a, b) as never; };
P.neg_ = function () { return inplace(this, 'neg_', neg) as never; };
P.exp_ = function () { return inplace(this, 'exp_', exp) as never; };
P.sqrt_ = function () { return inplace(this, 'sqrt_', sqrt) as never; };
P.relu_ = function () { return inplace(this, 'relu_', relu) as never; };
P.sigmoid_ = function () { return inplace(this, 'sigmoid_', sigmoid) as never; };
P.tanh_ = function () { return inplace(this, 'tanh_', tanh) as never; };
P.zero_ = function () { return fillInPlace(this, 0, 'zero_') as never; };
P.fill_ = function (v) {
  if (v instanceof Tensor) {
    if (v.ndim !== 0) throw new RangeError(`fill_: only supports 0-dimension value tensor but got tensor with ${v.ndim} dimensions`);
    const c = cast(v, this.dtype);
    assignInPlace(this, expand(c, this.shape), 'fill_');
    if (c !== v) c.dispose();
    return this as never;
  }
  return fillInPlace(this, v, 'fill_') as never;
};
P.copy_ = function (src) {
  backendOf('copy_', this, src);
  const s = expand(src, this.shape);
  const c = isFloating(this.dtype) && !isFloating(s.dtype) ? cast(s, this.dtype) : s;
  assignInPlace(this, c, 'copy_');
  if (c !== s) s.dispose();
  return this as never;
};
P.lerp_ = function (end, w) {
  return inplace(this, 'lerp_', (x) => withTemp(sub(end, x), (d) => withTemp(mul(d, w), (step) => add(x, step))), end, w) as never;
};
P.addcmul_ = function (a, b, o) {
  return inplace(this, 'addcmul_', (x) => withTemp(mul(a, b), (p) => withTemp(mul(p, o?.value ?? 1), (step) => add(x, step))), a, b) as never;
};
P.addcdiv_ = function (a, b, o) {
  return inplace(this, 'addcdiv_', (x) => withTemp(div(a, b), (q) => withTemp(mul(q, o?.value ?? 1), (step) => add(x, step))), a, b) as never;
};

function fillInPlace(self: Tensor, v: number | boolean, op: string): Tensor {
  if (needsGrad(self) && self.isLeaf) {
    throw new Error(`${op}: a leaf Variable that requires grad is being used in an in-place operation`);
  }
  const s = scalarTensor(v, self.dtype, self.storage.backend);
  assignInPlace(self, expand(s, self.shape), op);
  s.dispose();
  return self;
}
