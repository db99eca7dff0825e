// Correctness harness: sgemm/dgemm against a naive double-accumulating reference, for every ISA
// the CPU supports, 1 and 2 threads, many odd shapes, transposed and strided operands.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <random>
#include <vector>

#include "../gemm.h"
#include "stub.h"

using namespace tensile;

// Counts operator new calls, to check that steady-state GEMM calls do not allocate.
static long g_news = 0;
void* operator new(size_t n) {
  g_news++;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

static std::mt19937_64 rng(12345);

template <typename T>
static void ref(int64_t m, int64_t n, int64_t k, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb,
                int64_t csb, double* C) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = 0;
      for (int64_t p = 0; p < k; p++) s += double(A[i * rsa + p * csa]) * double(B[p * rsb + j * csb]);
      C[i * n + j] = s;
    }
}

static int failures = 0;
static long cases = 0;

// layout: 0 row-major, 1 transposed (column-major), 2 strided both ways (padding).
template <typename T>
static void check(int64_t m, int64_t n, int64_t k, int la, int lb, int64_t ldc_pad) {
  auto strides = [](int layout, int64_t rows, int64_t cols, int64_t& rs, int64_t& cs, int64_t& size) {
    if (layout == 0) { rs = cols + 3 * (rows % 2); cs = 1; size = rows * rs + cols + 1; }
    else if (layout == 1) { rs = 1; cs = rows + 5 * (cols % 2); size = cols * cs + rows + 1; }
    else { rs = 2 * cols + 1; cs = 2; size = rows * rs + 2 * cols + 1; }
  };
  int64_t rsa, csa, sa, rsb, csb, sb;
  strides(la, m, k, rsa, csa, sa);
  strides(lb, k, n, rsb, csb, sb);
  std::uniform_real_distribution<double> d(-1, 1);
  std::vector<T> A(sa + 1), B(sb + 1);
  for (auto& x : A) x = T(d(rng));
  for (auto& x : B) x = T(d(rng));
  const int64_t ldc = n + ldc_pad;
  const T sentinel = T(12345.0);
  std::vector<T> C(m * ldc + 16, sentinel);
  std::vector<double> R(m * n);
  ref(m, n, k, A.data(), rsa, csa, B.data(), rsb, csb, R.data());
  if constexpr (sizeof(T) == 4)
    sgemm(m, n, k, A.data(), rsa, csa, B.data(), rsb, csb, C.data(), ldc);
  else
    dgemm(m, n, k, A.data(), rsa, csa, B.data(), rsb, csb, C.data(), ldc);
  cases++;
  const double eps = sizeof(T) == 4 ? 1e-5 : 1e-13;
  for (int64_t i = 0; i < m; i++) {
    for (int64_t j = 0; j < ldc; j++) {
      const double got = C[i * ldc + j];
      bool bad;
      if (j < n) bad = !(std::fabs(got - R[i * n + j]) <= eps * (std::sqrt(double(k)) + 1) * 4);
      else bad = got != sentinel;
      if (bad) {
        if (failures < 20)
          std::printf("FAIL %s isa=%s threads=%d m=%ld n=%ld k=%ld la=%d lb=%d ldc=%ld at (%ld,%ld): got %g want %g\n",
                      sizeof(T) == 4 ? "sgemm" : "dgemm", isa_name(active_isa()), num_threads(), long(m), long(n),
                      long(k), la, lb, long(ldc), long(i), long(j), got, j < n ? R[i * n + j] : double(sentinel));
        failures++;
        return;
      }
    }
  }
  for (size_t t = m * ldc; t < C.size(); t++)
    if (C[t] != sentinel) {
      std::printf("FAIL: wrote past C end\n");
      failures++;
      return;
    }
}

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "quick";
  std::vector<Isa> isas = {Isa::Scalar};
  if (stub_best_isa() >= Isa::Avx2) isas.push_back(Isa::Avx2);
  if (stub_best_isa() >= Isa::Avx512) isas.push_back(Isa::Avx512);
  const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 13, 14, 15, 16, 17, 29, 31, 32, 33, 47, 63, 65, 97, 128, 129, 200, 257, 300};
  std::uniform_int_distribution<int> pick(0, int(sizeof(sizes) / sizeof(sizes[0])) - 1);
  for (Isa isa : isas) {
    stub_set_isa(isa);
    for (int nt : {1, 2}) {
      set_num_threads(nt);
      const long before = failures;
      // Structured: every layout pair on a set of shapes, including k = 0.
      for (int la = 0; la < 3; la++)
        for (int lb = 0; lb < 3; lb++) {
          for (int64_t s : {1L, 7L, 33L, 64L, 129L, 300L}) {
            check<float>(s, s, s, la, lb, 0);
            check<double>(s, s, s, la, lb, 3);
          }
          check<float>(37, 41, 0, la, lb, 2);
          check<double>(37, 41, 0, la, lb, 2);
          check<float>(300, 1, 300, la, lb, 0);
          check<float>(1, 300, 300, la, lb, 0);
          check<float>(40, 300, 200, la, lb, 0);  // column split across threads
          check<float>(700, 1, 900, la, lb, 2);   // matrix-vector paths
          check<double>(1, 700, 900, la, lb, 2);
          check<double>(700, 1, 13, la, lb, 2);
          check<float>(128, 160, 600, la, lb, 1);  // k spans several KC blocks
          check<double>(96, 72, 700, la, lb, 1);
        }
      // Random shapes.
      const int iters = quick ? 60 : 400;
      for (int it = 0; it < iters; it++) {
        const int64_t m = sizes[pick(rng)], n = sizes[pick(rng)], k = sizes[pick(rng)];
        const int la = it % 3, lb = (it / 3) % 3;
        check<float>(m, n, k, la, lb, it % 4);
        if (it % 2 == 0) check<double>(m, n, k, la, lb, it % 5);
      }
      {
        // Steady state: repeated calls allocate nothing (packing buffers are reused).
        std::vector<float> A(300 * 300, 1.f), B(300 * 300, 1.f), C(300 * 300);
        sgemm(300, 300, 300, A.data(), 300, 1, B.data(), 300, 1, C.data(), 300);
        const long before_news = g_news;
        for (int r = 0; r < 5; r++) sgemm(300, 300, 300, A.data(), 300, 1, B.data(), 300, 1, C.data(), 300);
        if (g_news != before_news) {
          std::printf("FAIL: %ld allocations in steady-state sgemm calls\n", g_news - before_news);
          failures++;
        }
      }
      std::printf("isa=%-6s threads=%d: %s\n", isa_name(isa), nt, failures == before ? "ok" : "FAILED");
    }
  }
  std::printf("%ld cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
