/**
 * Loading the native addon (build/Release/tensile_cpu.node, built by scripts/build.mjs on
 * install) and the numeric codes shared with it. Kernel arguments are packed into one
 * Float64Array over native memory (`scratch`): see packView and native/binding.cc.
 */
import type { BinaryOp, DType, ReduceOp, TypedArray, UnaryOp } from '@tensile/core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Must match enum class DType in native/common.h. */
export const DTYPE_CODES: Record<DType, number> = {
  float32: 0, float64: 1, float16: 2, bfloat16: 3, int32: 4, int64: 5, uint8: 6, bool: 7,
};

/** Must match enum class UnaryOp in native/kernels.h (the order of core's UnaryOp). */
export const UNARY_CODES: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, sqrt: 3, rsqrt: 4, abs: 5, sign: 6, sin: 7, cos: 8, tan: 9, tanh: 10, sigmoid: 11,
  erf: 12, floor: 13, ceil: 14, round: 15, trunc: 16, reciprocal: 17, log1p: 18, expm1: 19, logicalNot: 20,
  isnan: 21, asin: 22, acos: 23, atan: 24,
};

/** Must match enum class BinaryOp in native/kernels.h. */
export const BINARY_CODES: Record<BinaryOp, number> = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, remainder: 7, floorDivide: 8, atan2: 9,
  eq: 10, ne: 11, lt: 12, le: 13, gt: 14, ge: 15, logicalAnd: 16, logicalOr: 17, logicalXor: 18,
};

/** Must match enum class ReduceOp in native/kernels.h. */
export const REDUCE_CODES: Record<ReduceOp, number> = { sum: 0, prod: 1, max: 2, min: 3, argmax: 4, argmin: 5 };

/** Must match enum class CeReduction in native/kernels.h. */
export const CE_REDUCTION_CODES = { none: 0, mean: 1, sum: 2 } as const;

/** Most dims a view may have (kMaxDims in native/common.h). */
export const MAX_DIMS = 12;

/** Buffer pool statistics (bytes are size-class capacities). */
export interface NativeMemoryInfo {
  /** Bytes of buffers owned by live tensors. */
  liveBytes: number;
  liveBuffers: number;
  /** Bytes the live buffers asked for (before rounding up to a size class). */
  requestedBytes: number;
  /** Bytes released by their tensors but still held by arrays returned from dataSync()/data(). */
  viewBytes: number;
  viewBuffers: number;
  /** Free bytes kept for reuse. */
  pooledBytes: number;
  pooledBuffers: number;
  /** Allocations served from the pool. */
  hits: number;
  /** Allocations that took fresh memory. */
  misses: number;
  /** Most bytes the pool keeps (TENSILE_CPU_POOL_BYTES, default a quarter of RAM). */
  limitBytes: number;
}

export interface NativeInfo {
  /** The instruction set the kernels run with. */
  isa: 'scalar' | 'avx2' | 'avx512';
  /** The best one this CPU supports (TENSILE_CPU_ISA may force a lower one). */
  detectedIsa: 'scalar' | 'avx2' | 'avx512';
  threads: number;
  /** Whether the per-ISA kernel libraries were compiled with their flags. */
  isaLibs: { avx2: boolean; avx512: boolean };
  /** Whether the baseline (non-ISA) files were built with AVX enabled: false unless -march=native leaked in. */
  baselineAvx: boolean;
  /** Built with TENSILE_CPU_SANITIZE=1 (AddressSanitizer + UBSan). */
  sanitize: boolean;
  arch: string;
}

export interface Addon {
  scratch(): ArrayBuffer;
  alloc(bytes: number): number;
  free(ptr: number): void;
  view(ptr: number, bytes: number): ArrayBuffer;
  write(ptr: number, data: TypedArray, dtype: number): void;
  readHalf(ptr: number, dtype: number, out: Float32Array): void;
  fill(): void;
  arange(): void;
  random(): void;
  copy(): void;
  cast(): void;
  unary(): void;
  binary(): void;
  where(): void;
  reduce(): void;
  cumsum(): void;
  matmul(): void;
  gather(): void;
  scatterAdd(): void;
  memoryInfo(): NativeMemoryInfo;
  trim(keepBytes?: number): number;
  setPoolLimit(bytes: number): void;
  info(): NativeInfo;
  setNumThreads(n: number): void;
  /** optim.cc: a fused optimizer step (arguments packed by src/optim.ts). */
  fusedOptim(): void;
  // fused overrides (softmax.cc, norm.cc, loss.cc, embedding.cc)
  softmax(): void;
  gelu(): void;
  /** activation.cc: relu and its gradient from the saved output. */
  relu(): void;
  reluBackward(): void;
  layerNorm(): void;
  crossEntropy(): void;
  embedding(): void;
  /** attention.cc: fused scaled-dot-product attention forward. */
  scaledDotProductAttention(): void;
  scaledDotProductAttentionBackward(): void;
  conv2d(): void;
  conv2dBackwardInput(): void;
  conv2dBackwardWeight(): void;
  maxPool2d(): void;
  maxPool2dBackward(): void;
  avgPool2d(): void;
  avgPool2dBackward(): void;
}

/** Path of the built addon. */
export const ADDON_PATH = fileURLToPath(new URL('../build/Release/tensile_cpu.node', import.meta.url));

let addon: Addon | undefined;

/** The addon, loaded on first use. Throws a clear error when it is not built or cannot load. */
export function loadAddon(): Addon {
  if (addon) return addon;
  if (!existsSync(ADDON_PATH)) {
    throw new Error(
      `@tensile/cpu: the native addon is not built (${ADDON_PATH} is missing). It is built by \`pnpm install\`; ` +
        'to build it by hand run `node scripts/build.mjs` in the @tensile/cpu package (needs python3, make and a C++17 compiler)',
    );
  }
  const require = createRequire(import.meta.url);
  try {
    addon = require(ADDON_PATH) as Addon;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`@tensile/cpu: cannot load the native addon: ${msg}`);
  }
  return addon;
}
