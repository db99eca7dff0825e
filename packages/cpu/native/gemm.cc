// Dense matrix products: dispatch to the packed, cache-blocked, multi-threaded kernels of the
// active ISA (gemm_avx512.cc, gemm_avx2.cc, gemm_scalar.cc; driver in gemm_driver.h), with a
// low-overhead direct loop for tiny products.
#include "gemm.h"

#include "common.h"
#include "gemm_kernels.h"

namespace tensile {

namespace {

// Tiny products: no packing, no threads. i-p-j order so the inner loop runs along a row of C
// (and of B, vectorised when B's rows are contiguous).
template <typename T>
void gemm_small(int64_t m, int64_t n, int64_t k, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb,
                int64_t csb, T* C, int64_t ldc) {
  for (int64_t i = 0; i < m; i++) {
    T* c = C + i * ldc;
    for (int64_t j = 0; j < n; j++) c[j] = T(0);
    const T* a = A + i * rsa;
    if (csb == 1) {
      for (int64_t p = 0; p < k; p++) {
        const T ap = a[p * csa];
        const T* b = B + p * rsb;
        for (int64_t j = 0; j < n; j++) c[j] += ap * b[j];
      }
    } else {
      for (int64_t p = 0; p < k; p++) {
        const T ap = a[p * csa];
        const T* b = B + p * rsb;
        for (int64_t j = 0; j < n; j++) c[j] += ap * b[j * csb];
      }
    }
  }
}

// Matrix-vector products (n == 1): dot products with 8 independent partial sums, so the loop
// is bound by memory rather than by the FMA latency chain.
template <typename T>
void gemv_n1(int64_t m, int64_t k, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, T* C,
             int64_t ldc) {
  for (int64_t i = 0; i < m; i++) {
    const T* a = A + i * rsa;
    T acc[8] = {};
    int64_t p = 0;
    for (; p + 8 <= k; p += 8)
      for (int q = 0; q < 8; q++) acc[q] += a[(p + q) * csa] * B[(p + q) * rsb];
    T s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; p < k; p++) s += a[p * csa] * B[p * rsb];
    C[i * ldc] = s;
  }
}

constexpr double kSmallWork = 32.0 * 32.0 * 32.0;

// Direct paths: tiny products, and vector-shaped ones (m == 1 or n == 1) that packing would pad
// to a full MR x NR tile.
template <typename T>
bool gemm_direct(int64_t m, int64_t n, int64_t k, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb,
                 int64_t csb, T* C, int64_t ldc) {
  if (n == 1 && k > 0) {
    gemv_n1(m, k, A, rsa, csa, B, rsb, C, ldc);
    return true;
  }
  if (m == 1 || double(m) * double(n) * double(k) < kSmallWork) {
    gemm_small(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
    return true;
  }
  return false;
}

}  // namespace

void sgemm(int64_t m, int64_t n, int64_t k, const float* A, int64_t rsa, int64_t csa, const float* B, int64_t rsb,
           int64_t csb, float* C, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k < 0) k = 0;
  if (gemm_direct(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc)) return;
  switch (active_isa()) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::Avx512: return gemm_detail::sgemm_avx512(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
    case Isa::Avx2: return gemm_detail::sgemm_avx2(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
#endif
    default: return gemm_detail::sgemm_scalar(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
  }
}

void dgemm(int64_t m, int64_t n, int64_t k, const double* A, int64_t rsa, int64_t csa, const double* B,
           int64_t rsb, int64_t csb, double* C, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k < 0) k = 0;
  if (gemm_direct(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc)) return;
  switch (active_isa()) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::Avx512: return gemm_detail::dgemm_avx512(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
    case Isa::Avx2: return gemm_detail::dgemm_avx2(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
#endif
    default: return gemm_detail::dgemm_scalar(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
  }
}

}  // namespace tensile
