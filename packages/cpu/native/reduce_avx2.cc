// Contiguous float32 reductions (sum in double, max/min with NaN propagation) built with
// AVX2 flags; called by reduce.cc only when active_isa() is Avx2.
#include <cstdint>
#include <limits>

#include "kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tensile {
namespace simd_avx2 {

// As simd_avx512::reduce_f32 (reduce_avx512.cc).
bool reduce_f32(ReduceOp op, const float* p, int64_t n, double* out) {
#if defined(__x86_64__) && defined(__AVX2__)
  if (op == ReduceOp::Sum) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    int64_t i = 0;
    // Blocks of 512: each float lane adds 16 values in float32, then is widened to double.
    for (; i + 512 <= n; i += 512) {
      __m256 f0 = _mm256_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;
      for (int64_t j = i; j < i + 512; j += 32) {
        f0 = _mm256_add_ps(f0, _mm256_loadu_ps(p + j));
        f1 = _mm256_add_ps(f1, _mm256_loadu_ps(p + j + 8));
        f2 = _mm256_add_ps(f2, _mm256_loadu_ps(p + j + 16));
        f3 = _mm256_add_ps(f3, _mm256_loadu_ps(p + j + 24));
      }
      s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(f0)));
      s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(f0, 1)));
      s2 = _mm256_add_pd(s2, _mm256_cvtps_pd(_mm256_castps256_ps128(f1)));
      s3 = _mm256_add_pd(s3, _mm256_cvtps_pd(_mm256_extractf128_ps(f1, 1)));
      s4 = _mm256_add_pd(s4, _mm256_cvtps_pd(_mm256_castps256_ps128(f2)));
      s5 = _mm256_add_pd(s5, _mm256_cvtps_pd(_mm256_extractf128_ps(f2, 1)));
      s6 = _mm256_add_pd(s6, _mm256_cvtps_pd(_mm256_castps256_ps128(f3)));
      s7 = _mm256_add_pd(s7, _mm256_cvtps_pd(_mm256_extractf128_ps(f3, 1)));
    }
    for (; i + 32 <= n; i += 32) {
      s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm_loadu_ps(p + i)));
      s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm_loadu_ps(p + i + 4)));
      s2 = _mm256_add_pd(s2, _mm256_cvtps_pd(_mm_loadu_ps(p + i + 8)));
      s3 = _mm256_add_pd(s3, _mm256_cvtps_pd(_mm_loadu_ps(p + i + 12)));
      s4 = _mm256_add_pd(s4, _mm256_cvtps_pd(_mm_loadu_ps(p + i + 16)));
      s5 = _mm256_add_pd(s5, _mm256_cvtps_pd(_mm_loadu_ps(p + i + 20)));
      s6 = _mm256_add_pd(s6, _mm256_cvtps_pd(_mm_loadu_ps(p + i + 24)));
      s7 = _mm256_add_pd(s7, _mm256_cvtps_pd(_mm_loadu_ps(p + i + 28)));
    }
    for (; i + 4 <= n; i += 4) s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm_loadu_ps(p + i)));
    const __m256d t = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)),
                                    _mm256_add_pd(_mm256_add_pd(s4, s5), _mm256_add_pd(s6, s7)));
    alignas(32) double lanes[4];
    _mm256_store_pd(lanes, t);
    double r = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; i++) r += double(p[i]);
    *out = r;
    return true;
  }
  if (op == ReduceOp::Max || op == ReduceOp::Min) {
    const bool mx = op == ReduceOp::Max;
    const float id = mx ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    const __m256 init = _mm256_set1_ps(id);
    __m256 a0 = init, a1 = init, a2 = init, a3 = init;
    __m256 nan = _mm256_setzero_ps();
    int64_t i = 0;
    // max_ps(x, acc) keeps acc when x is NaN: NaNs are tracked separately.
#define TENSILE_STEP(A, X)                                          \
  do {                                                              \
    const __m256 x_ = (X);                                          \
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(x_, x_, _CMP_UNORD_Q));   \
    A = mx ? _mm256_max_ps(x_, A) : _mm256_min_ps(x_, A);           \
  } while (0)
    for (; i + 32 <= n; i += 32) {
      TENSILE_STEP(a0, _mm256_loadu_ps(p + i));
      TENSILE_STEP(a1, _mm256_loadu_ps(p + i + 8));
      TENSILE_STEP(a2, _mm256_loadu_ps(p + i + 16));
      TENSILE_STEP(a3, _mm256_loadu_ps(p + i + 24));
    }
    for (; i + 8 <= n; i += 8) TENSILE_STEP(a0, _mm256_loadu_ps(p + i));
#undef TENSILE_STEP
    const __m256 a = mx ? _mm256_max_ps(_mm256_max_ps(a0, a1), _mm256_max_ps(a2, a3))
                        : _mm256_min_ps(_mm256_min_ps(a0, a1), _mm256_min_ps(a2, a3));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, a);
    bool any_nan = _mm256_movemask_ps(nan) != 0;
    float r = id;
    for (int l = 0; l < 8; l++) r = mx ? (lanes[l] > r ? lanes[l] : r) : (lanes[l] < r ? lanes[l] : r);
    for (; i < n; i++) {
      const float x = p[i];
      if (x != x) any_nan = true;
      else r = mx ? (x > r ? x : r) : (x < r ? x : r);
    }
    *out = any_nan ? std::numeric_limits<double>::quiet_NaN() : double(r);
    return true;
  }
#endif
  (void)op, (void)p, (void)n, (void)out;
  return false;
}

}  // namespace simd_avx2
}  // namespace tensile
