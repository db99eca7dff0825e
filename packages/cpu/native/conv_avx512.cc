// conv_simd.inc with 16-float vectors (AVX-512 flags; see binding.gyp / README).
#include <cstdint>
#define CONV_SIMD_NAME wgrad_f32_avx512
#define VLANES 16
#include "conv_simd.inc"
