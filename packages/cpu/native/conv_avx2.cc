// conv_simd.inc with 8-float vectors (AVX2 + FMA flags; see binding.gyp / README).
#include <cstdint>
#define CONV_SIMD_NAME wgrad_f32_avx2
#define VLANES 8
#include "conv_simd.inc"
