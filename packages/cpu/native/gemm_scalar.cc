// Portable GEMM micro-kernel (baseline flags: SSE2 on x86-64, NEON on arm64 through the
// compiler's auto-vectoriser). Correct on any target; used when active_isa() is Scalar.
#include "gemm_kernels.h"

#define TENSILE_GEMM_NS scalar
#include "gemm_driver.h"

namespace tensile {
namespace gemm_detail {
namespace scalar {

template <typename T_, int MR_, int NR_, int MC_, int KC_, int NC_>
struct Kernel {
  using T = T_;
  static constexpr int MR = MR_, NR = NR_, MC = MC_, KC = KC_, NC = NC_;
  static void pack_a(int64_t mc, int64_t kc, const T* A, int64_t rsa, int64_t csa, T* dst) {
    gemm_detail::TENSILE_GEMM_NS::pack_a<MR>(mc, kc, A, rsa, csa, dst);
  }
  static void run(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr, bool acc) {
    T tile[MR][NR] = {};
    for (int64_t p = 0; p < kc; p++) {
      for (int i = 0; i < MR; i++) {
        const T ai = a[i];
        for (int j = 0; j < NR; j++) tile[i][j] += ai * b[j];
      }
      a += MR;
      b += NR;
    }
    for (int64_t i = 0; i < mr; i++) {
      T* ci = c + i * ldc;
      if (acc)
        for (int64_t j = 0; j < nr; j++) ci[j] += tile[i][j];
      else
        for (int64_t j = 0; j < nr; j++) ci[j] = tile[i][j];
    }
  }
};

using SKernel = Kernel<float, 4, 8, 128, 256, 2048>;
using DKernel = Kernel<double, 4, 4, 128, 256, 2048>;

}  // namespace scalar

void sgemm_scalar(int64_t m, int64_t n, int64_t k, const float* A, int64_t rsa, int64_t csa, const float* B,
                  int64_t rsb, int64_t csb, float* C, int64_t ldc) {
  scalar::gemm<scalar::SKernel>(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}
void dgemm_scalar(int64_t m, int64_t n, int64_t k, const double* A, int64_t rsa, int64_t csa, const double* B,
                  int64_t rsb, int64_t csb, double* C, int64_t ldc) {
  scalar::gemm<scalar::DKernel>(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}

}  // namespace gemm_detail
}  // namespace tensile
