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

// ---- per-ISA libraries (isa_avx2.cc, isa_avx512.cc): the flags they were built with ----
int isa_lib_avx2_level();
int isa_lib_avx512_level();

}  // namespace tensile
