// The elementwise family's contiguous float32 loops built with AVX2/FMA/F16C flags
// (see elementwise_simd.inc). Called only when active_isa() is Avx2 or Avx512.
#include <cmath>
#include <cstdint>

#include "kernels.h"

namespace tensile {
namespace simd_avx2 {
#include "elementwise_simd.inc"
}  // namespace simd_avx2
}  // namespace tensile
