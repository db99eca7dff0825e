// The optimizer kernel family (optim.cc): fused in-place updates of SGD, Adam/AdamW, RMSprop
// and Adagrad that follow @tensile/optim's composite update op by op (same operations, same
// order, every constant rounded to the parameter's dtype as a scalar operand would be), so they
// give the composite's bits. The loops live in optim_simd.inc, compiled into the baseline
// library (float64, strided float32, scalar ISA) and into the AVX2 / AVX-512 libraries
// (contiguous float32), always without fused multiply-adds.
#pragma once
#include <cstdint>

#include "kernels.h"

namespace tensile {
namespace optim {

// Hyper-parameters of one fused step (see OptimHyperIndex in kernels.h), decoded.
struct Hyper {
  OptimKind kind = OptimKind::Sgd;
  bool maximize = false, has_wd = false, momentum_on = false, nesterov = false, amsgrad = false, centered = false;
  double wd = 0, momentum = 0, one_minus_dampening = 1, neg_lr = 0, decay = 1;
  double beta1 = 0, omb1 = 1, beta2 = 0, omb2 = 1, eps = 0, alpha = 0, oma = 1;
  // per parameter: Adam: -stepSize and sqrt(biasCorrection2); Adagrad: -clr
  double e0 = 0, e1 = 0;
};

// Operand pointers of one contiguous run (absent state: nullptr).
template <class T>
struct Ptrs {
  T* p;
  const T* g;
  T* s0;
  T* s1;
  T* s2;
};

}  // namespace optim

namespace optim_avx2 {
void run_f32(const optim::Hyper& h, const optim::Ptrs<float>& q, int64_t n);
}
namespace optim_avx512 {
void run_f32(const optim::Hyper& h, const optim::Ptrs<float>& q, int64_t n);
}

}  // namespace tensile
