// The optimizer family's contiguous float32 loops built with AVX-512 flags (see optim_simd.inc);
// called only when active_isa() allows it. No fused multiply-adds: the composite update rounds
// every product, and so must these loops.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "optim.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace tensile {
namespace optim_avx512 {
#include "optim_simd.inc"

void run_f32(const optim::Hyper& h, const optim::Ptrs<float>& q, int64_t n) { run<float, true>(h, q, nullptr, n); }
}  // namespace optim_avx512
}  // namespace tensile
