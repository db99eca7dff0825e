/**
 * @tensile/cpu: the native CPU backend (C++ Node addon, per-ISA SIMD kernels, a persistent
 * thread pool and a buffer pool). Importing this package registers the `cpu` device.
 *
 * Reads: `readSync`/`read` return typed arrays that are views over native memory (no copy) for
 * float32, float64, int32, int64 (BigInt64Array), uint8 and bool; float16/bfloat16 are widened
 * into a fresh Float32Array. A view keeps its memory alive until it is garbage-collected, so it
 * stays readable after the tensor is disposed; like PyTorch's `.numpy()`, it shows later
 * in-place writes to the tensor while the tensor lives. Copy it (`.slice()`) to keep a snapshot.
 */
import {
  DTYPES,
  itemsize,
  registerBackend,
  type Backend,
  type BackendBuffer,
  type BinaryOp,
  type Capabilities,
  type Conv2dParams,
  type Overrides,
  type Pool2dParams,
  type DType,
  type RandomKind,
  type ReduceOp,
  type TypedArray,
  type UnaryOp,
  type View,
} from '@tensile/core';
import {
  BINARY_CODES,
  CE_REDUCTION_CODES,
  DTYPE_CODES,
  loadAddon,
  MAX_DIMS,
  REDUCE_CODES,
  UNARY_CODES,
  type Addon,
  type NativeInfo,
  type NativeMemoryInfo,
} from './native.js';
import { fusedOptimStep } from './optim.js';

export type { NativeInfo, NativeMemoryInfo } from './native.js';

/** A buffer of the cpu device: native memory from the pool, addressed by `ptr`. */
export class CpuBuffer {
  freed = false;
  constructor(
    readonly ptr: number,
    readonly bytes: number,
  ) {}
}

function buf(b: BackendBuffer, op: string): CpuBuffer {
  if (!(b instanceof CpuBuffer)) throw new TypeError(`cpu.${op}: not a buffer of the cpu device`);
  if (b.freed) throw new Error(`cpu.${op}: the buffer was freed (a disposed tensor was used)`);
  return b;
}

const ARRAY_OF: Record<DType, new (b: ArrayBuffer, off: number, len: number) => TypedArray> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Float32Array,
  bfloat16: Float32Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Host data in the typed array the addon copies for a dtype (core passes that one already). */
function hostArray(data: TypedArray, dtype: DType): TypedArray {
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>, Number);
    case 'float64':
      return data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>, Number);
    case 'int32':
      return data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>, (v) => Math.trunc(Number(v)));
    case 'int64':
      return data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number>, (v) => BigInt(Math.trunc(Number(v)))));
    case 'uint8':
      return data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>, (v) => Number(v) & 255);
    case 'bool':
      return data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>, (v) => (Number(v) !== 0 ? 1 : 0));
  }
}

/** The `cpu` backend: every primitive of the contract in native code. */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly capabilities: Capabilities = { dtypes: DTYPES, storageOnly: [], syncRead: true };
  readonly native: Addon;
  /** Kernel arguments, packed for the addon (native memory, see native/binding.cc). */
  private readonly m: Float64Array;

  constructor() {
    this.native = loadAddon();
    this.m = new Float64Array(this.native.scratch());
  }

  // ---- packing ----

  private view(k: number, v: View, op: string): number {
    const m = this.m;
    const nd = v.shape.length;
    if (nd > MAX_DIMS) throw new RangeError(`${op}: the cpu device supports tensors of at most ${MAX_DIMS} dims, got ${nd}`);
    m[k++] = buf(v.buf, op).ptr;
    m[k++] = DTYPE_CODES[v.dtype];
    m[k++] = nd;
    m[k++] = v.offset;
    for (let i = 0; i < nd; i++) m[k++] = v.shape[i]!;
    for (let i = 0; i < nd; i++) m[k++] = v.strides[i]!;
    return k;
  }

  // ---- storage ----

  alloc(numel: number, dtype: DType): CpuBuffer {
    const bytes = numel * itemsize(dtype);
    return new CpuBuffer(this.native.alloc(bytes), bytes);
  }
  free(b: BackendBuffer): void {
    if (!(b instanceof CpuBuffer) || b.freed) return;
    b.freed = true;
    this.native.free(b.ptr);
  }
  write(b: BackendBuffer, dtype: DType, data: TypedArray): void {
    const cb = buf(b, 'write');
    if (data.length * itemsize(dtype) > cb.bytes) {
      throw new RangeError(`cpu.write: ${data.length} ${dtype} values do not fit a buffer of ${cb.bytes} bytes`);
    }
    if (data.length === 0) return;
    this.native.write(cb.ptr, hostArray(data, dtype), DTYPE_CODES[dtype]);
  }
  readSync(b: BackendBuffer, dtype: DType, numel: number): TypedArray {
    const cb = buf(b, 'read');
    const Ctor = ARRAY_OF[dtype];
    if (numel === 0) return new Ctor(new ArrayBuffer(0), 0, 0);
    if (dtype === 'float16' || dtype === 'bfloat16') {
      const out = new Float32Array(numel);
      this.native.readHalf(cb.ptr, DTYPE_CODES[dtype], out);
      return out;
    }
    return new Ctor(this.native.view(cb.ptr, numel * itemsize(dtype)), 0, numel);
  }
  async read(b: BackendBuffer, dtype: DType, numel: number): Promise<TypedArray> {
    return this.readSync(b, dtype, numel);
  }

  // ---- fused kernels (core's Overrides) ----

  /** softmax / logSoftmax along dim (softmax.cc). */
  private softmaxKernel(log: boolean, x: View, dim: number, out: BackendBuffer): void {
    this.m[0] = log ? 1 : 0;
    this.m[1] = dim;
    const k = this.view(2, x, log ? 'logSoftmax' : 'softmax');
    this.m[k] = buf(out, log ? 'logSoftmax' : 'softmax').ptr;
    this.native.softmax();
  }

  /** conv [sh, sw, ph, pw, dh, dw, groups, oh, ow] at m[k...]; returns the next slot. */
  private convGeom(k: number, p: Conv2dParams): number {
    const m = this.m;
    m[k++] = p.stride[0]; m[k++] = p.stride[1]; m[k++] = p.padding[0]; m[k++] = p.padding[1];
    m[k++] = p.dilation[0]; m[k++] = p.dilation[1]; m[k++] = p.groups; m[k++] = p.outSize[0]; m[k++] = p.outSize[1];
    return k;
  }
  /** pool [kh, kw, sh, sw, ph, pw, dh, dw, oh, ow] at m[k...]; returns the next slot. */
  private poolGeom(k: number, p: Pool2dParams): number {
    const m = this.m;
    m[k++] = p.kernelSize[0]; m[k++] = p.kernelSize[1]; m[k++] = p.stride[0]; m[k++] = p.stride[1];
    m[k++] = p.padding[0]; m[k++] = p.padding[1]; m[k++] = p.dilation[0]; m[k++] = p.dilation[1];
    m[k++] = p.outSize[0]; m[k++] = p.outSize[1];
    return k;
  }

  /** Fused kernels core calls when present (packages/core/src/backend.ts `Overrides`). */
  readonly overrides: Overrides = {
    // optim.cc: in-place optimizer steps for @tensile/optim (float32/float64; false: declined)
    fusedSgd: (entries, hyper) => fusedOptimStep('sgd', entries, hyper, this.native, this.m, (b, op) => buf(b, op).ptr),
    fusedAdam: (entries, hyper) => fusedOptimStep('adam', entries, hyper, this.native, this.m, (b, op) => buf(b, op).ptr),
    fusedAdamW: (entries, hyper) => fusedOptimStep('adamW', entries, hyper, this.native, this.m, (b, op) => buf(b, op).ptr),
    fusedRmsprop: (entries, hyper) => fusedOptimStep('rmsprop', entries, hyper, this.native, this.m, (b, op) => buf(b, op).ptr),
    fusedAdagrad: (entries, hyper) => fusedOptimStep('adagrad', entries, hyper, this.native, this.m, (b, op) => buf(b, op).ptr),
    // softmax.cc, norm.cc, loss.cc, embedding.cc: any floating dtype (float16/bfloat16 via float32)
    softmax: (x, dim, out) => this.softmaxKernel(false, x, dim, out),
    logSoftmax: (x, dim, out) => this.softmaxKernel(true, x, dim, out),
    gelu: (x, approximate, out) => {
      this.m[0] = approximate === 'tanh' ? 1 : 0;
      const k = this.view(1, x, 'gelu');
      this.m[k] = buf(out, 'gelu').ptr;
      this.native.gelu();
    },
    // activation.cc: float32/float64 (core uses the composite for other dtypes)
    relu: (x, out) => {
      const k = this.view(0, x, 'relu');
      this.m[k] = buf(out, 'relu').ptr;
      this.native.relu();
    },
    reluBackward: (grad, y, out) => {
      const k = this.view(this.view(0, grad, 'reluBackward'), y, 'reluBackward');
      this.m[k] = buf(out, 'reluBackward').ptr;
      this.native.reluBackward();
    },
    layerNorm: (x, weight, bias, normalizedSize, eps, out) => {
      let k = this.view(0, x, 'layerNorm');
      this.m[k++] = normalizedSize;
      this.m[k++] = eps;
      this.m[k++] = weight ? 1 : 0;
      if (weight) k = this.view(k, weight, 'layerNorm');
      this.m[k++] = bias ? 1 : 0;
      if (bias) k = this.view(k, bias, 'layerNorm');
      this.m[k] = buf(out, 'layerNorm').ptr;
      this.native.layerNorm();
    },
    crossEntropy: (x, target, weight, ignoreIndex, labelSmoothing, reduction, out) => {
      let k = this.view(this.view(0, x, 'crossEntropy'), target, 'crossEntropy');
      this.m[k++] = weight ? 1 : 0;
      if (weight) k = this.view(k, weight, 'crossEntropy');
      this.m[k++] = ignoreIndex;
      this.m[k++] = labelSmoothing;
      this.m[k++] = CE_REDUCTION_CODES[reduction];
      this.m[k] = buf(out, 'crossEntropy').ptr;
      this.native.crossEntropy();
    },
    embedding: (weight, index, out) => {
      const k = this.view(this.view(0, weight, 'embedding'), index, 'embedding');
      this.m[k] = buf(out, 'embedding').ptr;
      this.native.embedding();
    },
    // attention.cc: float32/float64 forward (lse kept for training) and backward
    scaledDotProductAttention: (q, k, v, mask, isCausal, scale, out, lse) => {
      const op = 'scaledDotProductAttention';
      let k2 = this.view(this.view(this.view(0, q, op), k, op), v, op);
      this.m[k2++] = mask ? 1 : 0;
      if (mask) k2 = this.view(k2, mask, op);
      this.m[k2++] = isCausal ? 1 : 0;
      this.m[k2++] = scale;
      this.m[k2++] = buf(out, op).ptr;
      this.m[k2] = lse ? buf(lse, op).ptr : 0;
      this.native.scaledDotProductAttention();
    },
    scaledDotProductAttentionBackward: (grad, q, k, v, lse, mask, isCausal, scale, dq, dk, dv) => {
      const op = 'scaledDotProductAttentionBackward';
      let k2 = this.view(this.view(this.view(this.view(0, grad, op), q, op), k, op), v, op);
      this.m[k2++] = buf(lse, op).ptr;
      this.m[k2++] = mask ? 1 : 0;
      if (mask) k2 = this.view(k2, mask, op);
      this.m[k2++] = isCausal ? 1 : 0;
      this.m[k2++] = scale;
      this.m[k2++] = buf(dq, op).ptr;
      this.m[k2++] = buf(dk, op).ptr;
      this.m[k2] = buf(dv, op).ptr;
      this.native.scaledDotProductAttentionBackward();
    },
    // conv.cc / pooling.cc: float32 and float64
    conv2d: (x, weight, bias, p, out) => {
      let k = this.view(this.view(0, x, 'conv2d'), weight, 'conv2d');
      this.m[k++] = bias ? 1 : 0;
      if (bias) k = this.view(k, bias, 'conv2d');
      k = this.convGeom(k, p);
      this.m[k] = buf(out, 'conv2d').ptr;
      this.native.conv2d();
    },
    conv2dBackwardInput: (grad, weight, inputSize, p, out) => {
      let k = this.view(this.view(0, grad, 'conv2dBackwardInput'), weight, 'conv2dBackwardInput');
      this.m[k++] = inputSize[0];
      this.m[k++] = inputSize[1];
      k = this.convGeom(k, p);
      this.m[k] = buf(out, 'conv2dBackwardInput').ptr;
      this.native.conv2dBackwardInput();
    },
    conv2dBackwardWeight: (grad, x, kernelSize, p, out, gradBias) => {
      let k = this.view(this.view(0, grad, 'conv2dBackwardWeight'), x, 'conv2dBackwardWeight');
      this.m[k++] = kernelSize[0];
      this.m[k++] = kernelSize[1];
      k = this.convGeom(k, p);
      this.m[k++] = buf(out, 'conv2dBackwardWeight').ptr;
      this.m[k] = gradBias ? buf(gradBias, 'conv2dBackwardWeight').ptr : 0;
      this.native.conv2dBackwardWeight();
    },
    maxPool2d: (x, p, values, indices) => {
      const k = this.poolGeom(this.view(0, x, 'maxPool2d'), p);
      this.m[k] = buf(values, 'maxPool2d').ptr;
      this.m[k + 1] = buf(indices, 'maxPool2d').ptr;
      this.native.maxPool2d();
    },
    maxPool2dBackward: (grad, indices, inputSize, out) => {
      const k = this.view(this.view(0, grad, 'maxPool2dBackward'), indices, 'maxPool2dBackward');
      this.m[k] = inputSize[0];
      this.m[k + 1] = inputSize[1];
      this.m[k + 2] = buf(out, 'maxPool2dBackward').ptr;
      this.native.maxPool2dBackward();
    },
    avgPool2d: (x, p, countIncludePad, divisorOverride, out) => {
      const k = this.poolGeom(this.view(0, x, 'avgPool2d'), p);
      this.m[k] = countIncludePad ? 1 : 0;
      this.m[k + 1] = divisorOverride ?? 0;
      this.m[k + 2] = buf(out, 'avgPool2d').ptr;
      this.native.avgPool2d();
    },
    avgPool2dBackward: (grad, p, inputSize, countIncludePad, divisorOverride, out) => {
      const k = this.poolGeom(this.view(0, grad, 'avgPool2dBackward'), p);
      this.m[k] = inputSize[0];
      this.m[k + 1] = inputSize[1];
      this.m[k + 2] = countIncludePad ? 1 : 0;
      this.m[k + 3] = divisorOverride ?? 0;
      this.m[k + 4] = buf(out, 'avgPool2dBackward').ptr;
      this.native.avgPool2dBackward();
    },
  };

  // ---- primitives ----

  fill(out: BackendBuffer, dtype: DType, numel: number, value: number): void {
    if (numel === 0) return;
    const m = this.m;
    m[0] = buf(out, 'fill').ptr;
    m[1] = DTYPE_CODES[dtype];
    m[2] = numel;
    m[3] = value;
    this.native.fill();
  }
  arange(out: BackendBuffer, dtype: DType, numel: number, start: number, step: number): void {
    if (numel === 0) return;
    const m = this.m;
    m[0] = buf(out, 'arange').ptr;
    m[1] = DTYPE_CODES[dtype];
    m[2] = numel;
    m[3] = start;
    m[4] = step;
    this.native.arange();
  }
  random(out: BackendBuffer, dtype: DType, numel: number, kind: RandomKind, key: [number, number], offset: number): void {
    if (numel === 0) return;
    const m = this.m;
    m[0] = buf(out, 'random').ptr;
    m[1] = DTYPE_CODES[dtype];
    m[2] = numel;
    m[3] = kind === 'uniform' ? 0 : 1;
    m[4] = key[0] >>> 0;
    m[5] = key[1] >>> 0;
    m[6] = offset;
    this.native.random();
  }
  copy(src: View, dst: View): void {
    this.view(this.view(0, src, 'copy'), dst, 'copy');
    this.native.copy();
  }
  cast(x: View, out: BackendBuffer, dtype: DType): void {
    const k = this.view(0, x, 'cast');
    this.m[k] = buf(out, 'cast').ptr;
    this.m[k + 1] = DTYPE_CODES[dtype];
    this.native.cast();
  }
  unary(op: UnaryOp, x: View, out: BackendBuffer): void {
    const code = UNARY_CODES[op];
    if (code === undefined) throw new TypeError(`cpu.unary: unknown op '${op}'`);
    this.m[0] = code;
    const k = this.view(1, x, op);
    this.m[k] = buf(out, op).ptr;
    this.native.unary();
  }
  binary(op: BinaryOp, a: View, b: View, out: BackendBuffer): void {
    const code = BINARY_CODES[op];
    if (code === undefined) throw new TypeError(`cpu.binary: unknown op '${op}'`);
    this.m[0] = code;
    const k = this.view(this.view(1, a, op), b, op);
    this.m[k] = buf(out, op).ptr;
    this.native.binary();
  }
  where(cond: View, a: View, b: View, out: BackendBuffer): void {
    const k = this.view(this.view(this.view(0, cond, 'where'), a, 'where'), b, 'where');
    this.m[k] = buf(out, 'where').ptr;
    this.native.where();
  }
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: BackendBuffer): void {
    const code = REDUCE_CODES[op];
    if (code === undefined) throw new TypeError(`cpu.reduce: unknown op '${op}'`);
    const m = this.m;
    m[0] = code;
    m[1] = axes.length;
    let k = 2;
    for (const a of axes) m[k++] = a;
    k = this.view(k, x, op);
    m[k] = buf(out, op).ptr;
    this.native.reduce();
  }
  cumsum(x: View, dim: number, out: BackendBuffer): void {
    this.m[0] = dim;
    const k = this.view(1, x, 'cumsum');
    this.m[k] = buf(out, 'cumsum').ptr;
    this.native.cumsum();
  }
  matmul(a: View, b: View, out: BackendBuffer): void {
    const k = this.view(this.view(0, a, 'matmul'), b, 'matmul');
    this.m[k] = buf(out, 'matmul').ptr;
    this.native.matmul();
  }
  gather(x: View, dim: number, index: View, out: BackendBuffer): void {
    this.m[0] = dim;
    const k = this.view(this.view(1, x, 'gather'), index, 'gather');
    this.m[k] = buf(out, 'gather').ptr;
    this.native.gather();
  }
  scatterAdd(target: BackendBuffer, targetShape: readonly number[], dim: number, index: View, src: View): void {
    const m = this.m;
    const nd = targetShape.length;
    if (nd > MAX_DIMS) throw new RangeError(`scatterAdd: the cpu device supports tensors of at most ${MAX_DIMS} dims, got ${nd}`);
    m[0] = buf(target, 'scatterAdd').ptr;
    m[1] = nd;
    let k = 2;
    for (const s of targetShape) m[k++] = s;
    m[k++] = dim;
    this.view(this.view(k, index, 'scatterAdd'), src, 'scatterAdd');
    this.native.scatterAdd();
  }
}

let backend: CpuBackend | undefined;

function cpuBackend(): CpuBackend {
  backend ??= new CpuBackend();
  return backend;
}

registerBackend(cpuBackend());

/** The cpu device's buffer pool: live, pooled and view-held bytes, hits and misses. */
export function memoryInfo(): NativeMemoryInfo {
  return cpuBackend().native.memoryInfo();
}

/** The instruction set, thread count and buffer-pool statistics of the cpu device. */
export function cpuInfo(): NativeInfo & { pool: NativeMemoryInfo } {
  const n = cpuBackend().native;
  return { ...n.info(), pool: n.memoryInfo() };
}

/** Set the number of threads kernels use (TENSILE_NUM_THREADS sets the initial count). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  cpuBackend().native.setNumThreads(n);
}

/**
 * Most bytes the buffer pool keeps for reuse (default TENSILE_CPU_POOL_BYTES, else a quarter of
 * RAM); lowering it frees pooled buffers beyond the new limit. 0 disables pooling.
 */
export function setPoolLimit(bytes: number): void {
  if (!(bytes >= 0)) throw new RangeError(`setPoolLimit: expected a byte count >= 0, got ${bytes}`);
  cpuBackend().native.setPoolLimit(bytes);
}

/**
 * Free pooled (unused) buffers until at most `keepBytes` stay pooled, like
 * torch.cuda.empty_cache(); returns the bytes freed.
 */
export function emptyCache(keepBytes = 0): number {
  return cpuBackend().native.trim(keepBytes);
}
