// Elementwise family: unary ops. float32 (and float16/bfloat16) transcendentals are evaluated in
// double and rounded once, as the JS backend does; exact ops (neg, abs, floor, sqrt, ...) stay in
// the compute type so their contiguous loops vectorise.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "elementwise.h"

namespace tensile {

using namespace ew;

namespace {

// ---------------------------------------------------------------- unary

template <UnaryOp OP>
constexpr bool unary_is_math() {
  return OP == UnaryOp::Exp || OP == UnaryOp::Log || OP == UnaryOp::Rsqrt || OP == UnaryOp::Sin ||
         OP == UnaryOp::Cos || OP == UnaryOp::Tan || OP == UnaryOp::Tanh || OP == UnaryOp::Sigmoid ||
         OP == UnaryOp::Erf || OP == UnaryOp::Log1p || OP == UnaryOp::Expm1 || OP == UnaryOp::Asin ||
         OP == UnaryOp::Acos || OP == UnaryOp::Atan;
}

// Ops evaluated in double (the JS backend's precision), for any input category.
template <UnaryOp OP>
inline double unary_math(double x) {
  if constexpr (OP == UnaryOp::Exp) return std::exp(x);
  else if constexpr (OP == UnaryOp::Log) return std::log(x);
  else if constexpr (OP == UnaryOp::Sqrt) return std::sqrt(x);
  else if constexpr (OP == UnaryOp::Rsqrt) return 1.0 / std::sqrt(x);
  else if constexpr (OP == UnaryOp::Sin) return std::sin(x);
  else if constexpr (OP == UnaryOp::Cos) return std::cos(x);
  else if constexpr (OP == UnaryOp::Tan) return std::tan(x);
  else if constexpr (OP == UnaryOp::Tanh) return std::tanh(x);
  else if constexpr (OP == UnaryOp::Sigmoid) return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
  else if constexpr (OP == UnaryOp::Erf) return std::erf(x);
  else if constexpr (OP == UnaryOp::Reciprocal) return 1.0 / x;
  else if constexpr (OP == UnaryOp::Log1p) return std::log1p(x);
  else if constexpr (OP == UnaryOp::Expm1) return std::expm1(x);
  else if constexpr (OP == UnaryOp::Asin) return std::asin(x);
  else if constexpr (OP == UnaryOp::Acos) return std::acos(x);
  else if constexpr (OP == UnaryOp::Atan) return std::atan(x);
  else if constexpr (OP == UnaryOp::Floor) return std::floor(x);
  else if constexpr (OP == UnaryOp::Ceil) return std::ceil(x);
  else if constexpr (OP == UnaryOp::Round) return std::nearbyint(x);  // half to even
  else if constexpr (OP == UnaryOp::Trunc) return std::trunc(x);
  else if constexpr (OP == UnaryOp::Neg) return -x;
  else if constexpr (OP == UnaryOp::Abs) return std::fabs(x);
  else if constexpr (OP == UnaryOp::Sign) return x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x;
  else return x;
}

// Floating compute type C (float or double); bool-output ops return 0/1.
template <UnaryOp OP, class C>
inline C unary_float(C x) {
  if constexpr (OP == UnaryOp::Neg) return -x;
  else if constexpr (OP == UnaryOp::Sqrt) return std::sqrt(x);  // correctly rounded in either type
  else if constexpr (OP == UnaryOp::Abs) return std::fabs(x);
  else if constexpr (OP == UnaryOp::Sign) return x > 0 ? C(1) : x < 0 ? C(-1) : x == 0 ? C(0) : x;
  else if constexpr (OP == UnaryOp::Floor) return std::floor(x);
  else if constexpr (OP == UnaryOp::Ceil) return std::ceil(x);
  else if constexpr (OP == UnaryOp::Round) return std::nearbyint(x);
  else if constexpr (OP == UnaryOp::Trunc) return std::trunc(x);
  else if constexpr (OP == UnaryOp::Reciprocal) return C(1) / x;
  else if constexpr (OP == UnaryOp::LogicalNot) return x == 0 ? C(1) : C(0);
  else if constexpr (OP == UnaryOp::IsNan) return x != x ? C(1) : C(0);
  else return C(unary_math<OP>(double(x)));
}

template <UnaryOp OP>
inline int64_t unary_int_exact(int64_t x) {
  if constexpr (OP == UnaryOp::Neg) return wneg(x);
  else if constexpr (OP == UnaryOp::Abs) return x < 0 ? wneg(x) : x;
  else if constexpr (OP == UnaryOp::Sign) return (x > 0) - (x < 0);
  else if constexpr (OP == UnaryOp::LogicalNot) return x == 0;
  else if constexpr (OP == UnaryOp::IsNan) return 0;
  else return x;  // floor, ceil, round, trunc
}

template <UnaryOp OP>
constexpr bool unary_int_is_exact() {
  return OP == UnaryOp::Neg || OP == UnaryOp::Abs || OP == UnaryOp::Sign || OP == UnaryOp::LogicalNot ||
         OP == UnaryOp::IsNan || OP == UnaryOp::Floor || OP == UnaryOp::Ceil || OP == UnaryOp::Round ||
         OP == UnaryOp::Trunc;
}

template <DType D, UnaryOp OP>
void unary_kernel(const View& x, void* outp) {
  using S = S_t<D>;
  constexpr bool kBoolOut = OP == UnaryOp::LogicalNot || OP == UnaryOp::IsNan;
  using O = std::conditional_t<kBoolOut, uint8_t, S>;
  auto f = [](S v) -> O {
    const auto c = Tr<D>::load(v);
    if constexpr (kBoolOut) {
      if constexpr (is_int_v<D>) return uint8_t(unary_int_exact<OP>(c));
      else return unary_float<OP>(c) != 0;
    } else if constexpr (is_int_v<D>) {
      if constexpr (unary_int_is_exact<OP>()) return Tr<D>::store(unary_int_exact<OP>(c));
      else return Tr<D>::store(unary_math<OP>(double(c)));
    } else {
      return Tr<D>::store(unary_float<OP>(c));
    }
  };
  O* out = static_cast<O*>(outp);
  const S* in = x.ptr<S>();
  int64_t ostr[kMaxDims];
  contiguous_strides(x.ndim, x.shape, ostr);
  const int64_t* strides[2] = {ostr, x.strides};
  StridedLoop<2> L(x.ndim, x.shape, strides);
  const int64_t grain = unary_is_math<OP>() ? kGrainMath : kGrainCheap;
  const Isa isa = active_isa();
  for_range(L.numel, grain, [&](int64_t b, int64_t e) {
    L.run(b, e, [&](const int64_t* off, int64_t n, const int64_t* st) {
      O* o = out + off[0];
      const S* p = in + off[1];
      const int64_t s = st[1];
      if constexpr (D == DType::F32 && !kBoolOut) {
        if (s == 1 && simd_unary_f32(isa, OP, p, o, n)) return;
      }
      if (kHotDtype<D> && s == 1)
        for (int64_t j = 0; j < n; j++) o[j] = f(p[j]);
      else
        for (int64_t j = 0; j < n; j++) o[j] = f(p[j * s]);
    });
  });
}

template <class F>
void dispatch_unary(UnaryOp op, F&& f) {
#define TENSILE_U(name) \
  case UnaryOp::name: f(std::integral_constant<UnaryOp, UnaryOp::name>{}); return;
  switch (op) {
    TENSILE_U(Neg) TENSILE_U(Exp) TENSILE_U(Log) TENSILE_U(Sqrt) TENSILE_U(Rsqrt) TENSILE_U(Abs) TENSILE_U(Sign)
    TENSILE_U(Sin) TENSILE_U(Cos) TENSILE_U(Tan) TENSILE_U(Tanh) TENSILE_U(Sigmoid) TENSILE_U(Erf) TENSILE_U(Floor)
    TENSILE_U(Ceil) TENSILE_U(Round) TENSILE_U(Trunc) TENSILE_U(Reciprocal) TENSILE_U(Log1p) TENSILE_U(Expm1)
    TENSILE_U(LogicalNot) TENSILE_U(IsNan) TENSILE_U(Asin) TENSILE_U(Acos) TENSILE_U(Atan)
    default: break;
  }
#undef TENSILE_U
  throw KernelTypeError("unary: unknown op code " + std::to_string(int(op)));
}

}  // namespace

void k_unary(UnaryOp op, const View& x, void* out) {
  check_ndim(x, "unary");
  dispatch_dtype(x.dtype, [&](auto d) {
    dispatch_unary(op, [&](auto o) { unary_kernel<decltype(d)::value, decltype(o)::value>(x, out); });
  });
}

}  // namespace tensile
