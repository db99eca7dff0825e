// GEMM throughput: GFLOP/s (2*m*n*k / time) for square row-major sgemm (and dgemm at 1024),
// per ISA and thread count. Prints the median and the best of repeated runs.
// Usage: bench_gemm [isa...] (scalar avx2 avx512; default: all supported) [--sizes 256,512,...]
//        [--threads 1,2] [--d] (also dgemm) [--layout nn|tn|nt]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include <dlfcn.h>

#include "../gemm.h"
#include "stub.h"

using namespace tensile;

// Optional peer in the same process: OpenBLAS through dlopen (--openblas). Run with
// OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (env -u ...), which otherwise slow it down.
using cblas_sgemm_t = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                               float*, int);
using cblas_dgemm_t = void (*)(int, int, int, int, int, int, double, const double*, int, const double*, int, double,
                               double*, int);
static cblas_sgemm_t ob_sgemm;
static cblas_dgemm_t ob_dgemm;
static void (*ob_set_threads)(int);
static bool use_openblas = false;
static bool use_cputime = false;  // --cputime: process CPU time / threads (robust to other load)
static int g_nt = 1;
static double now() {
  timespec t;
  clock_gettime(use_cputime ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return (t.tv_sec + t.tv_nsec * 1e-9) / (use_cputime ? g_nt : 1);
}
static bool load_openblas() {
  void* h = dlopen("libopenblas.so.0", RTLD_NOW);
  if (!h) return false;
  ob_sgemm = (cblas_sgemm_t)dlsym(h, "cblas_sgemm");
  ob_dgemm = (cblas_dgemm_t)dlsym(h, "cblas_dgemm");
  ob_set_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
  return ob_sgemm && ob_dgemm && ob_set_threads;
}

static std::vector<int> parse_list(const char* s) {
  std::vector<int> v;
  while (*s) {
    v.push_back(std::atoi(s));
    const char* c = std::strchr(s, ',');
    if (!c) break;
    s = c + 1;
  }
  return v;
}

template <typename T>
static void bench(int64_t s, const char* layout, double min_time, double& med, double& best, bool peer = false) {
  std::vector<T> A(s * s), B(s * s), C(s * s);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  for (auto& x : A) x = d(rng);
  for (auto& x : B) x = d(rng);
  const bool ta = layout[0] == 't', tb = layout[1] == 't';
  const int64_t rsa = ta ? 1 : s, csa = ta ? s : 1, rsb = tb ? 1 : s, csb = tb ? s : 1;
  auto run = [&] {
    if (peer) {
      // Row-major 101, NoTrans 111, Trans 112.
      const int tA = ta ? 112 : 111, tB = tb ? 112 : 111;
      if constexpr (sizeof(T) == 4)
        ob_sgemm(101, tA, tB, s, s, s, 1.f, A.data(), s, B.data(), s, 0.f, C.data(), s);
      else
        ob_dgemm(101, tA, tB, s, s, s, 1.0, A.data(), s, B.data(), s, 0.0, C.data(), s);
      return;
    }
    if constexpr (sizeof(T) == 4)
      sgemm(s, s, s, A.data(), rsa, csa, B.data(), rsb, csb, C.data(), s);
    else
      dgemm(s, s, s, A.data(), rsa, csa, B.data(), rsb, csb, C.data(), s);
  };
  run();
  std::vector<double> times;
  double total = 0;
  while (total < min_time || times.size() < 3) {
    const double t0 = now();
    run();
    const double t = now() - t0;
    times.push_back(t);
    total += t;
    if (times.size() >= 200) break;
  }
  std::sort(times.begin(), times.end());
  const double flops = 2.0 * s * s * s;
  med = flops / times[times.size() / 2] / 1e9;
  best = flops / times[0] / 1e9;
}

int main(int argc, char** argv) {
  std::vector<Isa> isas;
  std::vector<int> sizes = {256, 512, 1024, 2048}, threads = {1, 2};
  bool dbl = false;
  const char* layout = "nn";
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "scalar") isas.push_back(Isa::Scalar);
    else if (a == "avx2") isas.push_back(Isa::Avx2);
    else if (a == "avx512") isas.push_back(Isa::Avx512);
    else if (a == "--sizes" && i + 1 < argc) sizes = parse_list(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = parse_list(argv[++i]);
    else if (a == "--layout" && i + 1 < argc) layout = argv[++i];
    else if (a == "--d") dbl = true;
    else if (a == "--openblas") use_openblas = true;
    else if (a == "--cputime") use_cputime = true;
  }
  if (isas.empty()) {
    isas.push_back(Isa::Scalar);
    if (stub_best_isa() >= Isa::Avx2) isas.push_back(Isa::Avx2);
    if (stub_best_isa() >= Isa::Avx512) isas.push_back(Isa::Avx512);
  }
  if (use_openblas && !load_openblas()) {
    std::printf("openblas: missing (libopenblas.so.0 not loadable)\n");
    use_openblas = false;
  }
  if (use_openblas)
    std::printf("openblas: loaded; OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s\n",
                std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "(unset)",
                std::getenv("OPENBLAS_L2_SIZE") ? std::getenv("OPENBLAS_L2_SIZE") : "(unset)");
  std::printf("%-7s %-6s %-7s %5s %8s %8s\n", "dtype", "isa", "threads", "size", "median", "best");
  for (Isa isa : isas) {
    stub_set_isa(isa);
    for (int nt : threads) {
      set_num_threads(nt);
      g_nt = nt;
      for (int s : sizes) {
        double med, best;
        bench<float>(s, layout, isa == Isa::Scalar ? 0.5 : 1.0, med, best);
        std::printf("%-7s %-6s %-7d %5d %8.1f %8.1f  GFLOP/s (%s)\n", "f32", isa_name(isa), nt, s, med, best, layout);
        std::fflush(stdout);
        if (use_openblas) {
          ob_set_threads(nt);
          bench<float>(s, layout, 1.0, med, best, true);
          std::printf("%-7s %-6s %-7d %5d %8.1f %8.1f  GFLOP/s (%s)\n", "f32", "OB", nt, s, med, best, layout);
          std::fflush(stdout);
        }
        if (dbl) {
          bench<double>(s, layout, isa == Isa::Scalar ? 0.5 : 1.0, med, best);
          std::printf("%-7s %-6s %-7d %5d %8.1f %8.1f  GFLOP/s (%s)\n", "f64", isa_name(isa), nt, s, med, best, layout);
          std::fflush(stdout);
          if (use_openblas) {
            ob_set_threads(nt);
            bench<double>(s, layout, 1.0, med, best, true);
            std::printf("%-7s %-6s %-7d %5d %8.1f %8.1f  GFLOP/s (%s)\n", "f64", "OB", nt, s, med, best, layout);
            std::fflush(stdout);
          }
        }
      }
    }
  }
}
