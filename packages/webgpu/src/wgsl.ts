/**
 * WGSL building blocks shared by every shader template: how each dtype is stored, loaded,
 * computed in and stored back, strided-view addressing, and math WGSL lacks (erf, log1p, pow
 * with negative bases, NaN tests that survive fast-math). Templates (kernels.ts) take dtypes as
 * parameters and splice these snippets in: no shader is written per dtype.
 *
 * Storage (one binding = one `array<S>`):
 * | dtype              | array   | per element | computed in | stored as                                  |
 * | float32            | f32     | 1 word      | f32         | the value                                  |
 * | float16 (f16 mode) | f16     | 2 bytes     | f32         | f16(round_f16(v)): exact, nearest even     |
 * | float16 (else)     | f32     | 1 word      | f32         | rounded to float16 (nearest even)          |
 * | bfloat16           | f32     | 1 word      | f32         | rounded to bfloat16 (nearest even)         |
 * | int32              | i32     | 1 word      | i32         | the value                                  |
 * | int64              | i32     | 2 words     | i32 (low)   | low word + sign-extended high word         |
 * | uint8              | i32     | 1 word      | i32         | value & 255                                |
 * | bool               | i32     | 1 word      | i32         | 0 / 1                                      |
 * int64 keeps all 64 bits through write/read/copy/gather/where; arithmetic uses the low 32 bits
 * (exact for |v| < 2^31: indices, class labels, counts).
 *
 * f16 mode (a device with `shader-f16`): float16 is stored as WGSL `f16` (2 bytes per element)
 * and computed in f32 (loaded with `f32(x)`, stored as `f16(round_f16(v))`: the value is rounded
 * in f32 to nearest even first, so the f32 -> f16 conversion is exact and the results are
 * bit-identical to the emulated path). The mode is a code-generation setting: the context
 * generates every shader inside `withHalfStorage(deviceHasF16, ...)` and prefixes `enable f16;`
 * to those that use the f16 type.
 * bfloat16 is always emulated (WGSL has no bf16 type).
 */
import type { DType } from '@tensile/core';

export type Scalar = 'f32' | 'i32';

let halfStorage = false;

/**
 * Generate shader code with float16 stored as WGSL f16 (`on`: the device has shader-f16) or as
 * f32 rounded to float16 (emulation). Templates read the setting through storageType/load/store.
 */
export function withHalfStorage<T>(on: boolean, gen: () => T): T {
  const prev = halfStorage;
  halfStorage = on;
  try {
    return gen();
  } finally {
    halfStorage = prev;
  }
}

/** Whether dtype is stored as WGSL f16 in the code being generated. */
export function isHalfStored(dtype: DType | 'meta'): boolean {
  return halfStorage && dtype === 'float16';
}

/** The WGSL type a dtype computes in. */
export function computeType(dtype: DType): Scalar {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' ? 'f32' : 'i32';
}

export function isFloatDtype(dtype: DType): boolean {
  return computeType(dtype) === 'f32';
}

/** Element type of the storage array. */
export function storageType(dtype: DType): Scalar | 'f16' {
  return isHalfStored(dtype) ? 'f16' : computeType(dtype);
}

/** 32-bit words per element. */
export function wordsPer(dtype: DType): number {
  return dtype === 'int64' ? 2 : 1;
}

/** Declaration of a storage binding. */
export function decl(binding: number, name: string, dtype: DType | 'meta', access: 'read' | 'read_write' | 'atomic' = 'read'): string {
  if (dtype === 'meta') return `@group(0) @binding(${binding}) var<storage, read> ${name}: array<i32>;`;
  if (access === 'atomic') {
    if (isHalfStored(dtype)) throw new TypeError('webgpu: atomics need 32-bit words: an f16-stored float16 binding cannot be atomic');
    return `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<atomic<${computeType(dtype) === 'f32' ? 'u32' : 'i32'}>>;`;
  }
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${storageType(dtype)}>;`;
}

/** Expression loading element `off` (an i32 element offset) of binding `name` as the compute type. */
export function load(name: string, dtype: DType, off: string): string {
  if (isHalfStored(dtype)) return `f32(${name}[${off}])`;
  return dtype === 'int64' ? `${name}[2 * (${off})]` : `${name}[${off}]`;
}

/** Statement(s) storing compute value `v` at element `off` (i32) of binding `name`. */
export function store(name: string, dtype: DType, off: string, v: string): string {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return `${name}[${off}] = ${v};`;
    case 'float16':
      return isHalfStored(dtype) ? `${name}[${off}] = f16(round_f16(${v}));` : `${name}[${off}] = round_f16(${v});`;
    case 'bfloat16':
      return `${name}[${off}] = round_bf16(${v});`;
    case 'uint8':
      return `${name}[${off}] = (${v}) & 255;`;
    case 'bool':
      return `${name}[${off}] = select(0, 1, (${v}) != 0);`;
    case 'int64':
      return `{ let o64 = 2 * (${off}); let v64: i32 = ${v}; ${name}[o64] = v64; ${name}[o64 + 1] = v64 >> 31u; }`;
    default:
      throw new TypeError(`webgpu: dtype ${dtype} is not supported`);
  }
}

/** Convert a compute value of dtype `from` to the compute type of `to` (C semantics). */
export function convert(v: string, from: DType, to: DType): string {
  const a = computeType(from), b = computeType(to);
  if (to === 'bool') return a === 'f32' ? `select(0, 1, (${v}) != 0.0 || is_nan(${v}))` : `select(0, 1, (${v}) != 0)`;
  if (a === b) return v;
  return b === 'f32' ? `f32(${v})` : `i32(${v})`;
}

/** A literal of a compute type. */
export function lit(v: number, t: Scalar): string {
  if (t === 'i32') return `i32(${Math.trunc(v) | 0})`;
  if (Number.isNaN(v)) return 'nan_f32()';
  if (v === Infinity) return 'inf_f32()';
  if (v === -Infinity) return '(-inf_f32())';
  return `f32(${Number.isInteger(v) ? v.toFixed(1) : v.toExponential()})`;
}

/** Math helpers prepended to every shader (unused functions cost nothing). */
export const PRELUDE = /* wgsl */ `
// NaN/Inf must be run-time values (WGSL rejects them in constant expressions): RT_ZERO is a
// zero-initialised private variable, so the bit patterns are not constant-folded.
var<private> RT_ZERO: u32;
fn nan_f32() -> f32 { return bitcast<f32>(0x7fc00000u | RT_ZERO); }
fn inf_f32() -> f32 { return bitcast<f32>(0x7f800000u | RT_ZERO); }
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn round_bf16(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7f800000u) == 0x7f800000u) { return x; }
  return bitcast<f32>((b + 0x7fffu + ((b >> 16u) & 1u)) & 0xffff0000u);
}
fn round_f16(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a >= 65520.0) { r = inf_f32(); }
  else if (a < 6.103515625e-05) { r = round(a * 16777216.0) / 16777216.0; }
  else {
    let b = bitcast<u32>(a);
    r = bitcast<f32>((b + 0xfffu + ((b >> 13u) & 1u)) & 0xffffe000u);
  }
  return select(r, -r, x < 0.0 || (bitcast<u32>(x) >> 31u) == 1u);
}
fn erf_f32(x: f32) -> f32 {
  // |error| < 1.2e-7 (W. J. Cody's rational approximations, reduced): series near 0, erfc tail
  let a = abs(x);
  if (is_nan(x)) { return x; }
  if (a < 0.5) {
    let z = x * x;
    return x * (1.128379167 + z * (-0.3761263890 + z * (0.1128379167 + z * (-0.02686617064 + z * (0.005223977625 + z * (-0.0008548327023 + z * 0.0001205533309))))));
  }
  if (a >= 4.0) { return select(-1.0, 1.0, x > 0.0); }
  // erfc(a) = exp(-a^2) * P(a) / Q(a) (Numerical Recipes erfcc refined by a Newton-free Chebyshev fit)
  let t = 1.0 / (1.0 + 0.5 * a);
  let y = t * exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(y - 1.0, 1.0 - y, x > 0.0);
}
fn log1p_f32(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  if (is_inf(u)) { return u; }
  return log(u) * x / (u - 1.0);
}
fn expm1_f32(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  if (abs(x) > 0.5) { return exp(x) - 1.0; }
  let u = exp(x);
  return (u - 1.0) * x / log(u);
}
fn pow_f32(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (b == 0.5) { return sqrt(a); }
  if (b == -1.0) { return 1.0 / a; }
  let aa = abs(a);
  var r: f32;
  if (aa == 0.0) { r = select(inf_f32(), 0.0, b > 0.0); }
  else if (is_inf(aa)) { r = select(0.0, inf_f32(), b > 0.0); }
  else if (aa == 1.0) { r = 1.0; }
  else { r = exp2(b * log2(aa)); }
  if (a < 0.0 || (bitcast<u32>(a) >> 31u) == 1u) {
    if (b != floor(b)) { return nan_f32(); }
    if (abs(b - 2.0 * floor(b * 0.5)) == 1.0) { r = -r; }
  }
  return r;
}
fn pow_i32(a: i32, b: i32) -> i32 {
  if (b < 0) { return select(select(0, select(-1, 1, (b & 1) == 0), a == -1), 1, a == 1); }
  var r = 1; var base = a; var e = b;
  loop { if (e == 0) { break; } if ((e & 1) == 1) { r = r * base; } base = base * base; e = e >> 1u; }
  return r;
}
// sin/cos with Cody-Waite reduction by pi/2 and minimax polynomials on [-pi/4, pi/4] (Cephes'
// sinf/cosf): a few ulp for |x| < 1e5 on every adapter (some software drivers' sin/cos are off by 1e-4).
fn sincos_f32(x: f32, want_cos: bool) -> f32 {
  if (is_nan(x) || is_inf(x)) { return nan_f32(); }
  let k = round(x * 0.63661977236758134);
  var r = x - k * 1.5703125;
  r = r - k * 4.8375129699707031e-4;
  r = r - k * 7.5497899548918821e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  var q = i32(k) & 3;
  if (want_cos) { q = (q + 1) & 3; }
  if (q == 0) { return s; }
  if (q == 1) { return c; }
  if (q == 2) { return -s; }
  return -c;
}
fn tanh_f32(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }
fn sigmoid_f32(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn log_f32(x: f32) -> f32 {
  if (x < 0.0 || is_nan(x)) { return nan_f32(); }
  if (x == 0.0) { return -inf_f32(); }
  if (is_inf(x)) { return x; }
  return log(x);
}
fn sqrt_f32(x: f32) -> f32 { if (x < 0.0) { return nan_f32(); } return sqrt(x); }
fn fmax_nan(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan_f32(); } return max(a, b); }
fn fmin_nan(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan_f32(); } return min(a, b); }
fn fdiv(a: f32, b: f32) -> f32 {
  if (b == 0.0) {
    if (a == 0.0 || is_nan(a)) { return nan_f32(); }
    let neg = (a < 0.0) != ((bitcast<u32>(b) >> 31u) == 1u);
    return select(inf_f32(), -inf_f32(), neg);
  }
  return a / b;
}
`;

/**
 * Element offset of linear index `i` (u32) in a strided view whose shape is at prm[shapeAt..]
 * (rank at prm[rankAt]) and whose offset/strides are at prm[viewAt] / prm[viewAt+1..].
 */
export const OFFSET_FN = /* wgsl */ `
fn view_off(i: u32, rank: i32, shapeAt: i32, viewAt: i32) -> i32 {
  var rem = i;
  var o = prm[viewAt];
  for (var d = rank - 1; d >= 0; d = d - 1) {
    let s = u32(prm[shapeAt + d]);
    let c = rem % s;
    rem = rem / s;
    o = o + i32(c) * prm[viewAt + 1 + d];
  }
  return o;
}
`;

/** Linear invocation index over a 2-D dispatch of 1-D workgroups of size `wg`. */
export function linearId(wg: number): string {
  return `gid.x + gid.y * nwg.x * ${wg}u`;
}
