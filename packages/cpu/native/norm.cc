// Fused override: layerNorm over the trailing `n` elements of each row (biased variance), with
// optional weight and bias of n elements. float32 rows run the per-ISA kernels of fused_simd.inc
// (two passes: mean, then the squared deviations); float64 a generic loop; float16/bfloat16
// go through float32. Rows are spread over the thread pool.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "fused.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {

namespace {

template <class T>
void layernorm_rows_generic(const T* x, const T* w, const T* b, T* y, int64_t rows, int64_t n, T eps) {
  for (int64_t r = 0; r < rows; r++, x += n, y += n) {
    T s = 0;
    for (int64_t j = 0; j < n; j++) s += x[j];
    const T mean = s / T(n);
    T q = 0;
    for (int64_t j = 0; j < n; j++) q += (x[j] - mean) * (x[j] - mean);
    const T rstd = T(1) / std::sqrt(q / T(n) + eps);
    for (int64_t j = 0; j < n; j++) {
      T v = (x[j] - mean) * rstd;
      if (w) v = v * w[j];
      if (b) v = v + b[j];
      y[j] = v;
    }
  }
}

}  // namespace

void k_layer_norm(const View& x, const View* weight, const View* bias, int64_t n, double eps, void* out) {
  const int64_t numel = x.numel();
  if (numel == 0) return;
  if (n <= 0 || numel % n != 0)
    throw KernelRangeError("layerNorm: normalized size " + std::to_string(n) + " does not divide the input's " +
                           std::to_string(numel) + " elements");
  for (const View* p : {weight, bias})
    if (p && p->numel() != n)
      throw KernelRangeError("layerNorm: weight and bias must have " + std::to_string(n) + " elements, got " +
                             std::to_string(p->numel()));
  const int64_t rows = numel / n;
  with_float_io("layerNorm", x, out, [&](const auto* xp, auto* yp) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(xp)>>;
    constexpr DType ct = std::is_same_v<T, float> ? DType::F32 : DType::F64;
    std::unique_ptr<Scratch> tw, tb;
    const T* wp = weight ? contiguous_as(*weight, ct, tw).template ptr<T>() : nullptr;
    const T* bp = bias ? contiguous_as(*bias, ct, tb).template ptr<T>() : nullptr;
    parallel_for(rows, std::max<int64_t>(1, (int64_t(1) << 14) / n), [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float>)
        fused_f32().layernorm_rows(xp + b * n, wp, bp, yp + b * n, e - b, n, float(eps));
      else
        layernorm_rows_generic<T>(xp + b * n, wp, bp, yp + b * n, e - b, n, T(eps));
    });
  });
}

}  // namespace tensile
