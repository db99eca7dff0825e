/** Data types and PyTorch's type-promotion rules. */

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int32' | 'int64' | 'uint8' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int32', 'int64', 'uint8', 'bool'];

/**
 * The typed array a user reads and writes for each dtype. float16/bfloat16 travel as
 * Float32Array (Node 20 has no Float16Array); int64 as BigInt64Array, as in numpy and ONNX Runtime.
 */
export interface DataTypeMap {
  float32: Float32Array;
  float64: Float64Array;
  float16: Float32Array;
  bfloat16: Float32Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}
export type DataFor<D extends DType> = DataTypeMap[D];
export type TypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

const ITEMSIZE: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int32: 4, int64: 8, uint8: 1, bool: 1,
};

/** Bytes per element as stored on a device. */
export function itemsize(dtype: DType): number {
  return ITEMSIZE[dtype];
}

export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

export function isIntegral(dtype: DType, includeBool = false): boolean {
  return dtype === 'int32' || dtype === 'int64' || dtype === 'uint8' || (includeBool && dtype === 'bool');
}

export function checkDType(dtype: unknown, op: string): DType {
  if (typeof dtype !== 'string' || !(DTYPES as readonly string[]).includes(dtype)) {
    throw new TypeError(`${op}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(', ')}`);
  }
  return dtype as DType;
}

let defaultFloat: DType = 'float32';

/** torch.set_default_dtype: the dtype of new floating tensors and of float scalars. */
export function setDefaultDtype(dtype: DType): void {
  if (!isFloating(dtype)) throw new TypeError(`setDefaultDtype: only floating dtypes are allowed, got ${dtype}`);
  defaultFloat = dtype;
}
export function getDefaultDtype(): DType {
  return defaultFloat;
}

// Pairwise promotion (torch.promote_types) for the dtypes we support.
const ORDER: DType[] = ['bool', 'uint8', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64'];

/** torch.promote_types */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if ((a === 'float16' && b === 'bfloat16') || (a === 'bfloat16' && b === 'float16')) return 'float32';
  return ORDER.indexOf(a) > ORDER.indexOf(b) ? a : b;
}

type Category = 0 | 1 | 2; // bool, integer, floating
function category(d: DType): Category {
  return d === 'bool' ? 0 : isFloating(d) ? 2 : 1;
}

/** One operand of a type-promoting op: a tensor with dims, a 0-d tensor, or a JS scalar. */
export interface PromotionOperand {
  dtype: DType;
  kind: 'dim' | 'zerodim' | 'scalar';
}

function combineCategories(higher: DType | undefined, lower: DType | undefined): DType | undefined {
  if (higher === undefined) return lower;
  if (lower === undefined) return higher;
  if (isFloating(higher)) return higher;
  if (higher === 'bool' || isFloating(lower)) return promoteTypes(higher, lower);
  return higher;
}

/**
 * torch.result_type: tensors with dims win over 0-d tensors, which win over scalars, unless
 * a lower-priority operand is of a higher category (bool < integer < floating).
 */
export function resultType(operands: PromotionOperand[]): DType {
  let dim: DType | undefined;
  let zero: DType | undefined;
  let wrapped: DType | undefined;
  for (const o of operands) {
    if (o.kind === 'dim') dim = dim === undefined ? o.dtype : promoteTypes(dim, o.dtype);
    else if (o.kind === 'zerodim') zero = zero === undefined ? o.dtype : promoteTypes(zero, o.dtype);
    else {
      const d = isFloating(o.dtype) ? defaultFloat : o.dtype;
      wrapped = wrapped === undefined ? d : promoteTypes(wrapped, d);
    }
  }
  const r = combineCategories(dim, combineCategories(zero, wrapped));
  if (r === undefined) throw new Error('resultType: no operands');
  return r;
}

export function scalarDType(v: number | boolean): DType {
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int64' : 'float64';
}

export function categoryOf(d: DType): Category {
  return category(d);
}

// ---- half-precision rounding (storage emulation on devices that compute in float32) ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round a number to the nearest bfloat16 (round-to-nearest-even), returned as a number. */
export function roundBFloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000) return f32[0]; // inf / nan
  const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
  u32[0] = rounded >>> 0;
  return f32[0];
}

/** Round a number to the nearest IEEE float16 value (round-to-nearest-even). */
export function roundFloat16(x: number): number {
  if (!Number.isFinite(x)) return x;
  const a = Math.abs(x);
  if (a >= 65520) return x > 0 ? Infinity : -Infinity;
  if (a <= 2 ** -25) return x < 0 || Object.is(x, -0) ? -0 : 0; // ties to even: 2^-25 rounds to 0
  // spacing of float16 values around a
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1; // log2 can round up just below a power of two
  e = Math.max(e, -14);
  const ulp = 2 ** (e - 10);
  let q = a / ulp;
  const fl = Math.floor(q);
  const diff = q - fl;
  q = diff > 0.5 || (diff === 0.5 && fl % 2 === 1) ? fl + 1 : fl;
  const r = q * ulp;
  return x < 0 ? -r : r;
}
