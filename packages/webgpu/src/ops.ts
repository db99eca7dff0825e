/**
 * Per-op WGSL expressions for the elementwise templates, written once over the compute type
 * (f32 or i32): the template substitutes the dtype's load/store/convert snippets.
 */
import type { BinaryOp, DType, UnaryOp } from '@tensile/core';
import { computeType } from './wgsl.js';

const FLOAT_ONLY_UNARY: Partial<Record<UnaryOp, (x: string) => string>> = {
  exp: (x) => `exp(${x})`,
  log: (x) => `log_f32(${x})`,
  sqrt: (x) => `sqrt_f32(${x})`,
  rsqrt: (x) => `fdiv(1.0, sqrt_f32(${x}))`,
  sin: (x) => `sincos_f32(${x}, false)`,
  cos: (x) => `sincos_f32(${x}, true)`,
  tan: (x) => `fdiv(sincos_f32(${x}, false), sincos_f32(${x}, true))`,
  tanh: (x) => `tanh_f32(${x})`,
  sigmoid: (x) => `sigmoid_f32(${x})`,
  erf: (x) => `erf_f32(${x})`,
  reciprocal: (x) => `fdiv(1.0, ${x})`,
  log1p: (x) => `log1p_f32(${x})`,
  expm1: (x) => `expm1_f32(${x})`,
  asin: (x) => `select(asin(${x}), nan_f32(), abs(${x}) > 1.0)`,
  acos: (x) => `select(acos(${x}), nan_f32(), abs(${x}) > 1.0)`,
  atan: (x) => `atan(${x})`,
};

/** WGSL expression of a unary op on `x` (compute type of dtype); the result's compute type is the output's. */
export function unaryExpr(op: UnaryOp, dtype: DType, x = 'x0'): string {
  const f = computeType(dtype) === 'f32';
  const fo = FLOAT_ONLY_UNARY[op];
  if (fo) return f ? fo(x) : `i32(${fo(`f32(${x})`)})`;
  switch (op) {
    case 'neg': return `-(${x})`;
    case 'abs': return `abs(${x})`;
    case 'sign': return f ? `select(select(${x}, -1.0, ${x} < 0.0), 1.0, ${x} > 0.0)` : `sign(${x})`;
    case 'floor': return f ? `floor(${x})` : x;
    case 'ceil': return f ? `ceil(${x})` : x;
    case 'round': return f ? `round(${x})` : x;
    case 'trunc': return f ? `trunc(${x})` : x;
    case 'logicalNot': return f ? `select(0, 1, ${x} == 0.0)` : `select(0, 1, ${x} == 0)`;
    case 'isnan': return f ? `select(0, 1, is_nan(${x}))` : '0';
    default: throw new TypeError(`webgpu.unary: unknown op '${op}'`);
  }
}

/** WGSL expression of a binary op on `a`, `b` (compute type of dtype). */
export function binaryExpr(op: BinaryOp, dtype: DType, a = 'x0', b = 'x1'): string {
  const f = computeType(dtype) === 'f32';
  const z = f ? '0.0' : '0';
  const cmp = (o: string) => `select(0, 1, ${a} ${o} ${b})`;
  switch (op) {
    case 'add': return `${a} + ${b}`;
    case 'sub': return `${a} - ${b}`;
    case 'mul': return `${a} * ${b}`;
    case 'div': return f ? `fdiv(${a}, ${b})` : `select(${a} / ${b}, 0, ${b} == 0)`;
    case 'pow': return f ? `pow_f32(${a}, ${b})` : `pow_i32(${a}, ${b})`;
    case 'maximum': return f ? `fmax_nan(${a}, ${b})` : `max(${a}, ${b})`;
    case 'minimum': return f ? `fmin_nan(${a}, ${b})` : `min(${a}, ${b})`;
    case 'remainder':
      return f
        ? `rem_f32(${a}, ${b})`
        : `rem_i32(${a}, ${b})`;
    case 'floorDivide': return f ? `floor(fdiv(${a}, ${b}))` : `floordiv_i32(${a}, ${b})`;
    case 'atan2': return f ? `atan2(${a}, ${b})` : `i32(atan2(f32(${a}), f32(${b})))`;
    case 'eq': return cmp('==');
    case 'ne': return cmp('!=');
    case 'lt': return cmp('<');
    case 'le': return cmp('<=');
    case 'gt': return cmp('>');
    case 'ge': return cmp('>=');
    case 'logicalAnd': return `select(0, 1, (${a} != ${z}) && (${b} != ${z}))`;
    case 'logicalOr': return `select(0, 1, (${a} != ${z}) || (${b} != ${z}))`;
    case 'logicalXor': return `select(0, 1, (${a} != ${z}) != (${b} != ${z}))`;
    default: throw new TypeError(`webgpu.binary: unknown op '${op as string}'`);
  }
}

/** Helpers the binary expressions use (appended to the prelude of elementwise shaders). */
export const BINARY_HELPERS = /* wgsl */ `
fn rem_f32(a: f32, b: f32) -> f32 {
  if (b == 0.0 || is_nan(a) || is_nan(b) || is_inf(a)) { return nan_f32(); }
  if (is_inf(b)) { return select(b, a, (a >= 0.0) == (b > 0.0) || a == 0.0); }
  var r = a - b * trunc(a / b);
  if (abs(r) >= abs(b)) { r = r - b * trunc(r / b); }
  if (r != 0.0 && ((r < 0.0) != (b < 0.0))) { r = r + b; }
  return r;
}
fn rem_i32(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  var r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) { r = r + b; }
  return r;
}
fn floordiv_i32(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  var q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) { q = q - 1; }
  return q;
}
`;
