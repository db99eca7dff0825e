/**
 * Checkpoints in the safetensors format (https://github.com/huggingface/safetensors): 8-byte
 * little-endian header length N, N bytes of JSON header `{name: {dtype, shape, data_offsets},
 * "__metadata__": {...}}` padded with spaces to a multiple of 8, then the raw little-endian
 * tensor bytes. Files written here load in PyTorch (`safetensors.torch.load_file`) with the same
 * names and values, and PyTorch-written files load here.
 *
 * Loading validates the whole header (length against the file size, JSON, dtypes, shapes,
 * offsets in range, contiguous, non-overlapping, sizes = numel * itemsize) before reading any
 * tensor data, and every error names the file and the tensor or field. Saving writes to a temp
 * file in the same folder, fsyncs it and renames it over the target, so a failed or interrupted
 * save never leaves a half-written checkpoint (the previous one stays intact).
 *
 * File I/O uses Node's fs (through process.getBuiltinModule, so browser bundles that only use
 * serialize/deserialize do not pull it in).
 */
import { tensor, tidy, type DType, type Tensor, type TypedArray } from '@tensile/core';
import type { StateDict } from './module.js';

/** An invalid or unreadable safetensors file or buffer; `file` and `field` say where. */
export class SafetensorsError extends Error {
  readonly file: string;
  readonly field: string | undefined;
  constructor(file: string, message: string, opts: { field?: string; cause?: unknown } = {}) {
    super(`${file}: ${opts.field ? `${opts.field}: ` : ''}${message}`, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'SafetensorsError';
    this.file = file;
    this.field = opts.field;
  }
}

export interface SaveOptions {
  /** String key/values stored in `__metadata__` (format: 'pt' is always set). */
  metadata?: Record<string, string>;
}

export interface LoadOptions {
  /** Device for the loaded tensors (default: the default device). */
  device?: string;
}

/** safetensors dtype names <-> core dtypes. */
const TO_CORE: Record<string, DType> = { F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16', I32: 'int32', I64: 'int64', U8: 'uint8', BOOL: 'bool' };
const FROM_CORE: Record<DType, string> = { float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int32: 'I32', int64: 'I64', uint8: 'U8', bool: 'BOOL' };
const ITEMSIZE: Record<DType, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int32: 4, int64: 8, uint8: 1, bool: 1 };

/** The largest header safetensors accepts (100 MB). */
const MAX_HEADER = 100_000_000;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('@tensile/nn serialization: big-endian hosts are not supported');
}

// ---- half-precision conversions (float16/bfloat16 travel as Float32Array in core) ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value -> IEEE half bits, round to nearest even. */
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf / nan
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r++;
  return sign | r;
}

/** IEEE half bits -> number. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 value -> bfloat16 bits, round to nearest even. */
export function toBf16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff; // quiet nan
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bfloat16 bits -> number. */
export function fromBf16Bits(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

// ---- encoding ----

function encodeValues(dtype: DType, data: TypedArray): Uint8Array {
  switch (dtype) {
    case 'float16': {
      const src = data as Float32Array, out = new Uint16Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = toHalfBits(src[i]!);
      return new Uint8Array(out.buffer);
    }
    case 'bfloat16': {
      const src = data as Float32Array, out = new Uint16Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = toBf16Bits(src[i]!);
      return new Uint8Array(out.buffer);
    }
    case 'bool': {
      const src = data as Uint8Array, out = new Uint8Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0;
      return out;
    }
    default:
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  bytes: Uint8Array;
}

function checkStateDict(op: string, sd: StateDict): [string, Tensor][] {
  if (!sd || typeof sd !== 'object') throw new TypeError(`${op}: expected a state dict (an object of tensors), got ${sd === null ? 'null' : typeof sd}`);
  const entries = Object.entries(sd);
  for (const [k, t] of entries) {
    if (k === '__metadata__') throw new RangeError(`${op}: "__metadata__" is reserved by the safetensors format and cannot name a tensor`);
    if (!t || typeof (t as Tensor).dataSync !== 'function') throw new TypeError(`${op}: state dict entry "${k}" is not a tensor`);
    if ((t as Tensor).isDisposed) throw new Error(`${op}: state dict entry "${k}" was disposed`);
  }
  return entries;
}

function assemble(entries: Entry[], metadata: Record<string, string> | undefined): Uint8Array {
  const meta: Record<string, string> = { format: 'pt' };
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') throw new TypeError(`save: metadata values must be strings, got ${typeof v} for "${k}"`);
    meta[k] = v;
  }
  // Data layout as the safetensors library: larger alignment first, then by name.
  const ordered = [...entries].sort((a, b) => ITEMSIZE[b.dtype] - ITEMSIZE[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: meta };
  let off = 0;
  const offsets = new Map<string, number>();
  for (const e of ordered) {
    offsets.set(e.name, off);
    off += e.bytes.byteLength;
  }
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const begin = offsets.get(e.name)!;
    header[e.name] = { dtype: FROM_CORE[e.dtype], shape: e.shape, data_offsets: [begin, begin + e.bytes.byteLength] };
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + padded + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  let pos = 8 + padded;
  for (const e of ordered) {
    out.set(e.bytes, pos);
    pos += e.bytes.byteLength;
  }
  return out;
}

/** Encode a state dict as safetensors bytes (reads tensors synchronously; see serializeAsync for async devices). */
export function serialize(stateDict: StateDict, opts: SaveOptions = {}): Uint8Array {
  const entries = checkStateDict('serialize', stateDict).map(([name, t]) => ({ name, dtype: t.dtype, shape: [...t.shape], bytes: encodeValues(t.dtype, t.dataSync()) }));
  return assemble(entries, opts.metadata);
}

/** Encode a state dict as safetensors bytes, reading tensors with await data() (any device). */
export async function serializeAsync(stateDict: StateDict, opts: SaveOptions = {}): Promise<Uint8Array> {
  const entries: Entry[] = [];
  for (const [name, t] of checkStateDict('serialize', stateDict)) entries.push({ name, dtype: t.dtype, shape: [...t.shape], bytes: encodeValues(t.dtype, await t.data()) });
  return assemble(entries, opts.metadata);
}

// ---- decoding and validation ----

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

interface ParsedHeader {
  metadata: Record<string, string>;
  entries: HeaderEntry[];
}

/** Validate the 8-byte prefix against the total size; returns the header length N. */
function headerLength(file: string, prefix: Uint8Array, size: number): number {
  if (size < 8) throw new SafetensorsError(file, `file is too small to be a safetensors file (${size} bytes; the header length alone takes 8)`, { field: 'header length' });
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n === 0n) throw new SafetensorsError(file, 'header length is 0', { field: 'header length' });
  if (n > BigInt(MAX_HEADER)) throw new SafetensorsError(file, `header length ${n} exceeds the 100 MB limit (not a safetensors file, or corrupted)`, { field: 'header length' });
  if (n > BigInt(size - 8)) throw new SafetensorsError(file, `header length ${n} is larger than the rest of the file (${size - 8} bytes): the file is truncated or corrupted`, { field: 'header length' });
  return Number(n);
}

/** Parse and validate the JSON header; `dataLen` is the size of the data section. */
function parseHeader(file: string, bytes: Uint8Array, dataLen: number): ParsedHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new SafetensorsError(file, 'header is not valid UTF-8', { field: 'header', cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(file, `header is not valid JSON (${(e as Error).message})`, { field: 'header', cause: e });
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new SafetensorsError(file, 'header must be a JSON object', { field: 'header' });
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SafetensorsError(file, 'must be an object of strings', { field: '__metadata__' });
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') throw new SafetensorsError(file, `value of "${k}" must be a string, got ${JSON.stringify(s)}`, { field: '__metadata__' });
        metadata[k] = s;
      }
      continue;
    }
    const field = `tensor "${name}"`;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SafetensorsError(file, 'entry must be an object {dtype, shape, data_offsets}', { field });
    const { dtype, shape, data_offsets: offsets } = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string') throw new SafetensorsError(file, `missing or invalid dtype ${JSON.stringify(dtype)}`, { field: `${field} dtype` });
    const core = TO_CORE[dtype];
    if (!core) throw new SafetensorsError(file, `unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(TO_CORE).join(', ')})`, { field: `${field} dtype` });
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new SafetensorsError(file, `shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`, { field: `${field} shape` });
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      throw new SafetensorsError(file, `data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`, { field: `${field} data_offsets` });
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw new SafetensorsError(file, `data_offsets [${begin}, ${end}] end before they begin`, { field: `${field} data_offsets` });
    if (end > dataLen) {
      throw new SafetensorsError(file, `data_offsets [${begin}, ${end}] run past the end of the data section (${dataLen} bytes): the file is truncated or corrupted`, { field: `${field} data_offsets` });
    }
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = numel * ITEMSIZE[core];
    if (end - begin !== expected) {
      throw new SafetensorsError(file, `holds ${end - begin} bytes but shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expected}`, { field: `${field} data_offsets` });
    }
    entries.push({ name, dtype: core, shape: [...(shape as number[])], begin, end });
  }
  // The tensors must tile the data section exactly: contiguous, non-overlapping, no gaps.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) {
      const what = e.begin < pos ? 'overlaps the previous tensor' : `leaves a gap of ${e.begin - pos} bytes before it`;
      throw new SafetensorsError(file, `data_offsets [${e.begin}, ${e.end}] ${what} (tensors must be contiguous and non-overlapping)`, { field: `tensor "${e.name}" data_offsets` });
    }
    pos = e.end;
  }
  if (pos !== dataLen) {
    throw new SafetensorsError(file, `the tensors cover ${pos} bytes but the data section holds ${dataLen}: the file is corrupted or has trailing bytes`, { field: 'data_offsets' });
  }
  return { metadata, entries };
}

/** Decode one tensor's bytes (copied to an aligned buffer) into core's typed array for its dtype. */
function decodeValues(dtype: DType, raw: Uint8Array): TypedArray {
  const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'uint8': return new Uint8Array(buf);
    case 'bool': return Uint8Array.from(new Uint8Array(buf), (v) => (v ? 1 : 0));
    case 'float16': {
      const h = new Uint16Array(buf), out = new Float32Array(h.length);
      for (let i = 0; i < h.length; i++) out[i] = fromHalfBits(h[i]!);
      return out;
    }
    case 'bfloat16': {
      const h = new Uint16Array(buf), out = new Float32Array(h.length);
      for (let i = 0; i < h.length; i++) out[i] = fromBf16Bits(h[i]!);
      return out;
    }
  }
}

function buildTensors(header: ParsedHeader, data: Uint8Array, opts: LoadOptions): StateDict {
  const out: StateDict = {};
  const made = tidy(() => header.entries.map((e) => tensor(decodeValues(e.dtype, data.subarray(e.begin, e.end)), { dtype: e.dtype, shape: e.shape, device: opts.device })));
  header.entries.forEach((e, i) => (out[e.name] = made[i]!));
  return out;
}

/** Decode safetensors bytes into a state dict (validated first; `name` labels errors). */
export function deserialize(bytes: Uint8Array, opts: LoadOptions & { name?: string } = {}): StateDict {
  const file = opts.name ?? '<bytes>';
  const n = headerLength(file, bytes.subarray(0, 8), bytes.byteLength);
  const header = parseHeader(file, bytes.subarray(8, 8 + n), bytes.byteLength - 8 - n);
  return buildTensors(header, bytes.subarray(8 + n), opts);
}

/** The `__metadata__` of safetensors bytes (header only). */
export function readMetadata(bytes: Uint8Array, name = '<bytes>'): Record<string, string> {
  const n = headerLength(name, bytes.subarray(0, 8), bytes.byteLength);
  return parseHeader(name, bytes.subarray(8, 8 + n), bytes.byteLength - 8 - n).metadata;
}

// ---- files ----

type Fs = typeof import('node:fs');
type Path = typeof import('node:path');

function node(op: string): { fs: Fs; path: Path } {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = p?.getBuiltinModule?.('node:fs') as Fs | undefined;
  const path = p?.getBuiltinModule?.('node:path') as Path | undefined;
  if (!fs || !path) throw new Error(`${op}: file I/O needs Node.js >= 20.16 (process.getBuiltinModule); in a browser use serialize()/deserialize()`);
  return { fs, path };
}

/**
 * Write `data` to `file` atomically: a temp file in the same folder, fsync, rename over the target,
 * then fsync of the folder where the platform allows it. A reader sees the old file or the whole
 * new one, never a torn write; on failure the temp file is removed and the error rethrown (any
 * previous file is unchanged). Node.js only. (Also what @tensile/app-kit writes checkpoints,
 * metrics and reports with.)
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const { fs, path } = node('writeFileAtomic');
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    let pos = 0;
    while (pos < bytes.byteLength) pos += fs.writeSync(fd, bytes, pos, bytes.byteLength - pos);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
    try { fs.unlinkSync(tmp); } catch { /* never created */ }
    throw e;
  }
  // Make the rename durable where the platform allows fsync on a folder.
  try {
    const dfd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
  } catch { /* not supported (e.g. Windows) */ }
}

/** writeFileAtomic for checkpoints, failures reported as SafetensorsError naming the file. */
function writeAtomic(op: string, file: string, bytes: Uint8Array): void {
  node(op);
  try {
    writeFileAtomic(file, bytes);
  } catch (e) {
    throw new SafetensorsError(file, `could not save checkpoint (${(e as Error).message}); any previous file at this path is unchanged`, { cause: e });
  }
}

/** Save a state dict to `file` as safetensors, atomically (any device: tensors are read with await data()). */
export async function save(stateDict: StateDict, file: string, opts: SaveOptions = {}): Promise<void> {
  writeAtomic('save', file, await serializeAsync(stateDict, opts));
}

/** save() for devices with synchronous reads. */
export function saveSync(stateDict: StateDict, file: string, opts: SaveOptions = {}): void {
  writeAtomic('save', file, serialize(stateDict, opts));
}

/** Load a safetensors file: the header is validated before any tensor data is read. */
export function loadSync(file: string, opts: LoadOptions = {}): StateDict {
  const { fs } = node('load');
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new SafetensorsError(file, `cannot open file (${(e as Error).message})`, { cause: e });
  }
  try {
    const size = fs.fstatSync(fd).size;
    const prefix = new Uint8Array(8);
    if (size >= 8) fs.readSync(fd, prefix, 0, 8, 0);
    const n = headerLength(file, prefix, size);
    const hbytes = new Uint8Array(n);
    readFully(fs, fd, hbytes, 8);
    const header = parseHeader(file, hbytes, size - 8 - n);
    const data = new Uint8Array(size - 8 - n);
    readFully(fs, fd, data, 8 + n);
    return buildTensors(header, data, opts);
  } finally {
    fs.closeSync(fd);
  }
}

function readFully(fs: Fs, fd: number, into: Uint8Array, position: number): void {
  let got = 0;
  while (got < into.byteLength) {
    const r = fs.readSync(fd, into, got, into.byteLength - got, position + got);
    if (r === 0) throw new Error('unexpected end of file');
    got += r;
  }
}

/** Load a safetensors file into a state dict (async for symmetry with save; validation as loadSync). */
export async function load(file: string, opts: LoadOptions = {}): Promise<StateDict> {
  return loadSync(file, opts);
}

/** safetensors.torch.save_file naming: save(). */
export const saveFile = save;
/** safetensors.torch.load_file naming: load(). */
export const loadFile = load;
