// GEMM micro-kernels for AVX2 + FMA (compiled with -mavx2 -mfma -mf16c). Called only when
// active_isa() is Avx2 (or higher and forced down).
//   float:  6 x 16 tile (12 ymm accumulators, 2 for B, 1 broadcast)
//   double: 6 x 8 tile  (same register layout, 4 doubles per ymm)
#include "gemm_kernels.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#define TENSILE_GEMM_NS avx2
#include "gemm_driver.h"

namespace tensile {
namespace gemm_detail {
namespace avx2 {

struct VecF {
  using T = float;
  using V = __m256;
  static constexpr int L = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static V set1(T x) { return _mm256_broadcast_ss(&x); }
  static V bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
};
struct VecD {
  using T = double;
  using V = __m256d;
  static constexpr int L = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static V bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
};

template <class Vec, int MR_, int MC_, int KC_, int NC_>
struct Kernel {
  using T = typename Vec::T;
  using V = typename Vec::V;
  static constexpr int MR = MR_, NR = 2 * Vec::L, MC = MC_, KC = KC_, NC = NC_;
  static void pack_a(int64_t mc, int64_t kc, const T* A, int64_t rsa, int64_t csa, T* dst) {
    gemm_detail::TENSILE_GEMM_NS::pack_a<MR>(mc, kc, A, rsa, csa, dst);
  }

  __attribute__((always_inline)) static inline void step(const T* a, const T* b, V (&c0)[MR], V (&c1)[MR]) {
    const V b0 = Vec::load(b);
    const V b1 = Vec::load(b + Vec::L);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const V ai = Vec::bcast(a + i);
      c0[i] = Vec::fma(ai, b0, c0[i]);
      c1[i] = Vec::fma(ai, b1, c1[i]);
    }
  }

  static void run(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr, bool acc) {
    V c0[MR], c1[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      c0[i] = Vec::zero();
      c1[i] = Vec::zero();
    }
    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
      step(a, b, c0, c1);
      step(a + MR, b + NR, c0, c1);
      step(a + 2 * MR, b + 2 * NR, c0, c1);
      step(a + 3 * MR, b + 3 * NR, c0, c1);
      a += 4 * MR;
      b += 4 * NR;
    }
    for (; p < kc; p++) {
      step(a, b, c0, c1);
      a += MR;
      b += NR;
    }
    if (mr == MR && nr == NR) {
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        T* ci = c + i * ldc;
        if (acc) {
          Vec::store(ci, Vec::add(Vec::load(ci), c0[i]));
          Vec::store(ci + Vec::L, Vec::add(Vec::load(ci + Vec::L), c1[i]));
        } else {
          Vec::store(ci, c0[i]);
          Vec::store(ci + Vec::L, c1[i]);
        }
      }
    } else {
      alignas(32) T tile[MR][NR];
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        Vec::store(tile[i], c0[i]);
        Vec::store(tile[i] + Vec::L, c1[i]);
      }
      for (int64_t i = 0; i < mr; i++) {
        T* ci = c + i * ldc;
        if (acc)
          for (int64_t j = 0; j < nr; j++) ci[j] += tile[i][j];
        else
          for (int64_t j = 0; j < nr; j++) ci[j] = tile[i][j];
      }
    }
  }
};

// A block 144 x 512 floats = 288 KiB (L2); B micro-panel 512 x 16 = 32 KiB (L1/L2).
#ifndef TENSILE_SGEMM_AVX2_BLOCKING  // (tuning hook: -DTENSILE_SGEMM_AVX2_BLOCKING=MR,MC,KC,NC)
#define TENSILE_SGEMM_AVX2_BLOCKING 6, 144, 512, 4096
#endif
using SKernel = Kernel<VecF, TENSILE_SGEMM_AVX2_BLOCKING>;
using DKernel = Kernel<VecD, 6, 120, 256, 2048>;

}  // namespace avx2

void sgemm_avx2(int64_t m, int64_t n, int64_t k, const float* A, int64_t rsa, int64_t csa, const float* B,
                int64_t rsb, int64_t csb, float* C, int64_t ldc) {
  avx2::gemm<avx2::SKernel>(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}
void dgemm_avx2(int64_t m, int64_t n, int64_t k, const double* A, int64_t rsa, int64_t csa, const double* B,
                int64_t rsb, int64_t csb, double* C, int64_t ldc) {
  avx2::gemm<avx2::DKernel>(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}

}  // namespace gemm_detail
}  // namespace tensile

#elif defined(__x86_64__)
// Built without AVX2/FMA flags (should not happen with the addon's build rules): fall back.
namespace tensile {
namespace gemm_detail {
void sgemm_avx2(int64_t m, int64_t n, int64_t k, const float* A, int64_t rsa, int64_t csa, const float* B,
                int64_t rsb, int64_t csb, float* C, int64_t ldc) {
  sgemm_scalar(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}
void dgemm_avx2(int64_t m, int64_t n, int64_t k, const double* A, int64_t rsa, int64_t csa, const double* B,
                int64_t rsb, int64_t csb, double* C, int64_t ldc) {
  dgemm_scalar(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}
}  // namespace gemm_detail
}  // namespace tensile
#endif
