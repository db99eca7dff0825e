// Philox 4x32-10, bit-identical to core's random.ts (philox4x32, philoxUniform, philoxNormal).
#pragma once
#include <cmath>
#include <cstdint>

#include "fdlibm.h"

namespace tensile {

struct Philox4 {
  uint32_t w[4];
};

inline Philox4 philox4x32(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  for (int r = 0; r < 10; r++) {
    const uint64_t p0 = uint64_t(0xd2511f53u) * c0;
    const uint64_t p1 = uint64_t(0xcd9e8d57u) * c2;
    const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    const uint32_t n0 = hi1 ^ c1 ^ k0;
    const uint32_t n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9e3779b9u;
    k1 += 0xbb67ae85u;
  }
  return {{c0, c1, c2, c3}};
}

// Element `index` of the stream: counter (index low word, index high word, 0, 0).
inline Philox4 philox_at(uint32_t k0, uint32_t k1, uint64_t index) {
  return philox4x32(uint32_t(index), uint32_t(index >> 32), 0, 0, k0, k1);
}

// Uniform [0, 1): the top `bits` bits of the first word (core's uniformBits: 11 for float16,
// 8 for bfloat16, else 24).
inline double philox_uniform(uint32_t k0, uint32_t k1, uint64_t index, int bits) {
  const Philox4 r = philox_at(k0, k1, index);
  return double(r.w[0] >> (32 - bits)) / double(uint64_t(1) << bits);
}

// Standard normal: Box-Muller on the first two words, evaluated in the same order as the JS,
// with V8's log and cos (fdlibm.h), so float64 samples are bit-identical to the JS backend's
// (the addon is built with -ffp-contract=off so no multiply-add is fused).
inline double philox_normal(uint32_t k0, uint32_t k1, uint64_t index) {
  const Philox4 r = philox_at(k0, k1, index);
  const double u1 = (double(r.w[0] >> 8) + 1.0) / 16777217.0;
  const double u2 = double(r.w[1] >> 8) / 16777216.0;
  const double two_pi = 2.0 * 3.141592653589793;
  return std::sqrt(-2.0 * fdlibm::log(u1)) * fdlibm::cos(two_pi * u2);
}

}  // namespace tensile
