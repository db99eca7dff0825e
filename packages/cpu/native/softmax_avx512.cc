// The fused overrides' float32 row kernels built with AVX512 flags (see fused_simd.inc).
// Called only when active_isa() allows it.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "fused.h"

namespace tensile {
namespace fused_avx512 {
#include "fused_simd.inc"
}  // namespace fused_avx512
}  // namespace tensile
