// Per-dtype storage and compute types, conversions with the JS reference backend's semantics
// (packages/core/src/backends/js.ts), and dtype dispatch.
//
// Storage: float32, float64, int32, int64 (native), uint8, bool (one byte, 0/1); float16 and
// bfloat16 as 16-bit patterns computed in float32 and rounded to nearest-even on store (the same
// results as core's roundFloat16/roundBFloat16 applied to a float32, subnormals included).
// Compute: float for float32/float16/bfloat16, double for float64, int64 for the integer types
// (wrapping on store, as a JS typed-array store or a C cast does), double for bool (the JS
// backend's semantics: ops on bools compute on 0/1 numbers).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "common.h"

namespace tensile {

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// float32 -> IEEE float16, round to nearest even, integer-only (no FMA contraction can change it).
inline uint16_t f32_to_f16(float f) {
  const uint32_t x = f32_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return uint16_t(sign | (ax > 0x7f800000u ? 0x7e00u : 0x7c00u));  // nan / inf
  if (ax >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // >= 65520 rounds to inf
  if (ax < 0x38800000u) {                                   // below 2^-14: subnormal half or zero
    if (ax <= 0x33000000u) return uint16_t(sign);            // <= 2^-25: ties to even give 0
    const uint32_t e = ax >> 23;                             // 102..112
    const uint32_t m = (ax & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126u - e;                         // value / 2^-24 = m >> shift
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return uint16_t(sign | q);
  }
  const uint32_t r = ax + 0xfffu + ((ax >> 13) & 1u);
  return uint16_t(sign | ((r - 0x38000000u) >> 13));
}

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) {
    const float v = float(m) * 0x1p-24f;  // exact
    return f32_from_bits(f32_bits(v) | sign);
  }
  if (e == 31) return f32_from_bits(sign | 0x7f800000u | (m << 13));
  return f32_from_bits(sign | ((e + 112u) << 23) | (m << 13));
}

// float32 -> bfloat16, round to nearest even (as core's roundBFloat16); NaN stays a quiet NaN.
inline uint16_t f32_to_bf16(float f) {
  const uint32_t x = f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40u);
  if ((x & 0x7f800000u) == 0x7f800000u) return uint16_t(x >> 16);
  return uint16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}
inline float bf16_to_f32(uint16_t h) { return f32_from_bits(uint32_t(h) << 16); }

// ---- JS typed-array store semantics for doubles (ToInt32 / ToUint8: truncate, wrap; NaN/inf -> 0) ----

// t mod 2^64 for a finite double t truncated toward zero (exact, also beyond 2^53); 0 for NaN/inf.
inline uint64_t js_wrap(double v) {
  if (!std::isfinite(v)) return 0;
  const double t = std::trunc(v);
  if (t > -9007199254740992.0 && t < 9007199254740992.0) return uint64_t(int64_t(t));
  int e;
  const double fr = std::frexp(std::fabs(t), &e);  // |t| = fr * 2^e, fr in [0.5, 1), e >= 54
  const uint64_t m = uint64_t(std::ldexp(fr, 53));  // 53-bit integer
  const int shift = e - 53;
  const uint64_t mag = shift >= 64 ? 0 : m << shift;
  return t < 0 ? 0 - mag : mag;
}
inline int32_t js_to_int32(double v) { return int32_t(uint32_t(js_wrap(v))); }
inline uint8_t js_to_uint8(double v) { return uint8_t(js_wrap(v)); }
// int64 from a double: truncate; NaN/inf -> 0; out of range wraps modulo 2^64.
inline int64_t js_to_int64(double v) { return int64_t(js_wrap(v)); }

// Wrapping integer arithmetic (no signed-overflow UB).
inline int64_t wadd(int64_t a, int64_t b) { return int64_t(uint64_t(a) + uint64_t(b)); }
inline int64_t wsub(int64_t a, int64_t b) { return int64_t(uint64_t(a) - uint64_t(b)); }
inline int64_t wmul(int64_t a, int64_t b) { return int64_t(uint64_t(a) * uint64_t(b)); }
inline int64_t wneg(int64_t a) { return int64_t(0 - uint64_t(a)); }

// ---- traits ----

template <DType D> struct Tr;

template <> struct Tr<DType::F32> {
  using S = float;
  using C = float;
  static C load(S v) { return v; }
  static S store(float v) { return v; }
  static S store(double v) { return float(v); }
  static S store(int64_t v) { return float(v); }
};
template <> struct Tr<DType::F64> {
  using S = double;
  using C = double;
  static C load(S v) { return v; }
  static S store(float v) { return v; }
  static S store(double v) { return v; }
  static S store(int64_t v) { return double(v); }
};
template <> struct Tr<DType::F16> {
  using S = uint16_t;
  using C = float;
  static C load(S v) { return f16_to_f32(v); }
  static S store(float v) { return f32_to_f16(v); }
  static S store(double v) { return f32_to_f16(float(v)); }  // via float32, as the JS backend
  static S store(int64_t v) { return f32_to_f16(float(v)); }
};
template <> struct Tr<DType::BF16> {
  using S = uint16_t;
  using C = float;
  static C load(S v) { return bf16_to_f32(v); }
  static S store(float v) { return f32_to_bf16(v); }
  static S store(double v) { return f32_to_bf16(float(v)); }
  static S store(int64_t v) { return f32_to_bf16(float(v)); }
};
template <> struct Tr<DType::I32> {
  using S = int32_t;
  using C = int64_t;
  static C load(S v) { return v; }
  static S store(float v) { return js_to_int32(v); }
  static S store(double v) { return js_to_int32(v); }
  static S store(int64_t v) { return int32_t(uint32_t(uint64_t(v))); }
};
template <> struct Tr<DType::I64> {
  using S = int64_t;
  using C = int64_t;
  static C load(S v) { return v; }
  static S store(float v) { return js_to_int64(v); }
  static S store(double v) { return js_to_int64(v); }
  static S store(int64_t v) { return v; }
};
template <> struct Tr<DType::U8> {
  using S = uint8_t;
  using C = int64_t;
  static C load(S v) { return v; }
  static S store(float v) { return js_to_uint8(v); }
  static S store(double v) { return js_to_uint8(v); }
  static S store(int64_t v) { return uint8_t(uint64_t(v)); }
};
// bool: an op's result is stored as (JS Uint8Array store) != 0, i.e. 0/1.
template <> struct Tr<DType::Bool> {
  using S = uint8_t;
  using C = double;
  static C load(S v) { return v ? 1.0 : 0.0; }
  static S store(float v) { return js_to_uint8(v) != 0; }
  static S store(double v) { return js_to_uint8(v) != 0; }
  static S store(int64_t v) { return uint8_t(uint64_t(v)) != 0; }
};

template <DType D> using S_t = typename Tr<D>::S;
template <DType D> using C_t = typename Tr<D>::C;
template <DType D> constexpr bool is_float_v = D == DType::F32 || D == DType::F64 || D == DType::F16 || D == DType::BF16;
template <DType D> constexpr bool is_int_v = D == DType::I32 || D == DType::I64 || D == DType::U8;

template <DType D> using DT = std::integral_constant<DType, D>;

// Calls f(DT<D>{}) for the runtime dtype d.
template <class F> inline void dispatch_dtype(DType d, F&& f) {
  switch (d) {
    case DType::F32: f(DT<DType::F32>{}); return;
    case DType::F64: f(DT<DType::F64>{}); return;
    case DType::F16: f(DT<DType::F16>{}); return;
    case DType::BF16: f(DT<DType::BF16>{}); return;
    case DType::I32: f(DT<DType::I32>{}); return;
    case DType::I64: f(DT<DType::I64>{}); return;
    case DType::U8: f(DT<DType::U8>{}); return;
    case DType::Bool: f(DT<DType::Bool>{}); return;
  }
  throw KernelTypeError("unknown dtype code " + std::to_string(int(d)));
}

// Raw element types by size, for kernels that only move bits (copy, where, gather).
template <size_t N> struct RawT;
template <> struct RawT<1> { using T = uint8_t; };
template <> struct RawT<2> { using T = uint16_t; };
template <> struct RawT<4> { using T = uint32_t; };
template <> struct RawT<8> { using T = uint64_t; };

template <class F> inline void dispatch_size(size_t n, F&& f) {
  switch (n) {
    case 1: f(std::integral_constant<size_t, 1>{}); return;
    case 2: f(std::integral_constant<size_t, 2>{}); return;
    case 4: f(std::integral_constant<size_t, 4>{}); return;
    case 8: f(std::integral_constant<size_t, 8>{}); return;
  }
  throw KernelTypeError("bad item size");
}

// Reads an index element (int64, or int32) at a view's element offset.
inline int64_t load_index(const View& v, int64_t off) {
  if (v.dtype == DType::I64) return static_cast<const int64_t*>(v.data)[off];
  if (v.dtype == DType::I32) return static_cast<const int32_t*>(v.data)[off];
  throw KernelTypeError(std::string("index must be int64, got ") + dtype_name(v.dtype));
}

}  // namespace tensile
