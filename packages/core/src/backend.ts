/**
 * The backend contract. A backend owns buffers and runs about 30 primitives on strided views;
 * everything else is composed in core. Kernels are enqueued synchronously and may run later
 * (WebGPU, CUDA): only reads are allowed to be asynchronous.
 */
import type { DType, TypedArray } from './dtype.js';

/** An opaque device buffer. Core never looks inside. */
export type BackendBuffer = unknown;

/**
 * A strided view of a buffer: element (i0, i1, ...) lives at
 * offset + sum(ik * strides[k]). Strides are in elements; 0 means broadcast; they may be
 * negative (flip). Kernels must honour any strides on inputs.
 */
export interface View {
  buf: BackendBuffer;
  dtype: DType;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'sign' | 'sin' | 'cos' | 'tan' | 'tanh'
  | 'sigmoid' | 'erf' | 'floor' | 'ceil' | 'round' | 'trunc' | 'reciprocal' | 'log1p' | 'expm1'
  | 'logicalNot' | 'isnan' | 'asin' | 'acos' | 'atan';

/** Unary ops whose output is bool whatever the input dtype. */
export const BOOL_UNARY: ReadonlySet<UnaryOp> = new Set<UnaryOp>(['logicalNot', 'isnan']);

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'remainder' | 'floorDivide' | 'atan2'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logicalAnd' | 'logicalOr' | 'logicalXor';

/** Binary ops whose output is bool. */
export const BOOL_BINARY: ReadonlySet<BinaryOp> = new Set<BinaryOp>([
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor',
]);

export type ReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin';

export type RandomKind = 'uniform' | 'normal';

export interface Capabilities {
  /** dtypes the backend computes in. */
  dtypes: readonly DType[];
  /** dtypes it can only store (core casts to compute); may be empty. */
  storageOnly?: readonly DType[];
  /** True when readSync is available (CPU yes, WebGPU no). */
  syncRead: boolean;
}

/**
 * Fused kernels a backend may provide. Core calls them when present (forward only: gradients
 * stay in core) and otherwise composes the op from primitives.
 */
export interface Overrides {
  softmax?(x: View, dim: number, out: BackendBuffer): void;
  logSoftmax?(x: View, dim: number, out: BackendBuffer): void;
  gelu?(x: View, approximate: 'none' | 'tanh', out: BackendBuffer): void;
  layerNorm?(x: View, weight: View | null, bias: View | null, normalizedSize: number, eps: number, out: BackendBuffer): void;
}

export interface Backend {
  readonly name: string;
  readonly capabilities: Capabilities;
  /** Resolves when the device can run kernels (adapter request, context creation). */
  ready?(): Promise<void>;

  // ---- storage ----
  alloc(numel: number, dtype: DType): BackendBuffer;
  free(buf: BackendBuffer): void;
  /** Copy host data (the dtype's public typed array, see DataTypeMap) into a buffer. */
  write(buf: BackendBuffer, dtype: DType, data: TypedArray): void;
  /** Read a whole buffer back as the dtype's public typed array. */
  read(buf: BackendBuffer, dtype: DType, numel: number): Promise<TypedArray>;
  readSync?(buf: BackendBuffer, dtype: DType, numel: number): TypedArray;

  // ---- primitives: inputs are views, the output a fresh contiguous buffer unless stated ----
  /** out[i] = value. */
  fill(out: BackendBuffer, dtype: DType, numel: number, value: number): void;
  /** out[i] = start + i * step. */
  arange(out: BackendBuffer, dtype: DType, numel: number, start: number, step: number): void;
  /** Philox 4x32-10 stream (see random.ts): element i uses counter offset + i. */
  random(out: BackendBuffer, dtype: DType, numel: number, kind: RandomKind, key: [number, number], offset: number): void;
  /** Materialise a view into a strided destination view of the same shape (dst may alias nothing in src). */
  copy(src: View, dst: View): void;
  /** Convert dtype; out is contiguous with x's shape. */
  cast(x: View, out: BackendBuffer, dtype: DType): void;
  /** out dtype is x.dtype, or bool for BOOL_UNARY ops. */
  unary(op: UnaryOp, x: View, out: BackendBuffer): void;
  /** a and b have the same shape (broadcast already, stride 0) and dtype; out dtype is theirs or bool. */
  binary(op: BinaryOp, a: View, b: View, out: BackendBuffer): void;
  /** cond is bool; a, b, cond have the same shape; a and b the same dtype. */
  where(cond: View, a: View, b: View, out: BackendBuffer): void;
  /**
   * Reduce over `axes` (sorted, unique). Output has x's shape with reduced axes removed.
   * sum/prod keep x.dtype; argmax/argmin return int64 (one axis only; first index on ties).
   */
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: BackendBuffer): void;
  /** Inclusive scan along dim (sum); out contiguous with x's shape and dtype. */
  cumsum(x: View, dim: number, out: BackendBuffer): void;
  /**
   * Batched matrix product: a [...batch, m, k] x b [...batch, k, n] -> out [...batch, m, n];
   * batch shapes are equal (broadcast already).
   */
  matmul(a: View, b: View, out: BackendBuffer): void;
  /** out[..., i_dim, ...] = x[..., index[..., i_dim, ...], ...]; out has index's shape. index is int64. */
  gather(x: View, dim: number, index: View, out: BackendBuffer): void;
  /**
   * target[..., index[i], ...] += src[i] along dim, in place on a contiguous target buffer of
   * shape targetShape. index is int64 with src's shape.
   */
  scatterAdd(target: BackendBuffer, targetShape: readonly number[], dim: number, index: View, src: View): void;

  /** Optional fused kernels. */
  overrides?: Overrides;
}

export const PRIMITIVES = [
  'fill', 'arange', 'random', 'copy', 'cast', 'unary', 'binary', 'where', 'reduce', 'cumsum', 'matmul', 'gather', 'scatterAdd',
] as const;
