// GEMM micro-kernels for AVX-512 (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2
// -mfma). Called only when active_isa() is Avx512.
//   float:  8 x 32 tile (16 zmm accumulators, 2 loads of B and 8 broadcasts of A per 16 FMAs)
//   double: 10 x 16 tile (20 zmm accumulators, 8 doubles per zmm)
// (Measured here, a 14 x 32 float tile ran its inner loop ~5% slower than 8 x 32 / 10 x 32 with
// GCC 12: 28 accumulators leave the register allocator no slack.)
#include "gemm_kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

#include <type_traits>

#ifndef TENSILE_PF_HINT
#define TENSILE_PF_HINT _MM_HINT_T1
#endif
#define TENSILE_GEMM_NS avx512
#include "gemm_driver.h"

namespace tensile {
namespace gemm_detail {
namespace avx512 {

struct VecF {
  using T = float;
  using V = __m512;
  using M = __mmask16;
  static constexpr int L = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const T* p) { return _mm512_loadu_ps(p); }
  static V set1(T x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static void store(T* p, V v) { _mm512_storeu_ps(p, v); }
  static M mask(int64_t n) { return n >= L ? M(0xFFFF) : M((1u << n) - 1u); }
  static V mload(M m, const T* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void mstore(T* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
};
struct VecD {
  using T = double;
  using V = __m512d;
  using M = __mmask8;
  static constexpr int L = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const T* p) { return _mm512_loadu_pd(p); }
  static V set1(T x) { return _mm512_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static void store(T* p, V v) { _mm512_storeu_pd(p, v); }
  static M mask(int64_t n) { return n >= L ? M(0xFF) : M((1u << n) - 1u); }
  static V mload(M m, const T* p) { return _mm512_maskz_loadu_pd(m, p); }
  static void mstore(T* p, M m, V v) { _mm512_mask_storeu_pd(p, m, v); }
};

// 16 x 16 float transpose in registers (r[i] = row i in, row i out).
// (GCC 12 warns falsely about the intrinsics' internal undefined pass-through operand, more so
// once they are inlined through the packing lambdas below.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
__attribute__((always_inline)) inline void transpose16(__m512 (&r)[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
  }
  // r[4b + s] now holds, per 128-bit lane L, column (4L + s) of rows 4b..4b+3.
  for (int i = 0; i < 4; i++) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);        // lanes 0,2 of r[i] | lanes 0,2 of r[4+i]
    t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xDD);    // lanes 1,3
    t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
    t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xDD);
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
    r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
    r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xDD);
  }
}

// Row-major A (csa == 1) into MR-tall panels: `step(a, rsa, dst)` turns the MR rows at a (16
// columns each) into 16 columns of MR at dst; leftover columns and a last partial panel are
// copied one by one.
template <int MR, class Step16>
__attribute__((always_inline)) inline void pack_a_rowmajor_by16(int64_t mc, int64_t kc, const float* A, int64_t rsa,
                                                                float* dst, Step16&& step) {
  int64_t ir = 0;
  for (; ir + MR <= mc; ir += MR) {
    const float* a = A + ir * rsa;
    int64_t p = 0;
    for (; p + 16 <= kc; p += 16) {
      for (int i = 0; i < MR; i++) _mm_prefetch(reinterpret_cast<const char*>(a + i * rsa + p + 128), _MM_HINT_T0);
      step(a + p, rsa, dst);
      dst += 16 * MR;
    }
    for (; p < kc; p++) {
      for (int i = 0; i < MR; i++) dst[i] = a[i * rsa + p];
      dst += MR;
    }
  }
  if (ir < mc) pack_a<MR>(mc - ir, kc, A + ir * rsa, rsa, 1, dst);
}

// Any MR <= 16: through the 16 x 16 register transpose, the missing rows zero.
template <int MR>
void pack_a_rowmajor_f32(int64_t mc, int64_t kc, const float* A, int64_t rsa, float* dst) {
  static_assert(MR <= 16, "MR <= 16");
  const __mmask16 out_mask = __mmask16((1u << MR) - 1u);
  pack_a_rowmajor_by16<MR>(mc, kc, A, rsa, dst, [out_mask](const float* a, int64_t lda, float* d) {
    __m512 r[16];
    for (int i = 0; i < MR; i++) r[i] = _mm512_loadu_ps(a + i * lda);
    for (int i = MR; i < 16; i++) r[i] = _mm512_setzero_ps();
    transpose16(r);
    for (int q = 0; q < 16; q++) _mm512_mask_storeu_ps(d + q * MR, out_mask, r[q]);
  });
}

// MR = 8 (the float kernel's): 16 in-lane unpacks and 8 two-source permutes per 8 x 16 block, a
// third of the shuffles of the 16 x 16 transpose (half of whose rows would be zero padding).
void pack_a_rowmajor_f32_mr8(int64_t mc, int64_t kc, const float* A, int64_t rsa, float* dst) {
  constexpr int MR = 8;
  const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const __m512i hi = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  pack_a_rowmajor_by16<MR>(mc, kc, A, rsa, dst, [lo, hi](const float* a, int64_t lda, float* d) {
    __m512 r[8];
    for (int i = 0; i < 8; i++) r[i] = _mm512_loadu_ps(a + i * lda);
    // t: pairs of rows interleaved; u[s] (u[4 + s]): per 128-bit lane L, column 4L + s of rows
    // 0-3 (rows 4-7).
    __m512 t[8], u[8];
    for (int h = 0; h < 2; h++) {
      t[4 * h + 0] = _mm512_unpacklo_ps(r[4 * h], r[4 * h + 1]);
      t[4 * h + 1] = _mm512_unpackhi_ps(r[4 * h], r[4 * h + 1]);
      t[4 * h + 2] = _mm512_unpacklo_ps(r[4 * h + 2], r[4 * h + 3]);
      t[4 * h + 3] = _mm512_unpackhi_ps(r[4 * h + 2], r[4 * h + 3]);
      const __m512d t0 = _mm512_castps_pd(t[4 * h]), t1 = _mm512_castps_pd(t[4 * h + 1]);
      const __m512d t2 = _mm512_castps_pd(t[4 * h + 2]), t3 = _mm512_castps_pd(t[4 * h + 3]);
      u[4 * h + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
      u[4 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
      u[4 * h + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
      u[4 * h + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
    }
    for (int s = 0; s < 4; s++) {
      const __m512 a01 = _mm512_permutex2var_ps(u[s], lo, u[4 + s]);  // columns s | 4 + s
      const __m512 a23 = _mm512_permutex2var_ps(u[s], hi, u[4 + s]);  // columns 8 + s | 12 + s
      _mm256_storeu_ps(d + s * MR, _mm512_castps512_ps256(a01));
      _mm256_storeu_ps(d + (4 + s) * MR, _mm512_extractf32x8_ps(a01, 1));
      _mm256_storeu_ps(d + (8 + s) * MR, _mm512_castps512_ps256(a23));
      _mm256_storeu_ps(d + (12 + s) * MR, _mm512_extractf32x8_ps(a23, 1));
    }
  });
}

// Column-major B (rsb == 1: B is a transposed row-major matrix, e.g. the weight of linear) into
// 32-wide panels, 16 rows x 16 columns at a time through a register transpose; a last partial
// panel goes through the generic pack_b.
void pack_b_colmajor_f32(int64_t kc, int64_t nc, const float* B, int64_t csb, float* dst) {
  constexpr int NR = 32;
  const int64_t full = nc / NR;
  for (int64_t jp = 0; jp < full; jp++) {
    float* d = dst + jp * kc * NR;
    for (int h = 0; h < 2; h++) {
      const float* b = B + (jp * NR + h * 16) * csb;
      int64_t p = 0;
      for (; p + 16 <= kc; p += 16) {
        __m512 r[16];
        for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_ps(b + j * csb + p);
        transpose16(r);
        for (int q = 0; q < 16; q++) _mm512_storeu_ps(d + (p + q) * NR + h * 16, r[q]);
      }
      for (; p < kc; p++)
        for (int j = 0; j < 16; j++) d[p * NR + h * 16 + j] = b[j * csb + p];
    }
  }
  if (nc > full * NR) pack_b<NR>(kc, nc - full * NR, B + full * NR * csb, 1, csb, dst + full * kc * NR);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// MR x (2 vectors) micro-kernel. a: kc x MR packed, b: kc x NR packed.
template <class Vec, int MR_, int MC_, int KC_, int NC_>
struct Kernel {
  using T = typename Vec::T;
  using V = typename Vec::V;
  static constexpr int MR = MR_, NR = 2 * Vec::L, MC = MC_, KC = KC_, NC = NC_;
  static void pack_a(int64_t mc, int64_t kc, const T* A, int64_t rsa, int64_t csa, T* dst) {
    if constexpr (std::is_same<T, float>::value && MR == 8) {
      if (csa == 1 && rsa != 1) return pack_a_rowmajor_f32_mr8(mc, kc, A, rsa, dst);
    } else if constexpr (std::is_same<T, float>::value && MR <= 16) {
      if (csa == 1 && rsa != 1) return pack_a_rowmajor_f32<MR>(mc, kc, A, rsa, dst);
    }
    avx512::pack_a<MR>(mc, kc, A, rsa, csa, dst);
  }
  static void pack_b(int64_t kc, int64_t nc, const T* B, int64_t rsb, int64_t csb, T* dst) {
    if constexpr (std::is_same<T, float>::value && NR == 32) {
      if (rsb == 1 && csb != 1) return pack_b_colmajor_f32(kc, nc, B, csb, dst);
    }
    avx512::pack_b<NR>(kc, nc, B, rsb, csb, dst);
  }

  __attribute__((always_inline)) static inline void step(const T* a, const T* b, V (&c0)[MR], V (&c1)[MR]) {
    const V b0 = Vec::load(b);
    const V b1 = Vec::load(b + Vec::L);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const V ai = Vec::set1(a[i]);
      c0[i] = Vec::fma(ai, b0, c0[i]);
      c1[i] = Vec::fma(ai, b1, c1[i]);
    }
  }

  static void run(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr, bool acc) {
    run_pf(kc, a, b, c, ldc, mr, nr, acc, nullptr, 0);
  }

  // pf / pf_lines: cache lines (64 bytes each, from pf on) to prefetch while computing, one per
  // 8 steps of depth: the driver passes a slice of the next B micro-panel, so the first tile
  // of the next panel does not wait for it (it comes from L3 otherwise).
  static void run_pf(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr, bool acc,
                     const T* pf, int64_t pf_lines) {
    V c0[MR], c1[MR];
    // C is touched only at the end: start fetching its tile now (it is usually out of L1/L2).
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      c0[i] = Vec::zero();
      c1[i] = Vec::zero();
    }
    int64_t p = 0;
    const char* pfc = reinterpret_cast<const char*>(pf);
    for (; p + 8 <= kc; p += 8) {
      if (pf_lines > 0) {
        _mm_prefetch(pfc, TENSILE_PF_HINT);
        pfc += 64;
        pf_lines--;
      }
      step(a, b, c0, c1);
      step(a + MR, b + NR, c0, c1);
      step(a + 2 * MR, b + 2 * NR, c0, c1);
      step(a + 3 * MR, b + 3 * NR, c0, c1);
      step(a + 4 * MR, b + 4 * NR, c0, c1);
      step(a + 5 * MR, b + 5 * NR, c0, c1);
      step(a + 6 * MR, b + 6 * NR, c0, c1);
      step(a + 7 * MR, b + 7 * NR, c0, c1);
      a += 8 * MR;
      b += 8 * NR;
    }
    for (; p < kc; p++) {
      step(a, b, c0, c1);
      a += MR;
      b += NR;
    }
    if (mr == MR && nr == NR) {
      if (acc) {
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
          T* ci = c + i * ldc;
          Vec::store(ci, Vec::add(Vec::load(ci), c0[i]));
          Vec::store(ci + Vec::L, Vec::add(Vec::load(ci + Vec::L), c1[i]));
        }
      } else {
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
          Vec::store(c + i * ldc, c0[i]);
          Vec::store(c + i * ldc + Vec::L, c1[i]);
        }
      }
    } else {
      const auto m0 = Vec::mask(nr);
      const auto m1 = Vec::mask(nr > Vec::L ? nr - Vec::L : 0);
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        if (i < mr) {
          T* ci = c + i * ldc;
          V v0 = c0[i], v1 = c1[i];
          if (acc) {
            v0 = Vec::add(Vec::mload(m0, ci), v0);
            v1 = Vec::add(Vec::mload(m1, ci + Vec::L), v1);
          }
          Vec::mstore(ci, m0, v0);
          Vec::mstore(ci + Vec::L, m1, v1);
        }
      }
    }
  }
};

// Blocking for Zen 4/5 class cores (32 KiB L1d, 1 MiB L2 per core, shared L3), tuned by
// tools/tune.sh on the target machine:
//   float:  A block MC x KC = 128 x 512 = 256 KiB (L2), B micro-panel KC x NR = 512 x 32 = 64 KiB
//           (L2, streamed), B block KC x NC = 512 x 4096 = 8 MiB max (L3; NC is capped at n).
//   double: A block 160 x 384 = 480 KiB (L2), B micro-panel 384 x 16 = 48 KiB.
// C is read and written once per KC block of depth, so a large KC keeps C traffic low.
#ifndef TENSILE_SGEMM_AVX512_BLOCKING  // (tuning hook: -DTENSILE_SGEMM_AVX512_BLOCKING=MR,MC,KC,NC)
#define TENSILE_SGEMM_AVX512_BLOCKING 8, 128, 512, 4096
#endif
using SKernel = Kernel<VecF, TENSILE_SGEMM_AVX512_BLOCKING>;
#ifndef TENSILE_DGEMM_AVX512_BLOCKING
#define TENSILE_DGEMM_AVX512_BLOCKING 10, 160, 384, 2048
#endif
using DKernel = Kernel<VecD, TENSILE_DGEMM_AVX512_BLOCKING>;

}  // namespace avx512

void sgemm_avx512(int64_t m, int64_t n, int64_t k, const float* A, int64_t rsa, int64_t csa, const float* B,
                  int64_t rsb, int64_t csb, float* C, int64_t ldc) {
  avx512::gemm<avx512::SKernel>(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}
void dgemm_avx512(int64_t m, int64_t n, int64_t k, const double* A, int64_t rsa, int64_t csa, const double* B,
                  int64_t rsb, int64_t csb, double* C, int64_t ldc) {
  avx512::gemm<avx512::DKernel>(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}

}  // namespace gemm_detail
}  // namespace tensile

#elif defined(__x86_64__)
// Built without AVX-512 flags (should not happen with the addon's build rules): fall back.
namespace tensile {
namespace gemm_detail {
void sgemm_avx512(int64_t m, int64_t n, int64_t k, const float* A, int64_t rsa, int64_t csa, const float* B,
                  int64_t rsb, int64_t csb, float* C, int64_t ldc) {
  sgemm_scalar(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}
void dgemm_avx512(int64_t m, int64_t n, int64_t k, const double* A, int64_t rsa, int64_t csa, const double* B,
                  int64_t rsb, int64_t csb, double* C, int64_t ldc) {
  dgemm_scalar(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}
}  // namespace gemm_detail
}  // namespace tensile
#endif
