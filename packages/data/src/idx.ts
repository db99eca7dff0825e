/**
 * The IDX format (MNIST, Fashion-MNIST): a big-endian header `0x00 0x00 <type> <ndim>`, then ndim
 * uint32 sizes, then the values in row-major order, big-endian. Browser-safe parsing of bytes;
 * reading files (and .gz) is `readIdx` in `@tensile/data/node`.
 *
 * Type bytes and the tensor dtypes they load as (core has no int8/int16, so those widen to int32):
 * 0x08 unsigned byte -> uint8, 0x09 signed byte -> int32, 0x0B short -> int32, 0x0C int -> int32,
 * 0x0D float -> float32, 0x0E double -> float64.
 */
import { tensor, Tensor, type DType, type TensorOptions, type TypedArray } from '@tensile/core';

/** IDX element types by name. */
export type IdxType = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

interface TypeInfo {
  name: IdxType;
  code: number;
  size: number;
  dtype: DType;
}
const TYPES: TypeInfo[] = [
  { name: 'ubyte', code: 0x08, size: 1, dtype: 'uint8' },
  { name: 'byte', code: 0x09, size: 1, dtype: 'int32' },
  { name: 'short', code: 0x0b, size: 2, dtype: 'int32' },
  { name: 'int', code: 0x0c, size: 4, dtype: 'int32' },
  { name: 'float', code: 0x0d, size: 4, dtype: 'float32' },
  { name: 'double', code: 0x0e, size: 8, dtype: 'float64' },
];
const hex = (v: number, w = 2) => `0x${v.toString(16).padStart(w, '0')}`;
const TYPE_LIST = TYPES.map((t) => `${hex(t.code)} ${t.name}`).join(', ');

/** A parsed IDX header. */
export interface IdxHeader {
  type: IdxType;
  /** The tensor dtype the data loads as. */
  dtype: DType;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

/** True when the bytes start with the gzip magic number (0x1f 0x8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parse and validate an IDX header; errors name `source` and what is wrong. */
export function parseIdxHeader(bytes: Uint8Array, source = 'IDX data'): IdxHeader {
  const who = `readIdx(${source})`;
  if (isGzip(bytes)) throw new TypeError(`${who}: the data is gzip-compressed; decompress it first (readIdx from '@tensile/data/node' does this for you)`);
  if (bytes.length < 4) throw new RangeError(`${who}: truncated header: expected at least 4 bytes (the magic number), got ${bytes.length}`);
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new TypeError(`${who}: bad magic number ${hex(magic, 8)}: an IDX file starts with two zero bytes, a type byte and the number of dimensions (e.g. 0x00000803 for MNIST images); is this an IDX file?`);
  }
  const info = TYPES.find((t) => t.code === bytes[2]);
  if (!info) throw new TypeError(`${who}: bad magic number ${hex(magic, 8)}: unknown type byte ${hex(bytes[2]!)}; expected one of ${TYPE_LIST}`);
  const ndim = bytes[3]!;
  const dataOffset = 4 + 4 * ndim;
  if (bytes.length < dataOffset) {
    throw new RangeError(`${who}: truncated header: ${ndim} dimensions need ${dataOffset} header bytes, got ${bytes.length}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, k) => dv.getUint32(4 + 4 * k, false));
  return { type: info.name, dtype: info.dtype, shape, dataOffset };
}

/**
 * Decode IDX bytes into host values: the header and a typed array in the dtype's public typed array.
 * Errors name `source` (bad magic, unknown type, truncated header or data, trailing bytes).
 */
export function decodeIdx(bytes: Uint8Array, source = 'IDX data'): IdxHeader & { data: TypedArray } {
  const header = parseIdxHeader(bytes, source);
  const info = TYPES.find((t) => t.name === header.type)!;
  const numel = header.shape.reduce((a, b) => a * b, 1);
  const expected = numel * info.size;
  const have = bytes.length - header.dataOffset;
  const shapeStr = `[${header.shape.join(', ')}]`;
  if (have < expected) {
    throw new RangeError(`readIdx(${source}): truncated data: shape ${shapeStr} of ${info.name} needs ${expected} bytes after the ${header.dataOffset}-byte header, but only ${have} are there (the file is ${bytes.length} bytes; incomplete download?)`);
  }
  if (have > expected) {
    throw new RangeError(`readIdx(${source}): ${have - expected} unexpected trailing bytes after the data of shape ${shapeStr} of ${info.name} (corrupt file, or the header's sizes are wrong)`);
  }
  const off = header.dataOffset;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + off, expected);
  let data: TypedArray;
  switch (info.name) {
    case 'ubyte':
      data = bytes.slice(off, off + expected);
      break;
    case 'byte': {
      const s = new Int8Array(bytes.buffer, bytes.byteOffset + off, numel);
      data = Int32Array.from(s);
      break;
    }
    case 'short': {
      const a = new Int32Array(numel);
      for (let i = 0; i < numel; i++) a[i] = dv.getInt16(2 * i, false);
      data = a;
      break;
    }
    case 'int': {
      const a = new Int32Array(numel);
      for (let i = 0; i < numel; i++) a[i] = dv.getInt32(4 * i, false);
      data = a;
      break;
    }
    case 'float': {
      const a = new Float32Array(numel);
      for (let i = 0; i < numel; i++) a[i] = dv.getFloat32(4 * i, false);
      data = a;
      break;
    }
    case 'double': {
      const a = new Float64Array(numel);
      for (let i = 0; i < numel; i++) a[i] = dv.getFloat64(8 * i, false);
      data = a;
      break;
    }
  }
  return { ...header, data };
}

/** Parse (uncompressed) IDX bytes into a tensor of the file's dtype and shape (uint8 for MNIST images). */
export function parseIdx(bytes: Uint8Array, opts: { source?: string; device?: string } = {}): Tensor {
  const { data, dtype, shape } = decodeIdx(bytes, opts.source);
  const topts: TensorOptions & { shape: number[] } = { dtype, shape };
  if (opts.device) topts.device = opts.device;
  return tensor(data, topts);
}

/**
 * Encode values as IDX bytes (uncompressed). `values` is a tensor (read synchronously) or a flat
 * array with `shape`; `type` defaults from the tensor dtype (uint8 -> ubyte, int32/int64 -> int,
 * float64 -> double, other floats -> float).
 */
export function encodeIdx(values: Tensor | ArrayLike<number>, opts: { shape?: readonly number[]; type?: IdxType } = {}): Uint8Array {
  let flat: ArrayLike<number>;
  let shape: readonly number[];
  let type = opts.type;
  if (values instanceof Tensor) {
    const d = values.dataSync();
    flat = d instanceof BigInt64Array ? Array.from(d, Number) : d;
    shape = opts.shape ?? values.shape;
    type ??= values.dtype === 'uint8' || values.dtype === 'bool' ? 'ubyte' : values.dtype === 'int32' || values.dtype === 'int64' ? 'int' : values.dtype === 'float64' ? 'double' : 'float';
  } else {
    flat = values;
    shape = opts.shape ?? [values.length];
    type ??= 'ubyte';
  }
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel !== flat.length) throw new RangeError(`encodeIdx: shape [${shape.join(', ')}] has ${numel} elements but ${flat.length} values were given`);
  if (shape.length > 255) throw new RangeError(`encodeIdx: at most 255 dimensions, got ${shape.length}`);
  const info = TYPES.find((t) => t.name === type);
  if (!info) throw new TypeError(`encodeIdx: unknown type ${JSON.stringify(type)}; expected one of ${TYPES.map((t) => t.name).join(', ')}`);
  const off = 4 + 4 * shape.length;
  const out = new Uint8Array(off + numel * info.size);
  const dv = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = shape.length;
  shape.forEach((s, k) => dv.setUint32(4 + 4 * k, s, false));
  for (let i = 0; i < numel; i++) {
    const v = Number(flat[i]);
    switch (info.name) {
      case 'ubyte': dv.setUint8(off + i, v); break;
      case 'byte': dv.setInt8(off + i, v); break;
      case 'short': dv.setInt16(off + 2 * i, v, false); break;
      case 'int': dv.setInt32(off + 4 * i, v, false); break;
      case 'float': dv.setFloat32(off + 4 * i, v, false); break;
      case 'double': dv.setFloat64(off + 8 * i, v, false); break;
    }
  }
  return out;
}
