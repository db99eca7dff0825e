// Batched strided matmul: a [...batch, m, k] x b [...batch, k, n] -> out [...batch, m, n]
// (contiguous). float32/float64 call sgemm/dgemm (gemm.h) with the views' own strides, so
// transposed and sliced operands need no copy; float16/bfloat16 are widened to float32, multiplied
// and rounded back; integer dtypes use a simple wrapping int64 loop, bool an any-of-ands.
// Small products with many batches are spread over the threads by batch (gemm then runs inline).
#include <algorithm>
#include <string>
#include <vector>

#include "dtype.h"
#include "gemm.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {

namespace {

struct Batch {
  int nb_dims = 0;
  int64_t shape[kMaxDims];
  int64_t astr[kMaxDims], bstr[kMaxDims];
  int64_t count = 1;
  void offsets(int64_t i, int64_t& ao, int64_t& bo) const {
    ao = 0;
    bo = 0;
    for (int d = nb_dims - 1; d >= 0; d--) {
      const int64_t c = i % shape[d];
      i /= shape[d];
      ao += c * astr[d];
      bo += c * bstr[d];
    }
  }
};

constexpr double kSmallBatchWork = 64.0 * 64.0 * 64.0;

template <class F>
void over_batches(const Batch& B, double work, F&& f) {
  if (B.count > 1 && work < kSmallBatchWork) {
    const int64_t grain = std::max<int64_t>(1, int64_t(kSmallBatchWork / std::max(work, 1.0)));
    parallel_for(B.count, grain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; i++) f(i);
    });
  } else {
    for (int64_t i = 0; i < B.count; i++) f(i);
  }
}

template <DType D>
void matmul_typed(const View& a, const View& b, void* outp, const Batch& B, int64_t m, int64_t k, int64_t n) {
  using S = S_t<D>;
  S* out = static_cast<S*>(outp);
  const S* pa = a.ptr<S>();
  const S* pb = b.ptr<S>();
  const int r = a.ndim;
  const int64_t am = a.strides[r - 2], ak = a.strides[r - 1], bk = b.strides[r - 2], bn = b.strides[r - 1];
  const double work = double(m) * double(n) * double(k);
  if constexpr (D == DType::F32 || D == DType::F64) {
    over_batches(B, work, [&](int64_t i) {
      int64_t ao, bo;
      B.offsets(i, ao, bo);
      S* c = out + i * m * n;
      if (k == 0) {
        std::fill(c, c + m * n, S(0));
        return;
      }
      if constexpr (D == DType::F32) sgemm(m, n, k, pa + ao, am, ak, pb + bo, bk, bn, c, n);
      else dgemm(m, n, k, pa + ao, am, ak, pb + bo, bk, bn, c, n);
    });
  } else if constexpr (D == DType::F16 || D == DType::BF16) {
    over_batches(B, work, [&](int64_t i) {
      int64_t ao, bo;
      B.offsets(i, ao, bo);
      std::vector<float> fa(size_t(m * k)), fb(size_t(k * n)), fc(size_t(m * n), 0.0f);
      for (int64_t x = 0; x < m; x++)
        for (int64_t p = 0; p < k; p++) fa[size_t(x * k + p)] = Tr<D>::load(pa[ao + x * am + p * ak]);
      for (int64_t p = 0; p < k; p++)
        for (int64_t y = 0; y < n; y++) fb[size_t(p * n + y)] = Tr<D>::load(pb[bo + p * bk + y * bn]);
      if (k > 0) sgemm(m, n, k, fa.data(), k, 1, fb.data(), n, 1, fc.data(), n);
      S* c = out + i * m * n;
      for (int64_t x = 0; x < m * n; x++) c[x] = Tr<D>::store(fc[size_t(x)]);
    });
  } else {
    // integer and bool: one output row per task
    const int64_t rows = B.count * m;
    const int64_t grain = std::max<int64_t>(1, int64_t(16384.0 / std::max(1.0, double(n) * double(k))));
    parallel_for(rows, grain, [&](int64_t s, int64_t e) {
      for (int64_t row = s; row < e; row++) {
        const int64_t i = row / m, x = row % m;
        int64_t ao, bo;
        B.offsets(i, ao, bo);
        S* c = out + row * n;
        const S* arow = pa + ao + x * am;
        for (int64_t y = 0; y < n; y++) {
          const S* bcol = pb + bo + y * bn;
          if constexpr (D == DType::Bool) {
            bool any = false;
            for (int64_t p = 0; p < k && !any; p++) any = arow[p * ak] && bcol[p * bk];
            c[y] = any;
          } else {
            int64_t acc = 0;
            for (int64_t p = 0; p < k; p++) acc = wadd(acc, wmul(Tr<D>::load(arow[p * ak]), Tr<D>::load(bcol[p * bk])));
            c[y] = Tr<D>::store(acc);
          }
        }
      }
    });
  }
}

}  // namespace

void k_matmul(const View& a, const View& b, void* out) {
  const int r = a.ndim;
  if (r < 2 || b.ndim != r || r > kMaxDims) throw KernelRangeError("matmul: operands must have the same rank >= 2");
  if (a.dtype != b.dtype)
    throw KernelTypeError(std::string("matmul: dtypes differ (") + dtype_name(a.dtype) + ", " + dtype_name(b.dtype) + ")");
  const int64_t m = a.shape[r - 2], k = a.shape[r - 1], n = b.shape[r - 1];
  if (b.shape[r - 2] != k)
    throw KernelRangeError("matmul: shapes cannot be multiplied (" + std::to_string(k) + " != " + std::to_string(b.shape[r - 2]) + ")");
  Batch B;
  B.nb_dims = r - 2;
  for (int d = 0; d < r - 2; d++) {
    if (a.shape[d] != b.shape[d]) throw KernelRangeError("matmul: batch shapes differ");
    B.shape[d] = a.shape[d];
    B.astr[d] = a.strides[d];
    B.bstr[d] = b.strides[d];
    B.count *= a.shape[d];
  }
  if (B.count == 0 || m == 0 || n == 0) return;
  dispatch_dtype(a.dtype, [&](auto d) { matmul_typed<decltype(d)::value>(a, b, out, B, m, k, n); });
}

}  // namespace tensile
