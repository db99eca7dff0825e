// Optimizer family: fused in-place updates of SGD, Adam/AdamW, RMSprop and Adagrad over a whole
// parameter group (see optim.h and optim_simd.inc). Each parameter's views (param, grad, state)
// share one shape; float32 and float64. When every view of a parameter is contiguous the update is
// one flat loop (float32: the active ISA's library); otherwise it walks the strided iterator.
// Large parameters are split over the thread pool.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "iter.h"
#include "kernels.h"
#include "optim.h"
#include "threadpool.h"

namespace tensile {
namespace optim_base {
#include "optim_simd.inc"
}  // namespace optim_base

namespace {

constexpr int64_t kGrain = int64_t(1) << 14;  // elements per chunk

optim::Hyper decode(OptimKind kind, const double* x) {
  optim::Hyper h;
  h.kind = kind;
  h.maximize = x[kOhMaximize] != 0;
  h.wd = x[kOhWeightDecay];
  h.has_wd = h.wd != 0;
  h.momentum = x[kOhMomentum];
  h.momentum_on = x[kOhMomentumOn] != 0;
  h.one_minus_dampening = x[kOhOneMinusDampening];
  h.nesterov = x[kOhNesterov] != 0;
  h.neg_lr = x[kOhNegLr];
  h.decay = x[kOhDecay];
  h.beta1 = x[kOhBeta1];
  h.omb1 = x[kOhOneMinusBeta1];
  h.beta2 = x[kOhBeta2];
  h.omb2 = x[kOhOneMinusBeta2];
  h.eps = x[kOhEps];
  h.amsgrad = x[kOhAmsgrad] != 0;
  h.alpha = x[kOhAlpha];
  h.oma = x[kOhOneMinusAlpha];
  h.centered = x[kOhCentered] != 0;
  return h;
}

// Views an entry carries for these hyper-parameters: param, grad, then the state slots s0..s2.
int views_needed(const optim::Hyper& h) {
  switch (h.kind) {
    case OptimKind::Sgd: return h.momentum_on ? 3 : 2;
    case OptimKind::Adam:
    case OptimKind::AdamW: return h.amsgrad ? 5 : 4;
    case OptimKind::Rmsprop: return 5;  // s1 (momentum buffer) and s2 (grad average) may be empty views
    case OptimKind::Adagrad: return 3;
    default: throw KernelError("fused optimizer: unknown kind " + std::to_string(int(h.kind)));
  }
}

// Which of the nviews views the update reads and writes.
bool slot_used(const optim::Hyper& h, int k) {
  if (h.kind == OptimKind::Rmsprop) return k < 3 || (k == 3 && h.momentum_on) || (k == 4 && h.centered);
  return true;
}

template <class T>
void update_entry(const optim::Hyper& h, const OptimEntry& e, int nviews, bool used[5]) {
  const View& pv = e.v[0];
  const int64_t n = pv.numel();
  if (n == 0) return;
  bool contig = true;
  for (int k = 0; k < nviews; k++)
    if (used[k] && !e.v[k].contiguous()) contig = false;
  auto base = [&](int k) -> T* { return used[k] ? e.v[k].ptr<T>() : nullptr; };
  const optim::Ptrs<T> q0{base(0), base(1), nviews > 2 ? base(2) : nullptr, nviews > 3 ? base(3) : nullptr, nviews > 4 ? base(4) : nullptr};
  if (contig) {
    const Isa isa = active_isa();
    parallel_for(n, kGrain, [&](int64_t b, int64_t end) {
      auto at = [&](auto* ptr) { return ptr ? ptr + b : ptr; };
      const optim::Ptrs<T> q{at(q0.p), at(q0.g), at(q0.s0), at(q0.s1), at(q0.s2)};
      if constexpr (std::is_same_v<T, float>) {
        if (isa == Isa::Avx512) return optim_avx512::run_f32(h, q, end - b);
        if (isa == Isa::Avx2) return optim_avx2::run_f32(h, q, end - b);
      }
      optim_base::run<T, true>(h, q, nullptr, end - b);
    });
    return;
  }
  const int64_t zero[kMaxDims] = {};
  const int64_t* strides[5];
  for (int k = 0; k < 5; k++) strides[k] = (k < nviews && used[k]) ? e.v[k].strides : zero;
  const StridedLoop<5> L(pv.ndim, pv.shape, strides);
  parallel_for(n, kGrain, [&](int64_t b, int64_t end) {
    L.run(b, end, [&](const int64_t* off, int64_t count, const int64_t* inner) {
      auto at = [&](auto* ptr, int k) { return ptr ? ptr + off[k] : ptr; };
      const optim::Ptrs<T> q{at(q0.p, 0), at(q0.g, 1), at(q0.s0, 2), at(q0.s1, 3), at(q0.s2, 4)};
      optim_base::run<T, false>(h, q, inner, count);
    });
  });
}

}  // namespace

void k_fused_optim(OptimKind kind, const double* hyper, int nviews, const OptimEntry* entries, int nentries) {
  optim::Hyper h = decode(kind, hyper);
  const int need = views_needed(h);
  if (nviews != need)
    throw KernelRangeError("fused optimizer: expected " + std::to_string(need) + " views per parameter, got " + std::to_string(nviews));
  bool used[5];
  for (int k = 0; k < 5; k++) used[k] = k < nviews && slot_used(h, k);
  // Check every parameter before writing any, so a bad call leaves everything as it was.
  for (int i = 0; i < nentries; i++) {
    const OptimEntry& e = entries[i];
    const View& p = e.v[0];
    if (p.dtype != DType::F32 && p.dtype != DType::F64)
      throw KernelTypeError(std::string("fused optimizer: parameters must be float32 or float64, got ") + dtype_name(p.dtype));
    for (int k = 1; k < nviews; k++) {
      if (!used[k]) continue;
      const View& v = e.v[k];
      if (v.dtype != p.dtype) throw KernelTypeError("fused optimizer: gradient and state must have the parameter's dtype");
      if (v.ndim != p.ndim) throw KernelRangeError("fused optimizer: gradient and state must have the parameter's shape");
      for (int d = 0; d < p.ndim; d++)
        if (v.shape[d] != p.shape[d]) throw KernelRangeError("fused optimizer: gradient and state must have the parameter's shape");
    }
  }
  for (int i = 0; i < nentries; i++) {
    const OptimEntry& e = entries[i];
    h.e0 = e.s[0];
    h.e1 = e.s[1];
    if (e.v[0].dtype == DType::F32) update_entry<float>(h, e, nviews, used);
    else update_entry<double>(h, e, nviews, used);
  }
}

}  // namespace tensile
