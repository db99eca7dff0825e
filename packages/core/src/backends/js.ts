/**
 * The JS reference backend: every primitive in plain TypeScript, float64 included. It favours
 * clarity over speed: it is the portable fallback and the oracle other backends are tested
 * against. Values compute in doubles and are rounded by the storage array (float16/bfloat16
 * are rounded explicitly; int64 is held in a Float64Array, exact to 2^53).
 */
import type { Backend, BinaryOp, ReduceOp, UnaryOp, View, RandomKind } from '../backend.js';
import { DTYPES, roundBFloat16, roundFloat16, type DType, type TypedArray } from '../dtype.js';
import { philoxNormal, philoxUniform, uniformBits } from '../random.js';
import { erf } from './math.js';

type Store = Float32Array | Float64Array | Int32Array | Uint8Array;
export interface JsBuffer {
  data: Store;
}

function makeStore(dtype: DType, n: number): Store {
  switch (dtype) {
    case 'float64':
    case 'int64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    default:
      return new Float32Array(n);
  }
}

function store(buf: unknown): Store {
  return (buf as JsBuffer).data;
}

/** Element offsets of a view in row-major order of its shape. */
export function viewOffsets(v: Pick<View, 'shape' | 'strides' | 'offset'>): Int32Array {
  const rank = v.shape.length;
  let n = 1;
  for (const s of v.shape) n *= s;
  const out = new Int32Array(n);
  if (n === 0) return out;
  const idx = new Array<number>(rank).fill(0);
  let off = v.offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      off += v.strides[d]!;
      if (idx[d]! < v.shape[d]!) break;
      off -= v.strides[d]! * v.shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Round freshly written values to the dtype's precision where the store is wider. */
function finish(out: Store, dtype: DType): void {
  if (dtype === 'float16') for (let i = 0; i < out.length; i++) out[i] = roundFloat16(out[i]!);
  else if (dtype === 'bfloat16') for (let i = 0; i < out.length; i++) out[i] = roundBFloat16(out[i]!);
  else if (dtype === 'int64') for (let i = 0; i < out.length; i++) out[i] = Math.trunc(out[i]!);
}

function convert(v: number, dtype: DType): number {
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  if (dtype === 'int64') return Math.trunc(v);
  return v;
}

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  erf,
  floor: Math.floor,
  ceil: Math.ceil,
  round: (x) => {
    // round half to even, as torch.round
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  trunc: Math.trunc,
  reciprocal: (x) => 1 / x,
  log1p: Math.log1p,
  expm1: Math.expm1,
  logicalNot: (x) => (x === 0 ? 1 : 0),
  isnan: (x) => (Number.isNaN(x) ? 1 : 0),
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
};

function intPow(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0;
  return Math.pow(a, b);
}

function binaryFn(op: BinaryOp, dtype: DType): (a: number, b: number) => number {
  const integer = dtype === 'int32' || dtype === 'int64' || dtype === 'uint8';
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': return integer ? (a, b) => Math.trunc(a / b) : (a, b) => a / b;
    case 'pow': return integer ? intPow : Math.pow;
    case 'maximum': return (a, b) => (a !== a || b !== b ? NaN : Math.max(a, b));
    case 'minimum': return (a, b) => (a !== a || b !== b ? NaN : Math.min(a, b));
    case 'remainder': return (a, b) => {
      if (integer && b === 0) throw new RangeError('remainder: ZeroDivisionError (integer division by zero)');
      const r = a % b;
      return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
    };
    case 'floorDivide': return (a, b) => {
      if (integer && b === 0) throw new RangeError('floorDivide: ZeroDivisionError (integer division by zero)');
      return Math.floor(a / b);
    };
    case 'atan2': return Math.atan2;
    case 'eq': return (a, b) => (a === b ? 1 : 0);
    case 'ne': return (a, b) => (a !== b ? 1 : 0);
    case 'lt': return (a, b) => (a < b ? 1 : 0);
    case 'le': return (a, b) => (a <= b ? 1 : 0);
    case 'gt': return (a, b) => (a > b ? 1 : 0);
    case 'ge': return (a, b) => (a >= b ? 1 : 0);
    case 'logicalAnd': return (a, b) => (a !== 0 && b !== 0 ? 1 : 0);
    case 'logicalOr': return (a, b) => (a !== 0 || b !== 0 ? 1 : 0);
    case 'logicalXor': return (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0);
  }
}

function checkIndex(op: string, v: number, size: number, dim: number): number {
  const i = v < 0 ? v + size : v;
  if (!(i >= 0 && i < size)) {
    throw new RangeError(`${op}: index ${v} is out of bounds for dimension ${dim} with size ${size}`);
  }
  return i;
}

export class JsBackend implements Backend {
  readonly capabilities = { dtypes: DTYPES, storageOnly: [] as DType[], syncRead: true };
  constructor(readonly name = 'js') {}

  alloc(numel: number, dtype: DType): JsBuffer {
    return { data: makeStore(dtype, numel) };
  }
  free(buf: unknown): void {
    (buf as { data: Store | null }).data = null as unknown as Store;
  }
  write(buf: unknown, dtype: DType, data: TypedArray): void {
    const out = store(buf);
    if (data instanceof BigInt64Array) for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
    else out.set(data as ArrayLike<number>);
    finish(out, dtype);
  }
  readSync(buf: unknown, dtype: DType, numel: number): TypedArray {
    const s = store(buf);
    if (!s) throw new Error('read: buffer was freed');
    switch (dtype) {
      case 'int64': {
        const out = new BigInt64Array(numel);
        for (let i = 0; i < numel; i++) out[i] = BigInt(s[i]!);
        return out;
      }
      case 'float64': return Float64Array.from(s.subarray(0, numel));
      case 'int32': return Int32Array.from(s.subarray(0, numel));
      case 'uint8':
      case 'bool': return Uint8Array.from(s.subarray(0, numel));
      default: return Float32Array.from(s.subarray(0, numel));
    }
  }
  async read(buf: unknown, dtype: DType, numel: number): Promise<TypedArray> {
    return this.readSync(buf, dtype, numel);
  }

  fill(out: unknown, dtype: DType, numel: number, value: number): void {
    const o = store(out);
    o.fill(convert(value, dtype), 0, numel);
    finish(o, dtype);
  }
  arange(out: unknown, dtype: DType, numel: number, start: number, step: number): void {
    const o = store(out);
    for (let i = 0; i < numel; i++) o[i] = start + i * step;
    finish(o, dtype);
  }
  random(out: unknown, dtype: DType, numel: number, kind: RandomKind, key: [number, number], offset: number): void {
    const o = store(out);
    if (kind === 'uniform') {
      const bits = uniformBits(dtype);
      for (let i = 0; i < numel; i++) o[i] = philoxUniform(key, offset + i, bits);
    } else for (let i = 0; i < numel; i++) o[i] = philoxNormal(key, offset + i);
    finish(o, dtype);
  }
  copy(src: View, dst: View): void {
    const s = store(src.buf), d = store(dst.buf);
    const si = viewOffsets(src), di = viewOffsets(dst);
    if (src.dtype !== dst.dtype) throw new TypeError(`copy: dtype mismatch ${src.dtype} -> ${dst.dtype}`);
    for (let i = 0; i < si.length; i++) d[di[i]!] = s[si[i]!]!;
  }
  cast(x: View, out: unknown, dtype: DType): void {
    const s = store(x.buf), o = store(out);
    const xi = viewOffsets(x);
    if (dtype === 'bool') for (let i = 0; i < xi.length; i++) o[i] = s[xi[i]!] !== 0 ? 1 : 0;
    else for (let i = 0; i < xi.length; i++) o[i] = s[xi[i]!]!;
    // int32/uint8 typed-array stores truncate toward zero and wrap, as C casts do
    finish(o, dtype);
  }
  unary(op: UnaryOp, x: View, out: unknown): void {
    const s = store(x.buf), o = store(out);
    const xi = viewOffsets(x);
    const f = UNARY[op];
    for (let i = 0; i < xi.length; i++) o[i] = f(s[xi[i]!]!);
    finish(o, op === 'logicalNot' || op === 'isnan' ? 'bool' : x.dtype);
  }
  binary(op: BinaryOp, a: View, b: View, out: unknown): void {
    const sa = store(a.buf), sb = store(b.buf), o = store(out);
    const ai = viewOffsets(a), bi = viewOffsets(b);
    const f = binaryFn(op, a.dtype);
    for (let i = 0; i < ai.length; i++) o[i] = f(sa[ai[i]!]!, sb[bi[i]!]!);
    if (a.dtype === 'bool' && !['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op)) for (let i = 0; i < o.length; i++) o[i] = o[i] ? 1 : 0;
    finish(o, a.dtype);
  }
  where(cond: View, a: View, b: View, out: unknown): void {
    const sc = store(cond.buf), sa = store(a.buf), sb = store(b.buf), o = store(out);
    const ci = viewOffsets(cond), ai = viewOffsets(a), bi = viewOffsets(b);
    for (let i = 0; i < ci.length; i++) o[i] = sc[ci[i]!] ? sa[ai[i]!]! : sb[bi[i]!]!;
  }
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: unknown): void {
    const s = store(x.buf), o = store(out);
    const rank = x.shape.length;
    const isAxis = new Array<boolean>(rank).fill(false);
    for (const a of axes) isAxis[a] = true;
    // Output strides over the kept axes; 0 on reduced ones.
    const ostr = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let d = rank - 1; d >= 0; d--) if (!isAxis[d]) { ostr[d] = acc; acc *= x.shape[d]!; }
    const outN = acc;
    const xi = viewOffsets(x);
    const oi = viewOffsets({ shape: x.shape, strides: ostr, offset: 0 });
    if (op === 'argmax' || op === 'argmin') {
      const ax = axes[0]!;
      let inner = 1;
      for (let d = ax + 1; d < rank; d++) inner *= x.shape[d]!;
      const size = x.shape[ax]!;
      const best = new Float64Array(outN).fill(NaN);
      const seen = new Uint8Array(outN);
      const isMax = op === 'argmax';
      for (let i = 0; i < xi.length; i++) {
        const v = s[xi[i]!]!, k = oi[i]!;
        const pos = Math.floor(i / inner) % size;
        const cur = best[k]!;
        if (!seen[k] || (cur === cur && (v !== v || (isMax ? v > cur : v < cur)))) {
          best[k] = v;
          o[k] = pos;
          seen[k] = 1;
        }
      }
      return;
    }
    const init = op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'max' ? -Infinity : Infinity;
    const accs = new Float64Array(outN).fill(init);
    if (op === 'sum') for (let i = 0; i < xi.length; i++) accs[oi[i]!] += s[xi[i]!]!;
    else if (op === 'prod') for (let i = 0; i < xi.length; i++) accs[oi[i]!] *= s[xi[i]!]!;
    else {
      const isMax = op === 'max';
      for (let i = 0; i < xi.length; i++) {
        const v = s[xi[i]!]!, k = oi[i]!;
        const c = accs[k]!;
        if (v !== v || (c === c && (isMax ? v > c : v < c))) accs[k] = v;
      }
    }
    for (let k = 0; k < outN; k++) o[k] = accs[k]!;
    if (x.dtype === 'bool') for (let k = 0; k < outN; k++) o[k] = o[k] ? 1 : 0;
    finish(o, x.dtype);
  }
  cumsum(x: View, dim: number, out: unknown): void {
    const s = store(x.buf), o = store(out);
    const xi = viewOffsets(x);
    let inner = 1;
    for (let d = dim + 1; d < x.shape.length; d++) inner *= x.shape[d]!;
    const size = x.shape[dim]!;
    for (let i = 0; i < xi.length; i++) {
      const pos = Math.floor(i / inner) % size;
      o[i] = pos === 0 ? s[xi[i]!]! : o[i - inner]! + s[xi[i]!]!;
    }
    finish(o, x.dtype);
  }
  matmul(a: View, b: View, out: unknown): void {
    const sa = store(a.buf), sb = store(b.buf), o = store(out);
    const r = a.shape.length;
    const m = a.shape[r - 2]!, k = a.shape[r - 1]!, n = b.shape[r - 1]!;
    const batchShape = a.shape.slice(0, r - 2);
    const aB = viewOffsets({ shape: batchShape, strides: a.strides.slice(0, r - 2), offset: a.offset });
    const bB = viewOffsets({ shape: batchShape, strides: b.strides.slice(0, r - 2), offset: b.offset });
    const am = a.strides[r - 2]!, ak = a.strides[r - 1]!, bk = b.strides[r - 2]!, bn = b.strides[r - 1]!;
    let p = 0;
    for (let bt = 0; bt < aB.length; bt++) {
      const a0 = aB[bt]!, b0 = bB[bt]!;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let q = 0; q < k; q++) acc += sa[a0 + i * am + q * ak]! * sb[b0 + q * bk + j * bn]!;
          o[p++] = acc;
        }
      }
    }
    finish(o, a.dtype);
  }
  gather(x: View, dim: number, index: View, out: unknown): void {
    const sx = store(x.buf), si = store(index.buf), o = store(out);
    const ii = viewOffsets(index);
    // x offsets for index's coordinates with the gathered dim pinned to 0
    const base = viewOffsets({ shape: index.shape, strides: x.strides.map((s, d) => (d === dim ? 0 : s)), offset: x.offset });
    const size = x.shape[dim]!, stride = x.strides[dim]!;
    for (let i = 0; i < ii.length; i++) o[i] = sx[base[i]! + checkIndex('gather', si[ii[i]!]!, size, dim) * stride]!;
  }
  scatterAdd(target: unknown, targetShape: readonly number[], dim: number, index: View, src: View): void {
    const t = store(target), si = store(index.buf), ss = store(src.buf);
    const ii = viewOffsets(index), sri = viewOffsets(src);
    const tstr = targetStrides(targetShape);
    const base = viewOffsets({ shape: index.shape, strides: tstr.map((s, d) => (d === dim ? 0 : s)), offset: 0 });
    const size = targetShape[dim]!, stride = tstr[dim]!;
    for (let i = 0; i < ii.length; i++) t[base[i]! + checkIndex('scatterAdd', si[ii[i]!]!, size, dim) * stride] += ss[sri[i]!]!;
  }
}

function targetStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = s; s *= shape[i]!; }
  return st;
}

/**
 * `js-async`: the JS backend with only asynchronous reads, to prove that core and the
 * conformance suite never depend on synchronous reads.
 */
export class JsAsyncBackend extends JsBackend {
  override readonly capabilities = { dtypes: DTYPES, storageOnly: [] as DType[], syncRead: false };
  declare readSync: never;
  constructor() {
    super('js-async');
    (this as { readSync?: unknown }).readSync = undefined;
  }
  override async read(buf: unknown, dtype: DType, numel: number): Promise<TypedArray> {
    await Promise.resolve();
    return JsBackend.prototype.readSync.call(this, buf, dtype, numel);
  }
}
