// The kernels behind the Backend contract's primitives (packages/core/src/backend.ts), one
// family per file: elementwise*.cc (fill, arange, random, copy, where; unary, binary, cast),
// reduce.cc (reduce, cumsum), index.cc (gather, scatterAdd), matmul.cc. Inputs are strided
// views; outputs are contiguous buffers of the view's shape unless stated.
#pragma once
#include <cstdint>

#include "common.h"

namespace tensile {

// Op codes: the order of the UnaryOp / BinaryOp / ReduceOp unions in core's backend.ts; must
// match UNARY_CODES / BINARY_CODES / REDUCE_CODES in src/native.ts.
enum class UnaryOp : int32_t {
  Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sign, Sin, Cos, Tan, Tanh, Sigmoid, Erf, Floor, Ceil, Round, Trunc,
  Reciprocal, Log1p, Expm1, LogicalNot, IsNan, Asin, Acos, Atan,
  Count
};
enum class BinaryOp : int32_t {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum, Remainder, FloorDivide, Atan2,
  Eq, Ne, Lt, Le, Gt, Ge, LogicalAnd, LogicalOr, LogicalXor,
  Count
};
enum class ReduceOp : int32_t { Sum, Prod, Max, Min, ArgMax, ArgMin, Count };
enum class RandomKind : int32_t { Uniform, Normal };

inline bool unary_is_bool(UnaryOp op) { return op == UnaryOp::LogicalNot || op == UnaryOp::IsNan; }
inline bool binary_is_bool(BinaryOp op) { return int(op) >= int(BinaryOp::Eq); }

// ---- elementwise.cc ----
void k_fill(void* out, DType dt, int64_t numel, double value);
void k_arange(void* out, DType dt, int64_t numel, double start, double step);
// Philox 4x32-10 stream of core's random.ts: element i uses counter offset + i.
void k_random(void* out, DType dt, int64_t numel, RandomKind kind, uint32_t key0, uint32_t key1, int64_t offset);
void k_copy(const View& src, const View& dst);
void k_cast(const View& x, void* out, DType to);
void k_unary(UnaryOp op, const View& x, void* out);
void k_binary(BinaryOp op, const View& a, const View& b, void* out);
void k_where(const View& cond, const View& a, const View& b, void* out);

// ---- reduce.cc ----
// axes sorted and unique; output: x's shape without them (argmax/argmin: one axis, int64 out).
void k_reduce(ReduceOp op, const View& x, const int* axes, int naxes, void* out);
void k_cumsum(const View& x, int dim, void* out);

// ---- index.cc ----
void k_gather(const View& x, int dim, const View& index, void* out);
// target: contiguous, of shape target_shape and dtype src.dtype; updated in place.
void k_scatter_add(void* target, int ndim, const int64_t* target_shape, int dim, const View& index, const View& src);

// ---- matmul.cc ----
void k_matmul(const View& a, const View& b, void* out);

// ---- conv.cc (im2col + GEMM; float32/float64) ----
// Geometry of a 2-D convolution: pad = zeros before the first row / column (top, left); the
// output size `out` implies the padding after. x [N, C, H, W], w [O, C/groups, kh, kw],
// bias [O] (or null), dy [N, O, OH, OW]: strided views; outputs contiguous.
struct Conv2dGeom {
  int64_t stride[2], pad[2], dilation[2], groups, out[2];
};
void k_conv2d(const View& x, const View& w, const View* bias, const Conv2dGeom& g, void* out);
// out: dx [N, C, H, W].
void k_conv2d_backward_input(const View& dy, const View& w, int64_t H, int64_t W, const Conv2dGeom& g, void* out);
// out: dw [O, C/groups, kh, kw]; gbias (may be null): db [O] = sum of dy over N, OH, OW.
void k_conv2d_backward_weight(const View& dy, const View& x, int64_t kh, int64_t kw, const Conv2dGeom& g, void* out,
                              void* gbias);

// ---- pooling.cc (float32/float64) ----
struct Pool2dGeom {
  int64_t kernel[2], stride[2], pad[2], dilation[2], out[2];
};
// values [N, C, OH, OW]; indices int64, flat positions y*W + x in the input plane.
void k_max_pool2d(const View& x, const Pool2dGeom& g, void* values, void* indices);
void k_max_pool2d_backward(const View& dy, const View& indices, int64_t H, int64_t W, void* out);
// divisor 0: PyTorch's count (count_include_pad or not); else divisor_override.
void k_avg_pool2d(const View& x, const Pool2dGeom& g, bool include_pad, double divisor, void* out);
void k_avg_pool2d_backward(const View& dy, const Pool2dGeom& g, int64_t H, int64_t W, bool include_pad, double divisor,
                           void* out);

// ---- optim.cc (fused in-place optimizer updates; float32/float64) ----
// Must match OPTIM_KINDS in src/optim.ts.
enum class OptimKind : int32_t { Sgd, Adam, AdamW, Rmsprop, Adagrad, Count };
// Slots of the hyper-parameter array (doubles, flags 0/1); must match OPTIM_HYPER in src/optim.ts.
enum OptimHyperIndex : int {
  kOhMaximize, kOhWeightDecay, kOhMomentum, kOhMomentumOn, kOhOneMinusDampening, kOhNesterov, kOhNegLr, kOhDecay,
  kOhBeta1, kOhOneMinusBeta1, kOhBeta2, kOhOneMinusBeta2, kOhEps, kOhAmsgrad, kOhAlpha, kOhOneMinusAlpha, kOhCentered,
  kOhCount
};
// One parameter: views param, grad, then state (SGD: momentum buffer; Adam: exp_avg, exp_avg_sq,
// max_exp_avg_sq; RMSprop: square_avg, momentum buffer, grad_avg; Adagrad: sum), all of the
// parameter's shape and dtype; s: per-parameter scalars (Adam: -stepSize, sqrt(biasCorrection2);
// Adagrad: -clr). Param and state are updated in place.
struct OptimEntry {
  View v[5];
  double s[2];
};
void k_fused_optim(OptimKind kind, const double* hyper, int nviews, const OptimEntry* entries, int nentries);

// ---- fused overrides: softmax.cc, norm.cc, loss.cc, embedding.cc (row kernels: fused_simd.inc) ----
// Floating x of any strides; out contiguous with x's shape and dtype.
void k_softmax(const View& x, int dim, bool log, void* out);
void k_gelu(const View& x, bool tanh_approx, void* out);
// activation.cc: relu (out contiguous, x's shape) and its gradient from the saved output y
// (float32/float64; grad and y of one shape and dtype).
void k_relu(const View& x, void* out);
void k_relu_backward(const View& grad, const View& y, void* out);
// Normalise each run of the trailing n elements; weight/bias (n elements, x's dtype) may be null.
void k_layer_norm(const View& x, const View* weight, const View* bias, int64_t n, double eps, void* out);
// Must match CE_REDUCTION_CODES in src/native.ts.
enum class CeReduction : int32_t { None = 0, Mean = 1, Sum = 2 };
// x [N, C], target [N] int64/int32; out: [N] (None) or one element, in x's dtype.
void k_cross_entropy(const View& x, const View& target, const View* weight, int64_t ignore_index, double smoothing,
                     CeReduction reduction, void* out);
// weight [num, dim], index any shape (int64/int32); out [index.numel(), dim] in weight's dtype.
void k_embedding(const View& weight, const View& index, void* out);
// attention.cc: q [..., L, E], k [..., S, E], v [..., S, Ev], mask [..., L, S] (bool or q's dtype;
// may be null) with equal batch shapes, float32/float64; out contiguous [..., L, Ev].
// lse (may be null): contiguous [..., L] log-sum-exp of each scaled, masked score row (-inf when
// fully masked), kept for the backward.
void k_sdpa(const View& q, const View& k, const View& v, const View* mask, bool causal, double scale, void* out,
            void* lse);
// g [..., L, Ev] (grad of out), lse from k_sdpa; dq, dk, dv contiguous [..., L, E], [..., S, E], [..., S, Ev].
void k_sdpa_backward(const View& g, const View& q, const View& k, const View& v, const void* lse, const View* mask,
                     bool causal, double scale, void* dq, void* dk, void* dv);

// ---- per-ISA libraries (isa_avx2.cc, isa_avx512.cc): the flags they were built with ----
int isa_lib_avx2_level();
int isa_lib_avx512_level();

}  // namespace tensile
