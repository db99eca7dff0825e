// Shared by the elementwise kernel family (elementwise.cc: fill, arange, random, copy, where;
// elementwise_unary.cc; elementwise_binary.cc; elementwise_cast.cc). The family is split over
// several translation units only so that the build compiles its many template instances in
// parallel. Each kernel walks its operands with the generic strided iterator (iter.h); when
// every operand is contiguous (or a broadcast scalar) the inner loop is a plain indexed loop the
// compiler vectorises. Semantics follow the JS reference backend (see dtype.h for stores).
#pragma once
#include <cstdint>
#include <string>

#include "dtype.h"
#include "iter.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {
namespace ew {

constexpr int64_t kGrainCheap = int64_t(1) << 15;  // elements per chunk, memory-bound loops
constexpr int64_t kGrainMath = int64_t(1) << 12;   // elements per chunk, libm calls

// dtypes whose contiguous and broadcast-scalar loops get their own (vectorisable) copies; the
// others (float16, bfloat16, uint8, bool) share one strided loop, which keeps the build small
template <DType D>
constexpr bool kHotDtype = D == DType::F32 || D == DType::F64 || D == DType::I32 || D == DType::I64;

template <class F>
void for_range(int64_t n, int64_t grain, F&& f) {
  parallel_for(n, grain, [&](int64_t b, int64_t e) { f(b, e); });
}

// Per-ISA contiguous float32 loops (elementwise_simd.inc); false: not covered, use the generic loop.
}  // namespace ew
namespace simd_avx2 {
bool binary_f32(BinaryOp op, const float* x, int64_t sx, const float* y, int64_t sy, float* o, int64_t n);
bool unary_f32(UnaryOp op, const float* x, float* o, int64_t n);
}  // namespace simd_avx2
namespace simd_avx512 {
bool binary_f32(BinaryOp op, const float* x, int64_t sx, const float* y, int64_t sy, float* o, int64_t n);
bool unary_f32(UnaryOp op, const float* x, float* o, int64_t n);
}  // namespace simd_avx512
namespace ew {

inline bool simd_binary_f32(Isa isa, BinaryOp op, const float* x, int64_t sx, const float* y, int64_t sy, float* o, int64_t n) {
  if (isa == Isa::Avx512) return simd_avx512::binary_f32(op, x, sx, y, sy, o, n);
  if (isa == Isa::Avx2) return simd_avx2::binary_f32(op, x, sx, y, sy, o, n);
  return false;
}
inline bool simd_unary_f32(Isa isa, UnaryOp op, const float* x, float* o, int64_t n) {
  if (isa == Isa::Avx512) return simd_avx512::unary_f32(op, x, o, n);
  if (isa == Isa::Avx2) return simd_avx2::unary_f32(op, x, o, n);
  return false;
}

inline void check_ndim(const View& v, const char* op) {
  if (v.ndim < 0 || v.ndim > kMaxDims)
    throw KernelRangeError(std::string(op) + ": at most " + std::to_string(kMaxDims) + " dims are supported");
}

}  // namespace ew
}  // namespace tensile
