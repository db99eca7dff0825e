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
 * Geometry of a 2-D convolution for the conv2d overrides. Input [N, C, H, W], weight
 * [O, C/groups, kh, kw], output [N, O, OH, OW] (NCHW, PyTorch's layouts).
 */
export interface Conv2dParams {
  stride: readonly [number, number];
  /** Zero padding before the first row and column (top, left); the padding after is implied by outSize. */
  padding: readonly [number, number];
  dilation: readonly [number, number];
  groups: number;
  /** Output spatial size [OH, OW]. */
  outSize: readonly [number, number];
}

/**
 * Geometry of 2-D pooling for the pooling overrides: input [N, C, H, W], output [N, C, OH, OW].
 * Windows are clipped to the input (padding never wins a max); outSize already includes ceil mode.
 */
export interface Pool2dParams {
  kernelSize: readonly [number, number];
  stride: readonly [number, number];
  /** Implicit padding on each side [top/bottom, left/right]. */
  padding: readonly [number, number];
  /** Always [1, 1] for average pooling. */
  dilation: readonly [number, number];
  outSize: readonly [number, number];
}

/** One parameter of a fused optimizer step (see FusedOptimizerKernel). */
export interface FusedOptimizerEntry {
  /** The parameter, updated in place. */
  param: View;
  /** Its gradient (read only). */
  grad: View;
  /** Its state tensors by the optimizer's camelCase state keys (`expAvg`, `momentumBuffer`, ...), updated in place. */
  state: Record<string, View>;
  /** The parameter's step count after this step (1 at the first step; 0 for optimizers without one, e.g. SGD). */
  step: number;
}

/**
 * A fused in-place optimizer step over one parameter group (@tensile/optim calls it as
 * `backend.overrides[name](entries, hyper)`). `hyper` holds the group's hyper-parameters as the
 * optimizer names them (camelCase: lr, momentum, betas, weightDecay, ...). The kernel must give
 * the optimizer's composite update (same operations in the same order). It returns false to
 * decline (dtype, layout or options it does not cover) having written nothing; the optimizer then
 * composes the update from core ops. The optimizer advances step counts and bumps the storage
 * versions of params and state after a kernel that did not decline.
 */
export type FusedOptimizerKernel = (entries: FusedOptimizerEntry[], hyper: Record<string, unknown>) => boolean | void;

/**
 * Fused kernels a backend may provide. Core calls them when present (forward only: gradients
 * stay in core) and otherwise composes the op from primitives.
 */
export interface Overrides {
  softmax?(x: View, dim: number, out: BackendBuffer): void;
  logSoftmax?(x: View, dim: number, out: BackendBuffer): void;
  gelu?(x: View, approximate: 'none' | 'tanh', out: BackendBuffer): void;
  /** relu (float32/float64): out = x > 0 ? x : 0 (NaN gives 0, as core's composite). */
  relu?(x: View, out: BackendBuffer): void;
  /** Gradient of relu from its output y (PyTorch's threshold_backward): out = y > 0 ? grad : 0; grad and y of one shape and dtype. */
  reluBackward?(grad: View, y: View, out: BackendBuffer): void;
  layerNorm?(x: View, weight: View | null, bias: View | null, normalizedSize: number, eps: number, out: BackendBuffer): void;
  /**
   * embedding: out [index.numel, dim] (weight's dtype, contiguous) = rows of weight [num, dim]
   * picked by int64/int32 `index` of any shape (row-major order); throws a RangeError for an
   * index outside [0, num).
   */
  embedding?(weight: View, index: View, out: BackendBuffer): void;
  /**
   * crossEntropy of float32/float64 logits x [N, C] against class indices target [N] (int64 or
   * int32): per row (1 - s) * w[t] * -logp[t] + (s / C) * sum_c w[c] * -logp[c] (s =
   * labelSmoothing, w = weight or ones, rows with t == ignoreIndex give 0). out holds N values
   * for 'none', else one: the sum, or for 'mean' the sum divided by the sum of w[t] over the
   * non-ignored rows (PyTorch 1.13). Throws a RangeError for a target outside [0, C) that is
   * not ignoreIndex.
   */
  crossEntropy?(
    x: View,
    target: View,
    weight: View | null,
    ignoreIndex: number,
    labelSmoothing: number,
    reduction: 'none' | 'mean' | 'sum',
    out: BackendBuffer,
  ): void;
  /**
   * scaledDotProductAttention forward (core calls it when dropoutP is 0 and the dtype is
   * float32/float64; with gradients only when scaledDotProductAttentionBackward exists too and
   * the mask needs no gradient). q [..., L, E], k [..., S, E],
   * v [..., S, Ev]: strided views with equal batch shapes (already broadcast, possibly with
   * zero strides). mask (or null): a view of shape [..., L, S], bool (true = may attend) or of
   * q's dtype (added to the scores). isCausal: key j > query i is masked (top-left aligned).
   * out: contiguous [..., L, Ev] = softmax(q k^T * scale + mask) v in q's dtype; a row whose
   * scores are all masked (-Infinity) gives zeros, matching core's composite. lse (training
   * only, else null/undefined): contiguous [..., L] in q's dtype, each row's log-sum-exp of the
   * scaled, masked scores (-Infinity for a fully masked row), for the backward.
   */
  scaledDotProductAttention?(q: View, k: View, v: View, mask: View | null, isCausal: boolean, scale: number, out: BackendBuffer, lse?: BackendBuffer | null): void;
  /**
   * Gradients of scaledDotProductAttention from grad [..., L, Ev] (same batch shape), the same
   * q, k, v, mask, isCausal, scale and the forward's lse: writes contiguous dq [..., L, E],
   * dk [..., S, E] and dv [..., S, Ev] (weights recomputed from q, k and lse).
   */
  scaledDotProductAttentionBackward?(grad: View, q: View, k: View, v: View, lse: BackendBuffer, mask: View | null, isCausal: boolean, scale: number, dq: BackendBuffer, dk: BackendBuffer, dv: BackendBuffer): void;
  // Optimizers (@tensile/optim looks them up by name; see FusedOptimizerKernel).
  /** SGD (momentum, dampening, nesterov, weightDecay, maximize); state `momentumBuffer` when momentum != 0. */
  fusedSgd?: FusedOptimizerKernel;
  /** Adam (L2 weightDecay, amsgrad, maximize); state `expAvg`, `expAvgSq` (and `maxExpAvgSq` with amsgrad). */
  fusedAdam?: FusedOptimizerKernel;
  /** AdamW (decoupled weightDecay); state as fusedAdam. */
  fusedAdamW?: FusedOptimizerKernel;
  /** RMSprop (momentum, centered, weightDecay, maximize); state `squareAvg` (`momentumBuffer`, `gradAvg`). */
  fusedRmsprop?: FusedOptimizerKernel;
  /** Adagrad (lrDecay, weightDecay, maximize); state `sum`. */
  fusedAdagrad?: FusedOptimizerKernel;
  // Convolution and pooling: float32/float64 only (core uses the composite for other dtypes).
  // Views are strided; outputs contiguous NCHW buffers. Core records the nodes and calls the
  // backward overrides from them (double backward uses the composite formulation).
  /** conv2d: x [N, C, H, W], weight [O, C/groups, kh, kw], bias [O] or null -> out [N, O, OH, OW]. */
  conv2d?(x: View, weight: View, bias: View | null, p: Conv2dParams, out: BackendBuffer): void;
  /** Gradient of conv2d's input: grad [N, O, OH, OW], weight -> out [N, C, H, W] (inputSize [H, W]). */
  conv2dBackwardInput?(grad: View, weight: View, inputSize: readonly [number, number], p: Conv2dParams, out: BackendBuffer): void;
  /**
   * Gradient of conv2d's weight: grad [N, O, OH, OW], x [N, C, H, W] -> out [O, C/groups, kh, kw];
   * with gradBias, also the bias gradient [O] (grad summed over N, OH, OW).
   */
  conv2dBackwardWeight?(grad: View, x: View, kernelSize: readonly [number, number], p: Conv2dParams, out: BackendBuffer, gradBias: BackendBuffer | null): void;
  /**
   * max_pool2d: x [N, C, H, W] -> values [N, C, OH, OW] (x's dtype) and indices [N, C, OH, OW]
   * (int64, flat positions y * W + x in the input plane; first maximum, first NaN wins).
   */
  maxPool2d?(x: View, p: Pool2dParams, values: BackendBuffer, indices: BackendBuffer): void;
  /** Gradient of max_pool2d: out [N, C, H, W] = grad [N, C, OH, OW] summed at the indices (inputSize [H, W]). */
  maxPool2dBackward?(grad: View, indices: View, inputSize: readonly [number, number], out: BackendBuffer): void;
  /**
   * avg_pool2d: x [N, C, H, W] -> out [N, C, OH, OW]; the divisor is divisorOverride when not null,
   * else the window size (with padding when countIncludePad), as PyTorch.
   */
  avgPool2d?(x: View, p: Pool2dParams, countIncludePad: boolean, divisorOverride: number | null, out: BackendBuffer): void;
  /** Gradient of avg_pool2d: grad [N, C, OH, OW] -> out [N, C, H, W] (inputSize [H, W]). */
  avgPool2dBackward?(grad: View, p: Pool2dParams, inputSize: readonly [number, number], countIncludePad: boolean, divisorOverride: number | null, out: BackendBuffer): void;
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
