// The core's fp32 FMA peak: 12 independent chains of 512-bit FMAs on registers (no memory), the
// ceiling any GEMM can approach on this core. Tools only; not part of the addon.
// Build: g++ -O2 -mavx512f peak.cc -o build/peak
#include <immintrin.h>

#include <cstdio>
#include <ctime>

static double cpu() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main() {
  for (int rep = 0; rep < 5; rep++) {
    __m512 acc[12];
    const __m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps(float(i));
    const long iters = 100000000;
    const double t0 = cpu();
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
      for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
    }
    const double t = cpu() - t0;
    float sum = 0;  // keep the chains alive
    for (int i = 0; i < 12; i++) sum += _mm512_reduce_add_ps(acc[i]);
    std::printf("fp32 FMA peak %.1f GFLOP/s (thread CPU time; checksum %g)\n", iters * 12.0 * 32 / t / 1e9, sum);
  }
}
