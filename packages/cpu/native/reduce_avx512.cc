// Contiguous float32 reductions (sum in double, max/min with NaN propagation) built with
// AVX-512 flags; called by reduce.cc only when active_isa() is Avx512.
#include <cstdint>
#include <limits>

#include "kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// GCC 12 reports its own intrinsics' _mm512_undefined_*() pass-through operands as "maybe
// uninitialized" once they are inlined here (a known false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace tensile {
namespace simd_avx512 {

// Sum: *out = the sum of p[0..n), accumulated in double over float32 partial sums of 16 values. Max/Min: *out = the extreme, NaN when
// any element is NaN. Returns false for ops it does not cover.
bool reduce_f32(ReduceOp op, const float* p, int64_t n, double* out) {
#if defined(__x86_64__) && defined(__AVX512F__)
  if (op == ReduceOp::Sum) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    int64_t i = 0;
    // Blocks of 1024: each float lane adds 16 values in float32, then the lanes are widened into
    // the double accumulators (the per-element widening alone would cost more than the loads).
    for (; i + 1024 <= n; i += 1024) {
      __m512 f0 = _mm512_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;
      for (int64_t j = i; j < i + 1024; j += 64) {
        f0 = _mm512_add_ps(f0, _mm512_loadu_ps(p + j));
        f1 = _mm512_add_ps(f1, _mm512_loadu_ps(p + j + 16));
        f2 = _mm512_add_ps(f2, _mm512_loadu_ps(p + j + 32));
        f3 = _mm512_add_ps(f3, _mm512_loadu_ps(p + j + 48));
      }
      s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(f0)));
      s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(f0, 1)));
      s2 = _mm512_add_pd(s2, _mm512_cvtps_pd(_mm512_castps512_ps256(f1)));
      s3 = _mm512_add_pd(s3, _mm512_cvtps_pd(_mm512_extractf32x8_ps(f1, 1)));
      s4 = _mm512_add_pd(s4, _mm512_cvtps_pd(_mm512_castps512_ps256(f2)));
      s5 = _mm512_add_pd(s5, _mm512_cvtps_pd(_mm512_extractf32x8_ps(f2, 1)));
      s6 = _mm512_add_pd(s6, _mm512_cvtps_pd(_mm512_castps512_ps256(f3)));
      s7 = _mm512_add_pd(s7, _mm512_cvtps_pd(_mm512_extractf32x8_ps(f3, 1)));
    }
    for (; i + 64 <= n; i += 64) {
      s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm256_loadu_ps(p + i)));
      s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_loadu_ps(p + i + 8)));
      s2 = _mm512_add_pd(s2, _mm512_cvtps_pd(_mm256_loadu_ps(p + i + 16)));
      s3 = _mm512_add_pd(s3, _mm512_cvtps_pd(_mm256_loadu_ps(p + i + 24)));
      s4 = _mm512_add_pd(s4, _mm512_cvtps_pd(_mm256_loadu_ps(p + i + 32)));
      s5 = _mm512_add_pd(s5, _mm512_cvtps_pd(_mm256_loadu_ps(p + i + 40)));
      s6 = _mm512_add_pd(s6, _mm512_cvtps_pd(_mm256_loadu_ps(p + i + 48)));
      s7 = _mm512_add_pd(s7, _mm512_cvtps_pd(_mm256_loadu_ps(p + i + 56)));
    }
    for (; i + 8 <= n; i += 8) s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm256_loadu_ps(p + i)));
    if (i < n) {
      const __mmask8 m = __mmask8((1u << (n - i)) - 1);
      s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, p + i)));
    }
    const __m512d t = _mm512_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)),
                                    _mm512_add_pd(_mm512_add_pd(s4, s5), _mm512_add_pd(s6, s7)));
    *out = _mm512_reduce_add_pd(t);
    return true;
  }
  if (op == ReduceOp::Max || op == ReduceOp::Min) {
    const bool mx = op == ReduceOp::Max;
    const __m512 init = _mm512_set1_ps(mx ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity());
    __m512 a0 = init, a1 = init, a2 = init, a3 = init;
    __mmask16 nan = 0;
    int64_t i = 0;
    // max_ps(x, acc) keeps acc when x is NaN: NaNs are tracked in a mask instead.
#define TENSILE_STEP(A, X)                                          \
  do {                                                              \
    const __m512 x_ = (X);                                          \
    nan |= _mm512_cmp_ps_mask(x_, x_, _CMP_UNORD_Q);                \
    A = mx ? _mm512_max_ps(x_, A) : _mm512_min_ps(x_, A);           \
  } while (0)
    for (; i + 64 <= n; i += 64) {
      TENSILE_STEP(a0, _mm512_loadu_ps(p + i));
      TENSILE_STEP(a1, _mm512_loadu_ps(p + i + 16));
      TENSILE_STEP(a2, _mm512_loadu_ps(p + i + 32));
      TENSILE_STEP(a3, _mm512_loadu_ps(p + i + 48));
    }
    for (; i + 16 <= n; i += 16) TENSILE_STEP(a0, _mm512_loadu_ps(p + i));
    if (i < n) {
      const __mmask16 m = __mmask16((1u << (n - i)) - 1);
      TENSILE_STEP(a1, _mm512_mask_loadu_ps(init, m, p + i));
    }
#undef TENSILE_STEP
    if (nan) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    const __m512 a = mx ? _mm512_max_ps(_mm512_max_ps(a0, a1), _mm512_max_ps(a2, a3))
                        : _mm512_min_ps(_mm512_min_ps(a0, a1), _mm512_min_ps(a2, a3));
    *out = double(mx ? _mm512_reduce_max_ps(a) : _mm512_reduce_min_ps(a));
    return true;
  }
#endif
  (void)op, (void)p, (void)n, (void)out;
  return false;
}

}  // namespace simd_avx512
}  // namespace tensile
