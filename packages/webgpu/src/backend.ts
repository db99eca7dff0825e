/**
 * The `webgpu` backend: every primitive of core's contract as WGSL compute shaders generated
 * from the templates in templates.ts, on a GpuContext (pool, lazy submission, arena).
 */
import {
  contiguousStrides,
  isContiguous as isContiguousShape,
  numelOf,
  philoxNormal,
  philoxUniform,
  roundBFloat16,
  roundFloat16,
  uniformBits,
  type Backend,
  type BackendBuffer,
  type BinaryOp,
  type Capabilities,
  type DType,
  type Overrides,
  type RandomKind,
  type ReduceOp,
  type TypedArray,
  type UnaryOp,
  type View,
} from '@tensile/core';
import { GpuBuffer, GpuContext, Meta, type Binding } from './context.js';
import { acquireDevice, releaseDevice, type WebGPUOptions } from './driver.js';
import type {} from './gpu-types.js';
import { binaryExpr, unaryExpr } from './ops.js';
import { makeOverrides } from './overrides.js';
import {
  cumsumShader,
  gatherShader,
  MAP_SHAPE_AT,
  mapShader,
  matmulShader,
  matmulVec4Shader,
  MM4_ROWS,
  MM4_WG,
  type Mm4Layout,
  MM_TILE,
  reduceShader,
  scatterAddShader,
  WG,
  type MapInput,
} from './templates.js';
import { convert, isFloatDtype, wordsPer } from './wgsl.js';

/** dtypes the backend computes in (float64 is absent: WGSL has no 64-bit floats). */
export const WEBGPU_DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'int32', 'int64', 'uint8', 'bool'];

/** What the backend does not do, as data (the conformance skips and the README read it). */
export const WEBGPU_LIMITATIONS = {
  float64: 'WGSL has no 64-bit floating point type: float64 tensors cannot be allocated on webgpu (use float32, or cpu/js)',
  int64: 'int64 is stored exactly (two 32-bit words) but computed on its low 32 bits: exact for |v| < 2^31',
  float16:
    'float16 is stored as WGSL f16 (2 bytes per element) and computed in f32 when the adapter has shader-f16; without it (or with shaderF16: false) it is emulated: stored as 32-bit floats rounded to float16 after every kernel',
  bfloat16: 'bfloat16 is always emulated (WGSL has no bf16 type): stored as 32-bit floats rounded to bfloat16 after every kernel',
} as const;

/** How a half-precision dtype is held on a webgpu device. */
export type HalfStorage = 'f16' | 'f32-emulated';

/** The webgpu backend's capabilities: core's, plus how float16/bfloat16 are stored (known after ready()). */
export interface WebGPUCapabilities extends Capabilities {
  /** float16: 'f16' (shader-f16: 2-byte storage, f32 compute) or 'f32-emulated'; null before ready(). */
  float16: HalfStorage | null;
  /** bfloat16: always 'f32-emulated' (WGSL has no bf16). */
  bfloat16: 'f32-emulated';
  /** Bytes per element of each dtype (float16's is 2 with shader-f16, else 4; null before ready()). */
  bytesPerElement: Partial<Record<DType, number | null>>;
}

function webgpuCapabilities(f16: boolean | null): WebGPUCapabilities {
  return {
    dtypes: WEBGPU_DTYPES,
    storageOnly: [],
    syncRead: false,
    float16: f16 === null ? null : f16 ? 'f16' : 'f32-emulated',
    bfloat16: 'f32-emulated',
    bytesPerElement: { float32: 4, float16: f16 === null ? null : f16 ? 2 : 4, bfloat16: 4, int32: 4, int64: 8, uint8: 4, bool: 4 },
  };
}

/** A kernel operand: a strided view of a webgpu buffer. */
function gb(b: BackendBuffer, op: string): GpuBuffer {
  if (!(b instanceof GpuBuffer)) throw new TypeError(`webgpu.${op}: not a buffer of the webgpu device`);
  if (b.freed) throw new Error(`webgpu.${op}: the buffer was freed (a disposed tensor was used)`);
  return b;
}

/** Row-major contiguous from its offset (size-1 dims ignored). */
export function isContiguous(v: Pick<View, 'shape' | 'strides'>): boolean {
  return isContiguousShape(v.shape, v.strides);
}

/** Workgroup counts for n invocations (or workgroups when wg = 1), spread over x and y. */
export function groups1d(n: number, wg = WG): [number, number] {
  const g = Math.max(1, Math.ceil(n / wg));
  const gx = Math.min(g, 65535);
  return [gx, Math.ceil(g / gx)];
}

/**
 * The layout for the vec4 matmul kernel (templates.ts: matmulVec4Shader) when the operands allow
 * it (float32, K and N multiples of 4, 16-byte aligned rows or columns), else null (the general
 * tiled kernel).
 */
function vec4Layout(a: View, b: View, M: number, N: number, K: number): Mm4Layout | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || K % 4 !== 0 || N % 4 !== 0) return null;
  const r = a.shape.length;
  const am = a.strides[r - 2]!, ak = a.strides[r - 1]!, bk = b.strides[r - 2]!, bn = b.strides[r - 1]!;
  const al = ak === 1 && am % 4 === 0 ? 'k' : am === 1 && ak % 4 === 0 && M % 4 === 0 ? 'm' : null;
  const bl = bn === 1 && bk % 4 === 0 ? 'n' : bk === 1 && bn % 4 === 0 ? 'k' : null;
  if (!al || !bl || a.offset % 4 !== 0 || b.offset % 4 !== 0) return null;
  for (let d = 0; d < r - 2; d++) if (a.strides[d]! % 4 !== 0 || b.strides[d]! % 4 !== 0) return null;
  return { a: al, b: bl };
}

export class WebGPUBackend implements Backend {
  readonly name: string;
  private ctxRef: GpuContext | null = null;
  private ownsDevice = false;
  private options: WebGPUOptions;
  readonly overrides: Overrides;
  /** How many convolutions ran lowered onto im2col + matmul (overrides.ts), per override. */
  readonly convLowered = { conv2d: 0, conv2dBackwardInput: 0, conv2dBackwardWeight: 0 };
  adapterInfo: { vendor?: string; architecture?: string; device?: string; description?: string } = {};
  /** Features of the adapter (e.g. shader-f16), known after ready(). */
  features: string[] = [];

  capabilities: WebGPUCapabilities = webgpuCapabilities(null);
  /** float16 is stored as WGSL f16 (the device has shader-f16 and options.shaderF16 is not false); set by ready(). */
  halfStorage = false;

  constructor(name = 'webgpu', options: WebGPUOptions = {}) {
    this.name = name;
    this.options = options;
    this.overrides = makeOverrides(this);
  }

  /** Set device options before ready() (an existing device or adapter, adapter options, Dawn flags). */
  configure(options: WebGPUOptions): void {
    if (this.ctxRef) throw new Error('webgpu.configure: the device is already initialised; call it before ready()');
    this.options = { ...this.options, ...options };
  }

  async ready(): Promise<void> {
    if (this.ctxRef) return;
    const { device, adapter, owned } = await acquireDevice(this.options);
    this.ownsDevice = owned;
    const info = adapter?.info ?? (device as unknown as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    if (info) this.adapterInfo = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
    this.features = adapter ? [...adapter.features] : [...device.features];
    this.halfStorage = this.options.shaderF16 !== false && device.features.has('shader-f16');
    this.capabilities = webgpuCapabilities(this.halfStorage);
    this.ctxRef = new GpuContext(device, this.halfStorage);
  }

  /** The GPU context (after ready()). */
  get ctx(): GpuContext {
    const c = this.ctxRef;
    if (!c) throw new Error(`${this.name}: the device is not initialised: await ready('${this.name}') before creating tensors on it`);
    return c;
  }

  get initialised(): boolean {
    return this.ctxRef !== null;
  }

  /** Free the pool, staging buffers and (when the backend created it) the device. */
  destroy(): void {
    const c = this.ctxRef;
    if (!c) return;
    c.destroy();
    if (this.ownsDevice) c.device.destroy();
    this.ctxRef = null;
    if (this.ownsDevice) releaseDevice();
  }

  // ---- helpers ----

  /** Encode a 1-D kernel over n invocations. */
  run(key: string, code: () => string, meta: Meta, bindings: Binding[], n: number, wg = WG): void {
    if (n <= 0) return;
    const ctx = this.ctx;
    const pipe = ctx.pipeline(key, code);
    ctx.dispatch(pipe, meta.commit(ctx), bindings, groups1d(n, wg));
  }

  /** Elementwise map over `shape`: out = expr(x0..) (see mapShader). */
  map(op: string, shape: readonly number[], inputs: readonly View[], out: { buf: BackendBuffer; dtype: DType; view?: View }, expr: string, scalars: { f?: number[]; i?: number[] } = {}): void {
    const n = numelOf(shape);
    if (n === 0) return;
    const ins: MapInput[] = inputs.map((v) => ({ dtype: v.dtype, contiguous: isContiguous(v) }));
    const strided = out.view !== undefined && !(isContiguous(out.view) && out.view.offset === 0);
    const key = `map|${op}|${ins.map((x) => `${x.dtype}${x.contiguous ? 'c' : 's'}`).join(',')}|${out.dtype}${strided ? 's' : 'c'}|${expr}`;
    const m = new Meta().i(n, shape.length);
    const fs = scalars.f ?? [], is = scalars.i ?? [];
    for (let k = 0; k < 4; k++) {
      if (k < fs.length) m.f(fs[k]!);
      else m.i(is[k - fs.length] ?? 0);
    }
    m.i(...shape);
    for (const v of inputs) m.i(v.offset, ...v.strides);
    if (strided) m.i(out.view!.offset, ...out.view!.strides);
    const bindings: Binding[] = inputs.map((v) => ({ buf: gb(v.buf, op) }));
    bindings.push({ buf: gb(out.buf, op), write: true });
    void MAP_SHAPE_AT;
    this.run(key, () => mapShader(ins, out.dtype, expr, strided), m, bindings, n);
  }

  // ---- storage ----

  /** Bytes per element of dtype in this device's buffers (float16: 2 with f16 storage). */
  bytesPer(dtype: DType): number {
    return dtype === 'float16' && this.halfStorage ? 2 : 4 * wordsPer(dtype);
  }

  alloc(numel: number, dtype: DType): GpuBuffer {
    if (!WEBGPU_DTYPES.includes(dtype)) throw new TypeError(`webgpu.alloc: dtype ${dtype} is not supported on webgpu (${WEBGPU_LIMITATIONS.float64})`);
    return this.ctx.alloc(numel * this.bytesPer(dtype));
  }
  free(b: BackendBuffer): void {
    if (b instanceof GpuBuffer && !b.freed && this.ctxRef) this.ctxRef.free(b);
  }
  write(b: BackendBuffer, dtype: DType, data: TypedArray): void {
    const buf = gb(b, 'write');
    this.ctx.upload(buf, toStorage(dtype, data, this.halfStorage));
  }
  async read(b: BackendBuffer, dtype: DType, numel: number): Promise<TypedArray> {
    const buf = gb(b, 'read');
    const bytes = await this.ctx.read(buf, numel * this.bytesPer(dtype));
    return fromStorage(dtype, bytes, numel, this.halfStorage);
  }

  // ---- primitives ----

  fill(out: BackendBuffer, dtype: DType, numel: number, value: number): void {
    if (numel === 0) return;
    if (!isFloatDtype(dtype) && dtype !== 'bool' && (value > 2147483647 || value < -2147483648)) {
      // outside i32: write from the host (int64 keeps all its bits)
      const data = dtype === 'int64' ? new BigInt64Array(numel).fill(BigInt(Math.trunc(value))) : new Int32Array(numel).fill(value);
      this.write(out, dtype, data);
      return;
    }
    const f = isFloatDtype(dtype);
    const expr = f ? 'sc_f(0)' : dtype === 'bool' ? 'select(0, 1, sc_f(0) != 0.0 || is_nan(sc_f(0)))' : 'i32(sc_f(0))';
    const v = f || dtype === 'bool' ? value : Math.trunc(value);
    if (!f && dtype !== 'bool') this.map('fill', [numel], [], { buf: out, dtype }, 'sc_i(0)', { i: [v] });
    else this.map('fill', [numel], [], { buf: out, dtype }, expr, { f: [v] });
  }
  arange(out: BackendBuffer, dtype: DType, numel: number, start: number, step: number): void {
    if (isFloatDtype(dtype)) this.map('arange', [numel], [], { buf: out, dtype }, 'sc_f(0) + f32(i) * sc_f(1)', { f: [start, step] });
    else if (Number.isInteger(start) && Number.isInteger(step)) this.map('arange', [numel], [], { buf: out, dtype }, 'sc_i(0) + i32(i) * sc_i(1)', { i: [start, step] });
    else {
      const data = new Float64Array(numel);
      for (let i = 0; i < numel; i++) data[i] = Math.trunc(start + i * step);
      this.write(out, dtype, dtype === 'int64' ? BigInt64Array.from(data, (x) => BigInt(x)) : Int32Array.from(data));
    }
  }
  random(out: BackendBuffer, dtype: DType, numel: number, kind: RandomKind, key: [number, number], offset: number): void {
    // Philox on the host (bit-exact with core's stream: normal needs double-precision log/cos), uploaded in order.
    const data = new Float32Array(numel);
    if (kind === 'uniform') {
      const bits = uniformBits(dtype);
      for (let i = 0; i < numel; i++) data[i] = philoxUniform(key, offset + i, bits);
    } else for (let i = 0; i < numel; i++) data[i] = philoxNormal(key, offset + i);
    this.write(out, dtype, data);
  }
  copy(src: View, dst: View): void {
    if (src.dtype !== dst.dtype) throw new TypeError(`webgpu.copy: dtype mismatch ${src.dtype} -> ${dst.dtype}`);
    const n = numelOf(src.shape);
    if (n === 0) return;
    // Both contiguous: a plain buffer copy.
    // Both contiguous: a plain buffer copy (offsets and size must be multiples of 4 bytes: 2-byte
    // f16 elements at odd offsets or counts take the copy kernel).
    const w = this.bytesPer(src.dtype);
    if (isContiguous(src) && isContiguous(dst) && src.buf !== dst.buf && (w % 4 === 0 || ((n * w) % 4 === 0 && (src.offset * w) % 4 === 0 && (dst.offset * w) % 4 === 0))) {
      this.ctx.copyBuffer(gb(src.buf, 'copy'), gb(dst.buf, 'copy'), n * w, src.offset * w, dst.offset * w);
      return;
    }
    if (src.dtype === 'int64') {
      // copy both words: view int64 as pairs of int32 (a trailing dim of 2)
      const s2: View = { ...src, dtype: 'int32', shape: [...src.shape, 2], strides: [...src.strides.map((s) => 2 * s), 1], offset: 2 * src.offset };
      const d2: View = { ...dst, dtype: 'int32', shape: [...dst.shape, 2], strides: [...dst.strides.map((s) => 2 * s), 1], offset: 2 * dst.offset };
      this.copy(s2, d2);
      return;
    }
    this.map('copy', src.shape, [src], { buf: dst.buf, dtype: dst.dtype, view: dst }, 'x0');
  }
  cast(x: View, out: BackendBuffer, dtype: DType): void {
    this.map('cast', x.shape, [x], { buf: out, dtype }, convert('x0', x.dtype, dtype));
  }
  unary(op: UnaryOp, x: View, out: BackendBuffer): void {
    const outDtype = op === 'logicalNot' || op === 'isnan' ? 'bool' : x.dtype;
    this.map(op, x.shape, [x], { buf: out, dtype: outDtype }, unaryExpr(op, x.dtype));
  }
  binary(op: BinaryOp, a: View, b: View, out: BackendBuffer): void {
    const boolOut = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor'].includes(op);
    this.map(op, a.shape, [a, b], { buf: out, dtype: boolOut ? 'bool' : a.dtype }, binaryExpr(op, a.dtype));
  }
  where(cond: View, a: View, b: View, out: BackendBuffer): void {
    if (a.dtype === 'int64') {
      // keep all 64 bits: select word pairs
      const pair = (v: View): View => ({ ...v, dtype: 'int32', shape: [...v.shape, 2], strides: [...v.strides.map((s) => 2 * s), 1], offset: 2 * v.offset });
      const c2: View = { ...cond, shape: [...cond.shape, 2], strides: [...cond.strides, 0] };
      this.map('where', c2.shape, [c2, pair(a), pair(b)], { buf: out, dtype: 'int32' }, 'select(x2, x1, x0 != 0)');
      return;
    }
    this.map('where', a.shape, [cond, a, b], { buf: out, dtype: a.dtype }, 'select(x2, x1, x0 != 0)');
  }
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: BackendBuffer): void {
    const rank = x.shape.length;
    const isAxis = new Array<boolean>(rank).fill(false);
    for (const a of axes) isAxis[a] = true;
    const kShape: number[] = [], kStr: number[] = [], rShape: number[] = [], rStr: number[] = [];
    for (let d = 0; d < rank; d++) {
      if (isAxis[d]) {
        rShape.push(x.shape[d]!);
        rStr.push(x.strides[d]!);
      } else {
        kShape.push(x.shape[d]!);
        kStr.push(x.strides[d]!);
      }
    }
    const outN = numelOf(kShape), redN = numelOf(rShape);
    if (outN === 0) return;
    const outDtype: DType = op === 'argmax' || op === 'argmin' ? 'int64' : x.dtype;
    const grouped = redN > 64;
    const m = new Meta().i(outN, redN, kShape.length, rShape.length, x.offset, ...kShape, ...kStr, ...rShape, ...rStr);
    const key = `reduce|${op}|${x.dtype}|${grouped}`;
    const bindings: Binding[] = [{ buf: gb(x.buf, op) }, { buf: gb(out, op), write: true }];
    if (grouped) this.run(key, () => reduceShader(op, x.dtype, outDtype, true), m, bindings, outN, 1);
    else this.run(key, () => reduceShader(op, x.dtype, outDtype, false), m, bindings, outN);
  }
  cumsum(x: View, dim: number, out: BackendBuffer): void {
    const { m, lines } = Meta.lines(x, dim);
    if (lines === 0) return;
    this.run(`cumsum|${x.dtype}`, () => cumsumShader(x.dtype), m, [{ buf: gb(x.buf, 'cumsum') }, { buf: gb(out, 'cumsum'), write: true }], lines);
  }
  matmul(a: View, b: View, out: BackendBuffer): void {
    const r = a.shape.length;
    const M = a.shape[r - 2]!, K = a.shape[r - 1]!, N = b.shape[r - 1]!;
    const batchShape = a.shape.slice(0, r - 2);
    const batch = numelOf(batchShape);
    if (M === 0 || N === 0 || batch === 0) return;
    if (K === 0) {
      this.fill(out, a.dtype, batch * M * N, 0);
      return;
    }
    if (batch > 65535) throw new RangeError(`webgpu.matmul: ${batch} batches exceed the dispatch limit of 65535`);
    const m = new Meta().i(M, N, K, r - 2, a.offset, a.strides[r - 2]!, a.strides[r - 1]!, b.offset, b.strides[r - 2]!, b.strides[r - 1]!);
    m.i(...batchShape, ...a.strides.slice(0, r - 2), ...b.strides.slice(0, r - 2));
    const ctx = this.ctx;
    const layout = vec4Layout(a, b, M, N, K);
    if (layout) {
      const pipe = ctx.pipeline(`matmul4|${layout.a}${layout.b}`, () => matmulVec4Shader(layout));
      ctx.dispatch(pipe, m.commit(ctx), [{ buf: gb(a.buf, 'matmul') }, { buf: gb(b.buf, 'matmul') }, { buf: gb(out, 'matmul'), write: true }], [
        Math.ceil(N / 4 / MM4_WG[0]),
        Math.ceil(M / MM4_ROWS / MM4_WG[1]),
        batch,
      ]);
      return;
    }
    const pipe = ctx.pipeline(`matmul|${a.dtype}`, () => matmulShader(a.dtype));
    ctx.dispatch(pipe, m.commit(ctx), [{ buf: gb(a.buf, 'matmul') }, { buf: gb(b.buf, 'matmul') }, { buf: gb(out, 'matmul'), write: true }], [
      Math.ceil(N / MM_TILE),
      Math.ceil(M / MM_TILE),
      batch,
    ]);
  }
  gather(x: View, dim: number, index: View, out: BackendBuffer): void {
    const n = numelOf(index.shape);
    if (n === 0) return;
    const rank = index.shape.length;
    const m = new Meta().i(n, rank, x.shape[dim]!, x.strides[dim]!, ...index.shape, index.offset, ...index.strides);
    m.i(x.offset, ...x.strides.map((s, d) => (d === dim ? 0 : s)));
    const bindings: Binding[] = [{ buf: gb(x.buf, 'gather') }, { buf: gb(index.buf, 'gather') }, { buf: gb(out, 'gather'), write: true }, { buf: this.ctx.errFlags, write: true }];
    if (x.dtype === 'int64') {
      // gather word pairs so all 64 bits move
      const pairs = (v: View): number[] => [2 * v.offset, ...v.strides.map((s) => 2 * s), 1];
      const m2 = new Meta().i(2 * n, rank + 1, x.shape[dim]!, 2 * x.strides[dim]!, ...index.shape, 2, index.offset, ...index.strides, 0);
      const xs = pairs(x);
      xs[1 + dim] = 0;
      m2.i(...xs);
      this.run(`gather|int32|${index.dtype}`, () => gatherShader('int32', index.dtype), m2, bindings, 2 * n);
      return;
    }
    this.run(`gather|${x.dtype}|${index.dtype}`, () => gatherShader(x.dtype, index.dtype), m, bindings, n);
  }
  scatterAdd(target: BackendBuffer, targetShape: readonly number[], dim: number, index: View, src: View): void {
    const n = numelOf(index.shape);
    if (n === 0) return;
    const rank = index.shape.length;
    const tstr = contiguousStrides(targetShape);
    const m = new Meta().i(n, rank, targetShape[dim]!, tstr[dim]!, ...index.shape, index.offset, ...index.strides, src.offset, ...src.strides);
    m.i(0, ...tstr.map((s, d) => (d === dim ? 0 : s)));
    const t = gb(target, 'scatterAdd');
    if (src.dtype === 'float16' && this.halfStorage) {
      // atomics need 32-bit words: accumulate in a float32 copy of the target, then store it back
      // rounded (as the emulated path: one rounding after all the adds)
      const total = numelOf(targetShape);
      const wide = this.ctx.alloc(total * 4);
      const flat = (buf: BackendBuffer, dtype: DType): View => ({ buf, dtype, shape: [total], strides: [1], offset: 0 });
      this.map('widen', [total], [flat(t, 'float16')], { buf: wide, dtype: 'float32' }, 'x0');
      this.run(`scatterAdd|float32|${index.dtype}|float16`, () => scatterAddShader('float32', index.dtype, 'float16'), m, [
        { buf: wide, write: true },
        { buf: gb(index.buf, 'scatterAdd') },
        { buf: gb(src.buf, 'scatterAdd') },
        { buf: this.ctx.errFlags, write: true },
      ], n);
      this.map('narrow', [total], [flat(wide, 'float32')], { buf: t, dtype: 'float16' }, 'x0');
      this.ctx.free(wide);
      return;
    }
    this.run(`scatterAdd|${src.dtype}|${index.dtype}`, () => scatterAddShader(src.dtype, index.dtype), m, [
      { buf: t, write: true },
      { buf: gb(index.buf, 'scatterAdd') },
      { buf: gb(src.buf, 'scatterAdd') },
      { buf: this.ctx.errFlags, write: true },
    ], n);
    if (src.dtype !== 'float32' && src.dtype !== 'int32') {
      // re-store every element so the dtype's storage rule holds again (int64 high words, uint8 wrap, float16 rounding)
      const total = numelOf(targetShape);
      const v: View = { buf: target, dtype: src.dtype, shape: [total], strides: [1], offset: 0 };
      const tmp = this.ctx.alloc(total * this.bytesPer(src.dtype));
      this.ctx.copyBuffer(t, tmp, total * this.bytesPer(src.dtype));
      this.map('restore', [total], [{ ...v, buf: tmp }], { buf: target, dtype: src.dtype }, 'x0');
      this.ctx.free(tmp);
    }
  }

  /** Wait for all submitted GPU work (flushes); for benchmarks. */
  async sync(): Promise<void> {
    await this.ctx.sync();
  }
}

// ---- host <-> storage conversion ----

/** IEEE binary16 bits of a number (rounded to nearest even; NaN -> 0x7e00). */
export function float16Bits(x: number): number {
  const r = roundFloat16(x);
  if (Number.isNaN(r)) return 0x7e00;
  const sign = r < 0 || Object.is(r, -0) ? 0x8000 : 0;
  const a = Math.abs(r);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | (a * 2 ** 24); // subnormal or zero: an exact multiple of 2^-24
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return sign | ((e + 15) << 10) | ((a / 2 ** e - 1) * 1024);
}

let halfTable: Float32Array | null = null;
/** The value of every binary16 bit pattern. */
function float16Table(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (halfTable = t);
}

function toStorage(dtype: DType, data: TypedArray, half: boolean): Uint8Array {
  if (dtype === 'float16' && half) {
    const a = Uint16Array.from(data as ArrayLike<number>, (v) => float16Bits(Number(v)));
    return new Uint8Array(a.buffer);
  }
  switch (dtype) {
    case 'float32': {
      const a = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>, Number);
      return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    }
    case 'float16':
    case 'bfloat16': {
      const r = dtype === 'float16' ? roundFloat16 : roundBFloat16;
      const a = Float32Array.from(data as ArrayLike<number>, (v) => r(Number(v)));
      return new Uint8Array(a.buffer);
    }
    case 'int32': {
      const a = data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>, (v) => Math.trunc(Number(v)));
      return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    }
    case 'int64': {
      const a = data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number>, (v) => BigInt(Math.trunc(Number(v)))));
      return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    }
    case 'uint8':
      return new Uint8Array(Int32Array.from(data as ArrayLike<number>, (v) => Number(v) & 255).buffer);
    case 'bool':
      return new Uint8Array(Int32Array.from(data as ArrayLike<number>, (v) => (Number(v) !== 0 ? 1 : 0)).buffer);
    default:
      throw new TypeError(`webgpu.write: dtype ${dtype} is not supported on webgpu`);
  }
}

function fromStorage(dtype: DType, bytes: ArrayBuffer, numel: number, half: boolean): TypedArray {
  if (dtype === 'float16' && half) {
    const t = float16Table();
    return Float32Array.from(new Uint16Array(bytes, 0, numel), (h) => t[h]!);
  }
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return new Float32Array(bytes, 0, numel);
    case 'int32':
      return new Int32Array(bytes, 0, numel);
    case 'int64':
      return new BigInt64Array(bytes, 0, numel);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(new Int32Array(bytes, 0, numel));
    default:
      throw new TypeError(`webgpu.read: dtype ${dtype} is not supported on webgpu`);
  }
}
