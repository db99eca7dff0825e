// Fused override: crossEntropy of logits [N, C] against class indices [N] (int64 or int32), with
// ignoreIndex, label smoothing and a per-class weight, reduced by none / mean / sum with
// PyTorch 1.13's semantics (a weighted mean divides by the sum of weight[target] over the
// non-ignored targets). Each row's log-sum-exp comes from the per-ISA kernels for float32 and a
// generic loop for float64; per-row losses are kept in double and reduced in order.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "fused.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {

namespace {

template <class T>
double logsumexp_generic(const T* x, int64_t n) {
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
  double s = 0;
  for (int64_t j = 0; j < n; j++) s += std::exp(double(x[j]) - double(m));
  return double(m) + std::log(s);
}

int64_t target_at(const View& t, int64_t i) {
  const int64_t off = t.offset + (t.ndim ? i * t.strides[0] : 0);
  return t.dtype == DType::I64 ? static_cast<const int64_t*>(t.data)[off] : int64_t(static_cast<const int32_t*>(t.data)[off]);
}

}  // namespace

void k_cross_entropy(const View& x, const View& target, const View* weight, int64_t ignore_index, double smoothing,
                     CeReduction reduction, void* out) {
  if (x.ndim != 2) throw KernelRangeError("crossEntropy: expected input [N, C]");
  const int64_t N = x.shape[0], C = x.shape[1];
  if (target.ndim > 1 || target.numel() != N) throw KernelRangeError("crossEntropy: expected target [N]");
  if (target.dtype != DType::I64 && target.dtype != DType::I32)
    throw KernelTypeError(std::string("crossEntropy: expected an int64 or int32 target, got ") + dtype_name(target.dtype));
  if (weight && weight->numel() != C) throw KernelRangeError("crossEntropy: weight must have one element per class");
  for (int64_t i = 0; i < N; i++) {
    const int64_t t = target_at(target, i);
    if (t != ignore_index && (t < 0 || t >= C))
      throw KernelRangeError("crossEntropy: target " + std::to_string(t) + " is out of bounds: expected class indices in [0, " +
                             std::to_string(C - 1) + "] (or ignoreIndex " + std::to_string(ignore_index) + ")");
  }
  const DType ct = x.dtype == DType::F64 ? DType::F64 : DType::F32;
  if (x.dtype != DType::F32 && x.dtype != DType::F64 && x.dtype != DType::F16 && x.dtype != DType::BF16)
    throw KernelTypeError(std::string("crossEntropy: expected a floating point input, got ") + dtype_name(x.dtype));
  std::vector<double> w(size_t(C), 1.0);
  if (weight) {
    std::unique_ptr<Scratch> tw;
    const View wc = contiguous_as(*weight, DType::F64, tw);
    const double* wp = wc.ptr<double>();
    for (int64_t c = 0; c < C; c++) w[size_t(c)] = wp[c];
  }
  double wsum = 0;
  for (double v : w) wsum += v;
  std::vector<double> loss(static_cast<size_t>(N)), wt(static_cast<size_t>(N));
  std::unique_ptr<Scratch> tx;
  const View xc = contiguous_as(x, ct, tx);
  const double eps = smoothing;
  auto rows = [&](const auto* xp) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(xp)>>;
    parallel_for(N, std::max<int64_t>(1, (int64_t(1) << 14) / std::max<int64_t>(C, 1)), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i++) {
        const int64_t t = target_at(target, i);
        if (t == ignore_index) {
          loss[size_t(i)] = 0;
          wt[size_t(i)] = 0;
          continue;
        }
        const T* row = xp + i * C;
        double lse;
        if constexpr (std::is_same_v<T, float>) {
          double m;
          lse = fused_f32().logsumexp_row(row, C, &m);
        } else {
          lse = logsumexp_generic<T>(row, C);
        }
        const double wt_i = w[size_t(t)];
        double l = -wt_i * (double(row[t]) - lse);
        if (eps > 0) {
          double s = 0;
          for (int64_t c = 0; c < C; c++) s += w[size_t(c)] * double(row[c]);
          const double smooth = -(s - lse * wsum);
          l = (1 - eps) * l + (eps / double(C)) * smooth;
        }
        loss[size_t(i)] = l;
        wt[size_t(i)] = wt_i;
      }
    });
  };
  if (ct == DType::F32)
    rows(xc.ptr<float>());
  else
    rows(xc.ptr<double>());
  // results in double, stored in the input's dtype
  const int64_t nout = reduction == CeReduction::None ? N : 1;
  std::vector<double> res(static_cast<size_t>(nout));
  if (reduction == CeReduction::None) {
    res = loss;
  } else {
    double s = 0, ws = 0;
    for (int64_t i = 0; i < N; i++) s += loss[size_t(i)], ws += wt[size_t(i)];
    res[0] = reduction == CeReduction::Sum ? s : s / ws;
  }
  View rv;
  rv.data = res.data();
  rv.dtype = DType::F64;
  rv.ndim = 1;
  rv.shape[0] = nout;
  rv.strides[0] = 1;
  if (nout == 0) return;
  if (x.dtype == DType::F64)
    std::copy(res.begin(), res.end(), static_cast<double*>(out));
  else
    k_cast(rv, out, x.dtype);
}

}  // namespace tensile
