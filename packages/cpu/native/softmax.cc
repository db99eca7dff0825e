// Fused overrides: softmax / logSoftmax along one dim, and gelu. Any strided input is first made
// contiguous (a pooled temporary); float32 rows run the per-ISA kernels of fused_simd.inc,
// float64 a generic loop (libm exp, double accumulation); float16/bfloat16 are computed in
// float32 and rounded once. Rows (or column blocks when dim is not the last) are spread over
// the thread pool.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "fused.h"
#include "iter.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {

namespace fused_base {
#include "fused_simd.inc"
}  // namespace fused_base

const FusedF32& fused_f32() {
  static const FusedF32 base{fused_base::softmax_rows, fused_base::softmax_cols, fused_base::layernorm_rows,
                             fused_base::logsumexp_row, fused_base::max_of_row, fused_base::exp_sub_row};
#if defined(__x86_64__)
  static const FusedF32 avx2{fused_avx2::softmax_rows, fused_avx2::softmax_cols, fused_avx2::layernorm_rows,
                             fused_avx2::logsumexp_row, fused_avx2::max_of_row, fused_avx2::exp_sub_row};
  static const FusedF32 avx512{fused_avx512::softmax_rows, fused_avx512::softmax_cols, fused_avx512::layernorm_rows,
                               fused_avx512::logsumexp_row, fused_avx512::max_of_row, fused_avx512::exp_sub_row};
  switch (active_isa()) {
    case Isa::Avx512: return avx512;
    case Isa::Avx2: return avx2;
    default: return base;
  }
#else
  return base;
#endif
}

View contiguous_as(const View& x, DType to, std::unique_ptr<Scratch>& tmp) {
  if (x.dtype == to && x.contiguous()) return x;
  const int64_t n = x.numel();
  tmp = std::make_unique<Scratch>(size_t(n) * itemsize(to));
  View c;
  c.data = tmp->p;
  c.dtype = to;
  c.ndim = x.ndim;
  c.offset = 0;
  for (int d = 0; d < x.ndim; d++) c.shape[d] = x.shape[d];
  contiguous_strides(x.ndim, x.shape, c.strides);
  if (n == 0) return c;
  if (x.dtype == to)
    k_copy(x, c);
  else
    k_cast(x, c.data, to);
  return c;
}

namespace {

// Generic (float64) softmax down w columns of d entries, `stride` apart; w = 1, stride = 1 is a row.
template <class T>
void softmax_cols_generic(const T* x, T* y, int64_t d, int64_t stride, int64_t w, bool log) {
  constexpr int64_t kMaxW = 64;
  T m[kMaxW], s[kMaxW];
  for (int64_t c0 = 0; c0 < w; c0 += kMaxW) {
    const int64_t cw = std::min(w - c0, kMaxW);
    const T* xc = x + c0;
    T* yc = y + c0;
    for (int64_t c = 0; c < cw; c++) m[c] = -std::numeric_limits<T>::infinity(), s[c] = 0;
    for (int64_t i = 0; i < d; i++)
      for (int64_t c = 0; c < cw; c++) m[c] = xc[i * stride + c] > m[c] ? xc[i * stride + c] : m[c];
    for (int64_t i = 0; i < d; i++)
      for (int64_t c = 0; c < cw; c++) {
        const T e = std::exp(xc[i * stride + c] - m[c]);
        if (!log) yc[i * stride + c] = e;
        s[c] += e;
      }
    if (!log) {
      for (int64_t i = 0; i < d; i++)
        for (int64_t c = 0; c < cw; c++) yc[i * stride + c] /= s[c];
    } else {
      for (int64_t c = 0; c < cw; c++) s[c] = std::log(s[c]);
      for (int64_t i = 0; i < d; i++)
        for (int64_t c = 0; c < cw; c++) yc[i * stride + c] = (xc[i * stride + c] - m[c]) - s[c];
    }
  }
}

constexpr int64_t kWork = int64_t(1) << 14;  // elements per parallel chunk, about

template <class T>
void softmax_contig(const T* x, T* y, int64_t outer, int64_t d, int64_t inner, bool log) {
  if (inner == 1) {
    parallel_for(outer, std::max<int64_t>(1, kWork / std::max<int64_t>(d, 1)), [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float>) {
        fused_f32().softmax_rows(x + b * d, y + b * d, e - b, d, log);
      } else {
        for (int64_t r = b; r < e; r++) softmax_cols_generic<T>(x + r * d, y + r * d, d, 1, 1, log);
      }
    });
    return;
  }
  // dim is not the last: blocks of up to kCols columns of one outer index
  constexpr int64_t kCols = 256;
  const int64_t blocks = (inner + kCols - 1) / kCols;
  const int64_t per = std::min(inner, kCols) * d;
  parallel_for(outer * blocks, std::max<int64_t>(1, kWork / std::max<int64_t>(per, 1)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; t++) {
      const int64_t o = t / blocks, c0 = (t % blocks) * kCols;
      const int64_t w = std::min(kCols, inner - c0);
      const int64_t base = o * d * inner + c0;
      if constexpr (std::is_same_v<T, float>)
        fused_f32().softmax_cols(x + base, y + base, d, inner, w, log);
      else
        softmax_cols_generic<T>(x + base, y + base, d, inner, w, log);
    }
  });
}

}  // namespace

void k_softmax(const View& x, int dim, bool log, void* out) {
  const char* op = log ? "logSoftmax" : "softmax";
  if (x.ndim == 0) throw KernelRangeError(std::string(op) + ": expected at least one dim");
  if (dim < 0 || dim >= x.ndim) throw KernelRangeError(std::string(op) + ": dim " + std::to_string(dim) + " out of range");
  if (x.numel() == 0) return;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < dim; i++) outer *= x.shape[i];
  for (int i = dim + 1; i < x.ndim; i++) inner *= x.shape[i];
  const int64_t d = x.shape[dim];
  with_float_io(op, x, out, [&](const auto* xp, auto* yp) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(xp)>>;
    softmax_contig<T>(xp, yp, outer, d, inner, log);
  });
}

void k_gelu(const View& x, bool tanh_approx, void* out) {
  const int64_t n = x.numel();
  if (n == 0) return;
  with_float_io("gelu", x, out, [&](const auto* xp, auto* yp) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(xp)>>;
    // double precision, rounded once: matches the composite's libm-based ops
    parallel_for(n, 4096, [&](int64_t b, int64_t e) {
      if (tanh_approx) {
        const double k = std::sqrt(2.0 / M_PI);
        for (int64_t i = b; i < e; i++) {
          const double v = double(xp[i]);
          yp[i] = T(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
        }
      } else {
        for (int64_t i = b; i < e; i++) {
          const double v = double(xp[i]);
          yp[i] = T(0.5 * v * (1.0 + std::erf(v * M_SQRT1_2)));
        }
      }
    });
  });
}

}  // namespace tensile
