// The fused overrides' float32 row kernels built with AVX2 flags (see fused_simd.inc).
// Called only when active_isa() allows it.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "fused.h"

namespace tensile {
namespace fused_avx2 {
#include "fused_simd.inc"
}  // namespace fused_avx2
}  // namespace tensile
