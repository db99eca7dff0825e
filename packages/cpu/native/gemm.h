// Dense matrix products. C (m x n, row-major, leading dimension ldc) = A (m x k) * B (k x n),
// where A's element (i, p) is at A[i*rsa + p*csa] and B's (p, j) at B[p*rsb + j*csb]: any
// strides, so transposed operands need no copy. C is overwritten (beta = 0).
#pragma once
#include <cstdint>

namespace tensile {

void sgemm(int64_t m, int64_t n, int64_t k, const float* A, int64_t rsa, int64_t csa, const float* B, int64_t rsb,
           int64_t csb, float* C, int64_t ldc);
void dgemm(int64_t m, int64_t n, int64_t k, const double* A, int64_t rsa, int64_t csa, const double* B, int64_t rsb,
           int64_t csb, double* C, int64_t ldc);

}  // namespace tensile
