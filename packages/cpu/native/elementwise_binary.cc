// Elementwise family: binary ops (arithmetic, comparisons, logical) on two same-shape views
// (broadcast as stride 0). Integer ops wrap; integer division by zero throws RangeError.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "elementwise.h"

namespace tensile {

using namespace ew;

namespace {

// ---------------------------------------------------------------- binary

inline double js_pow(double a, double b) {
  // JS Math.pow differs from C pow where the result would be 1: pow(1, NaN), pow(+-1, +-inf) are NaN.
  if (std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(b) && std::fabs(a) == 1) return std::numeric_limits<double>::quiet_NaN();
  return std::pow(a, b);
}

template <class C>
inline C fmax_js(C a, C b) {
  if (a != a || b != b) return std::numeric_limits<C>::quiet_NaN();
  if (a > b) return a;
  if (b > a) return b;
  return std::signbit(a) ? b : a;  // max(-0, 0) = 0
}
template <class C>
inline C fmin_js(C a, C b) {
  if (a != a || b != b) return std::numeric_limits<C>::quiet_NaN();
  if (a < b) return a;
  if (b < a) return b;
  return std::signbit(a) ? a : b;  // min(-0, 0) = -0
}

template <BinaryOp OP, class C>
inline C binary_float(C a, C b) {
  if constexpr (OP == BinaryOp::Add) return a + b;
  else if constexpr (OP == BinaryOp::Sub) return a - b;
  else if constexpr (OP == BinaryOp::Mul) return a * b;
  else if constexpr (OP == BinaryOp::Div) return a / b;
  else if constexpr (OP == BinaryOp::Pow) return C(js_pow(double(a), double(b)));
  else if constexpr (OP == BinaryOp::Maximum) return fmax_js(a, b);
  else if constexpr (OP == BinaryOp::Minimum) return fmin_js(a, b);
  else if constexpr (OP == BinaryOp::Remainder) {
    const double x = a, y = b;
    double r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return C(r);
  } else if constexpr (OP == BinaryOp::FloorDivide) return C(std::floor(double(a) / double(b)));
  else if constexpr (OP == BinaryOp::Atan2) return C(std::atan2(double(a), double(b)));
  else if constexpr (OP == BinaryOp::Eq) return a == b;
  else if constexpr (OP == BinaryOp::Ne) return a != b;
  else if constexpr (OP == BinaryOp::Lt) return a < b;
  else if constexpr (OP == BinaryOp::Le) return a <= b;
  else if constexpr (OP == BinaryOp::Gt) return a > b;
  else if constexpr (OP == BinaryOp::Ge) return a >= b;
  else if constexpr (OP == BinaryOp::LogicalAnd) return a != 0 && b != 0;
  else if constexpr (OP == BinaryOp::LogicalOr) return a != 0 || b != 0;
  else return (a != 0) != (b != 0);  // LogicalXor
}

[[noreturn]] inline void zero_division(const char* op) {
  throw KernelRangeError(std::string(op) + ": ZeroDivisionError (integer division by zero)");
}

inline int64_t int_pow(int64_t a, int64_t b) {
  if (b < 0) return a == 1 ? 1 : a == -1 ? (b % 2 == 0 ? 1 : -1) : 0;
  int64_t r = 1;
  while (b > 0) {
    if (b & 1) r = wmul(r, a);
    a = wmul(a, a);
    b >>= 1;
  }
  return r;
}

constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

// Integer ops on int64 values; ops with a double result (atan2) return double.
template <BinaryOp OP>
inline auto binary_int(int64_t a, int64_t b) {
  if constexpr (OP == BinaryOp::Add) return wadd(a, b);
  else if constexpr (OP == BinaryOp::Sub) return wsub(a, b);
  else if constexpr (OP == BinaryOp::Mul) return wmul(a, b);
  else if constexpr (OP == BinaryOp::Div) {
    if (b == 0) zero_division("div");
    if (b == -1) return wneg(a);
    return int64_t(a / b);
  } else if constexpr (OP == BinaryOp::Pow) return int_pow(a, b);
  else if constexpr (OP == BinaryOp::Maximum) return a > b ? a : b;
  else if constexpr (OP == BinaryOp::Minimum) return a < b ? a : b;
  else if constexpr (OP == BinaryOp::Remainder) {
    if (b == 0) zero_division("remainder");
    if (b == -1) return int64_t(0);
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  } else if constexpr (OP == BinaryOp::FloorDivide) {
    if (b == 0) zero_division("floorDivide");
    if (b == -1) return wneg(a);
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
  } else if constexpr (OP == BinaryOp::Atan2) return std::atan2(double(a), double(b));
  else if constexpr (OP == BinaryOp::Eq) return int64_t(a == b);
  else if constexpr (OP == BinaryOp::Ne) return int64_t(a != b);
  else if constexpr (OP == BinaryOp::Lt) return int64_t(a < b);
  else if constexpr (OP == BinaryOp::Le) return int64_t(a <= b);
  else if constexpr (OP == BinaryOp::Gt) return int64_t(a > b);
  else if constexpr (OP == BinaryOp::Ge) return int64_t(a >= b);
  else if constexpr (OP == BinaryOp::LogicalAnd) return int64_t(a != 0 && b != 0);
  else if constexpr (OP == BinaryOp::LogicalOr) return int64_t(a != 0 || b != 0);
  else return int64_t((a != 0) != (b != 0));
}

template <BinaryOp OP>
constexpr bool binary_is_math() {
  return OP == BinaryOp::Pow || OP == BinaryOp::Atan2 || OP == BinaryOp::Remainder || OP == BinaryOp::FloorDivide;
}

template <DType D, BinaryOp OP>
void binary_kernel(const View& a, const View& b, void* outp) {
  using S = S_t<D>;
  constexpr bool kHot = kHotDtype<D>;
  constexpr bool kBoolOut = int(OP) >= int(BinaryOp::Eq);
  using O = std::conditional_t<kBoolOut, uint8_t, S>;
  auto f = [](S x, S y) -> O {
    const auto u = Tr<D>::load(x), v = Tr<D>::load(y);
    if constexpr (is_int_v<D>) {
      const auto r = binary_int<OP>(u, v);
      if constexpr (kBoolOut) return uint8_t(r);
      else return Tr<D>::store(r);
    } else {
      const auto r = binary_float<OP>(u, v);
      if constexpr (kBoolOut) return uint8_t(r != 0);
      else return Tr<D>::store(r);
    }
  };
  O* out = static_cast<O*>(outp);
  const S* pa = a.ptr<S>();
  const S* pb = b.ptr<S>();
  int64_t ostr[kMaxDims];
  contiguous_strides(a.ndim, a.shape, ostr);
  const int64_t* strides[3] = {ostr, a.strides, b.strides};
  StridedLoop<3> L(a.ndim, a.shape, strides);
  const int64_t grain = binary_is_math<OP>() ? kGrainMath : kGrainCheap;
  const Isa isa = active_isa();
  for_range(L.numel, grain, [&](int64_t s0, int64_t e0) {
    L.run(s0, e0, [&](const int64_t* off, int64_t n, const int64_t* st) {
      O* o = out + off[0];
      const S* x = pa + off[1];
      const S* y = pb + off[2];
      const int64_t sx = st[1], sy = st[2];
      if constexpr (D == DType::F32 && !kBoolOut) {
        if (simd_binary_f32(isa, OP, x, sx, y, sy, o, n)) return;
      }
      if constexpr (!kHot) {
        // float16/bfloat16/uint8/bool: one strided loop (keeps the build small)
        for (int64_t j = 0; j < n; j++) o[j] = f(x[j * sx], y[j * sy]);
      } else if (sx == 1 && sy == 1) {
        for (int64_t j = 0; j < n; j++) o[j] = f(x[j], y[j]);
      } else if (sx == 1 && sy == 0) {
        const S yv = y[0];
        for (int64_t j = 0; j < n; j++) o[j] = f(x[j], yv);
      } else if (sx == 0 && sy == 1) {
        const S xv = x[0];
        for (int64_t j = 0; j < n; j++) o[j] = f(xv, y[j]);
      } else {
        for (int64_t j = 0; j < n; j++) o[j] = f(x[j * sx], y[j * sy]);
      }
    });
  });
}

template <class F>
void dispatch_binary(BinaryOp op, F&& f) {
#define TENSILE_B(name) \
  case BinaryOp::name: f(std::integral_constant<BinaryOp, BinaryOp::name>{}); return;
  switch (op) {
    TENSILE_B(Add) TENSILE_B(Sub) TENSILE_B(Mul) TENSILE_B(Div) TENSILE_B(Pow) TENSILE_B(Maximum) TENSILE_B(Minimum)
    TENSILE_B(Remainder) TENSILE_B(FloorDivide) TENSILE_B(Atan2) TENSILE_B(Eq) TENSILE_B(Ne) TENSILE_B(Lt) TENSILE_B(Le)
    TENSILE_B(Gt) TENSILE_B(Ge) TENSILE_B(LogicalAnd) TENSILE_B(LogicalOr) TENSILE_B(LogicalXor)
    default: break;
  }
#undef TENSILE_B
  throw KernelTypeError("binary: unknown op code " + std::to_string(int(op)));
}

}  // namespace

void k_binary(BinaryOp op, const View& a, const View& b, void* out) {
  check_ndim(a, "binary");
  if (a.dtype != b.dtype)
    throw KernelTypeError(std::string("binary: operand dtypes differ (") + dtype_name(a.dtype) + ", " + dtype_name(b.dtype) + ")");
  if (a.ndim != b.ndim) throw KernelRangeError("binary: operand ranks differ");
  for (int d = 0; d < a.ndim; d++)
    if (a.shape[d] != b.shape[d]) throw KernelRangeError("binary: operand shapes differ");
  dispatch_dtype(a.dtype, [&](auto d) {
    dispatch_binary(op, [&](auto o) { binary_kernel<decltype(d)::value, decltype(o)::value>(a, b, out); });
  });
}

}  // namespace tensile
