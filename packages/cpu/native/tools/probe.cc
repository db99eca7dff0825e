// C entry points over the real GEMM + thread pool (threadpool.cc, isa.cc), built as a shared
// library by probe.sh for gemm_probe.py, which times Tensile, OpenBLAS (numpy) and PyTorch
// interleaved in one process. Tools only; not part of the addon.
#include <cstdint>

#include "../gemm.h"
#include "../threadpool.h"

extern "C" {
#define P __attribute__((visibility("default")))
P void probe_set_threads(int n) { tensile::set_num_threads(n); }
P int probe_threads() { return tensile::num_threads(); }
P void probe_sgemm(int64_t m, int64_t n, int64_t k, const float* A, const float* B, float* C) {
  tensile::sgemm(m, n, k, A, k, 1, B, n, 1, C, n);
}
}
