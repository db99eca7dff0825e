// Internal to the GEMM family: per-ISA entry points that gemm.cc dispatches to. Each is
// compiled in its own translation unit with that ISA's flags (gemm_avx512.cc, gemm_avx2.cc,
// gemm_scalar.cc) and must only be called when active_isa() allows it.
// Same contract as gemm.h: C (m x n, row-major, ldc) = A (m x k, strides rsa/csa) * B (k x n,
// strides rsb/csb), beta = 0; m, n >= 1, k >= 0.
#pragma once
#include <cstdint>

namespace tensile {
namespace gemm_detail {

#define TENSILE_GEMM_DECLARE(name, T)                                                                            \
  void name(int64_t m, int64_t n, int64_t k, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, \
            int64_t csb, T* C, int64_t ldc)

TENSILE_GEMM_DECLARE(sgemm_scalar, float);
TENSILE_GEMM_DECLARE(dgemm_scalar, double);
#if defined(__x86_64__) || defined(_M_X64)
TENSILE_GEMM_DECLARE(sgemm_avx2, float);
TENSILE_GEMM_DECLARE(dgemm_avx2, double);
TENSILE_GEMM_DECLARE(sgemm_avx512, float);
TENSILE_GEMM_DECLARE(dgemm_avx512, double);
#endif

#undef TENSILE_GEMM_DECLARE

}  // namespace gemm_detail
}  // namespace tensile
