// The elementwise family's contiguous float32 loops built with AVX-512 flags
// (see elementwise_simd.inc). Called only when active_isa() is Avx512.
#include <cmath>
#include <cstdint>

#include "kernels.h"

namespace tensile {
namespace simd_avx512 {
#include "elementwise_simd.inc"
}  // namespace simd_avx512
}  // namespace tensile
