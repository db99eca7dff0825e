// Micro-kernel ceiling: runs the AVX-512 sgemm micro-kernel over L2-resident packed panels
// (MC x KC of A, KC x NR... of B), no packing, to separate kernel speed from driver overheads.
// Build: g++ -std=c++17 -O3 -pthread <avx512 flags> kbench.cc stub.cc ../gemm_scalar.cc -o build/kbench
#include "../gemm_avx512.cc"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

static double cpu() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main() {
  using K = tensile::gemm_detail::avx512::SKernel;
  const int64_t kc = K::KC, mc = K::MC, nc = 1024;
  std::vector<float> a(mc * kc, 0.5f), b(kc * nc, 0.25f), c(mc * nc);
  for (int rep = 0; rep < 4; rep++) {
    const int iters = 20;
    double t0 = cpu();
    for (int it = 0; it < iters; it++)
      for (int64_t jr = 0; jr < nc; jr += K::NR)
        for (int64_t ir = 0; ir < mc; ir += K::MR)
          K::run(kc, a.data() + ir * kc, b.data() + jr * kc, c.data() + ir * nc + jr, nc, K::MR, K::NR, it > 0);
    double t = cpu() - t0;
    std::printf("kernel %dx%d kc=%ld: %.1f GFLOP/s (cpu time)\n", K::MR, K::NR, long(kc), 2.0 * iters * mc * nc * kc / t / 1e9);
  }
}
