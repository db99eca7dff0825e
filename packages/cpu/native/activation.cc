// Fused relu: forward y = x > 0 ? x : 0, and its gradient (PyTorch's threshold_backward)
// dx = y > 0 ? dy : 0 from the saved output. float32 and float64; strided inputs are made
// contiguous first. Bit-identical to core's composite where(x > 0, x, 0) / where(y > 0, dy, 0)
// (NaN gives 0, -0 gives +0).
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "fused.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {

namespace {

void check_float(const char* op, const View& v) {
  if (v.dtype != DType::F32 && v.dtype != DType::F64)
    throw KernelTypeError(std::string(op) + ": expected float32 or float64, got " + dtype_name(v.dtype));
}

constexpr int64_t kGrain = 32768;

// out[i] = c[i] > 0 ? v[i] : +0, on bit patterns: an all-ones/zero mask from the comparison ANDed
// with v's bits (the compiler vectorises this; a plain select became a branch on the data).
template <typename T>
void select_positive(const T* c, const T* v, T* out, int64_t n) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  parallel_for(n, kGrain, [c, v, out](int64_t b, int64_t e) {
    const T* __restrict cp = c;
    const T* __restrict vp = v;
    T* __restrict op = out;
    for (int64_t i = b; i < e; i++) {
      const U m = U(0) - U(cp[i] > T(0));
      U bits;
      std::memcpy(&bits, vp + i, sizeof(U));
      bits &= m;
      std::memcpy(op + i, &bits, sizeof(U));
    }
  });
}

template <typename T>
void relu_fwd(const T* x, T* y, int64_t n) {
  select_positive(x, x, y, n);
}

template <typename T>
void relu_bwd(const T* g, const T* y, T* out, int64_t n) {
  select_positive(y, g, out, n);
}

}  // namespace

void k_relu(const View& x, void* out) {
  check_float("relu", x);
  const int64_t n = x.numel();
  if (n == 0) return;
  std::unique_ptr<Scratch> tx;
  const View xc = contiguous_as(x, x.dtype, tx);
  if (x.dtype == DType::F32)
    relu_fwd(xc.ptr<float>(), static_cast<float*>(out), n);
  else
    relu_fwd(xc.ptr<double>(), static_cast<double*>(out), n);
}

void k_relu_backward(const View& grad, const View& y, void* out) {
  check_float("reluBackward", grad);
  if (y.dtype != grad.dtype) throw KernelTypeError("reluBackward: grad and output dtypes differ");
  if (y.ndim != grad.ndim) throw KernelRangeError("reluBackward: grad and output ranks differ");
  for (int d = 0; d < y.ndim; d++)
    if (y.shape[d] != grad.shape[d]) throw KernelRangeError("reluBackward: grad and output shapes differ");
  const int64_t n = grad.numel();
  if (n == 0) return;
  std::unique_ptr<Scratch> tg, ty;
  const View gc = contiguous_as(grad, grad.dtype, tg);
  const View yc = contiguous_as(y, y.dtype, ty);
  if (grad.dtype == DType::F32)
    relu_bwd(gc.ptr<float>(), yc.ptr<float>(), static_cast<float*>(out), n);
  else
    relu_bwd(gc.ptr<double>(), yc.ptr<double>(), static_cast<double*>(out), n);
}

}  // namespace tensile
