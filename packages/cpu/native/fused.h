// Shared by the fused-override kernels (softmax.cc, norm.cc, loss.cc, embedding.cc): the
// contiguous float32 row kernels of fused_simd.inc, compiled once per ISA (softmax.cc for the
// baseline, softmax_avx2.cc, softmax_avx512.cc), picked by active_isa(); and helpers that turn
// any strided view into a contiguous one (a pooled temporary).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "common.h"
#include "iter.h"
#include "kernels.h"
#include "pool.h"

namespace tensile {

#define TENSILE_FUSED_DECLS                                                                           \
  /* rows of n contiguous floats: y = softmax(x) or logSoftmax(x) per row */                         \
  void softmax_rows(const float* x, float* y, int64_t rows, int64_t n, bool log);                    \
  /* w columns (stride `stride` between the D entries of a column): softmax down each column */      \
  void softmax_cols(const float* x, float* y, int64_t d, int64_t stride, int64_t w, bool log);       \
  /* rows of n floats: (x - mean) * rstd [* w] [+ b]; w, b may be null */                             \
  void layernorm_rows(const float* x, const float* w, const float* b, float* y, int64_t rows, int64_t n, float eps); \
  /* log(sum(exp(x - max))) + max of n contiguous floats, in double */                                \
  double logsumexp_row(const float* x, int64_t n, double* max_out);                                 \
  /* max of n floats (NaN ignored); y = exp(x - m) for x - m <= 0, returning the sum */              \
  float max_of_row(const float* x, int64_t n);                                                        \
  float exp_sub_row(const float* x, float* y, int64_t n, float m);

namespace fused_base { TENSILE_FUSED_DECLS }
namespace fused_avx2 { TENSILE_FUSED_DECLS }
namespace fused_avx512 { TENSILE_FUSED_DECLS }

struct FusedF32 {
  decltype(&fused_base::softmax_rows) softmax_rows;
  decltype(&fused_base::softmax_cols) softmax_cols;
  decltype(&fused_base::layernorm_rows) layernorm_rows;
  decltype(&fused_base::logsumexp_row) logsumexp_row;
  decltype(&fused_base::max_of_row) max_of_row;
  decltype(&fused_base::exp_sub_row) exp_sub_row;
};
// The row kernels of the active ISA.
const FusedF32& fused_f32();

// A pooled scratch buffer, released on scope exit.
struct Scratch {
  void* p = nullptr;
  explicit Scratch(size_t bytes) : p(pool::alloc(bytes ? bytes : 1)) {}
  ~Scratch() { pool::release(p); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// A contiguous view of x with dtype `to` (x itself when it already is one; else a copy/cast into
// `tmp`, which is allocated here).
View contiguous_as(const View& x, DType to, std::unique_ptr<Scratch>& tmp);

// Contiguous shape of a view (for results written as float32 and cast to a half dtype).
inline View contiguous_like(const View& x, DType dt, void* data) {
  View v;
  v.data = data;
  v.dtype = dt;
  v.ndim = x.ndim;
  for (int d = 0; d < x.ndim; d++) v.shape[d] = x.shape[d];
  contiguous_strides(x.ndim, x.shape, v.strides);
  return v;
}

// Runs fn(const T* x, T* y) on contiguous float32/float64 data; half dtypes go through float32.
template <class F>
void with_float_io(const char* op, const View& x, void* out, F&& fn) {
  std::unique_ptr<Scratch> tmp;
  switch (x.dtype) {
    case DType::F32: {
      const View c = contiguous_as(x, DType::F32, tmp);
      fn(c.ptr<float>(), static_cast<float*>(out));
      return;
    }
    case DType::F64: {
      const View c = contiguous_as(x, DType::F64, tmp);
      fn(c.ptr<double>(), static_cast<double*>(out));
      return;
    }
    case DType::F16:
    case DType::BF16: {
      const View c = contiguous_as(x, DType::F32, tmp);
      Scratch y(size_t(x.numel()) * sizeof(float));
      fn(c.ptr<float>(), static_cast<float*>(y.p));
      k_cast(contiguous_like(x, DType::F32, y.p), out, x.dtype);
      return;
    }
    default:
      throw KernelTypeError(std::string(op) + ": expected a floating point input, got " + dtype_name(x.dtype));
  }
}

}  // namespace tensile
