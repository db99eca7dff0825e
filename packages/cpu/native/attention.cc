// Fused override: scaled-dot-product attention forward (inference), float32/float64.
// q [..., L, E], k [..., S, E], v [..., S, Ev] and the optional mask [..., L, S] (bool: true =
// may attend; or q's dtype, added) are strided views with equal batch shapes. Per batch-head
// (over the thread pool): scores = q k^T via sgemm/dgemm into a thread-local buffer, scaled and
// masked, row softmax (a fully masked row gives zero weights, as core's composite), then
// out = weights v via gemm into the contiguous output [..., L, Ev].
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gemm.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {

namespace {

inline void gemm(int64_t m, int64_t n, int64_t k, const float* A, int64_t rsa, int64_t csa, const float* B, int64_t rsb,
                 int64_t csb, float* C, int64_t ldc) {
  sgemm(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}
inline void gemm(int64_t m, int64_t n, int64_t k, const double* A, int64_t rsa, int64_t csa, const double* B,
                 int64_t rsb, int64_t csb, double* C, int64_t ldc) {
  dgemm(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}

// Element offset of batch index b (row-major over the nb leading dims of shape) in view x.
inline int64_t batch_offset(const View& x, const int64_t* shape, int nb, int64_t b) {
  int64_t off = 0;
  for (int d = nb - 1; d >= 0; d--) {
    const int64_t n = shape[d];
    off += (b % n) * x.strides[d];
    b /= n;
  }
  return off;
}

template <typename T>
void sdpa(const View& q, const View& k, const View& v, const View* mask, bool causal, double scale, T* out) {
  const int nb = q.ndim - 2;
  const int64_t L = q.shape[nb], E = q.shape[nb + 1], S = k.shape[nb], Ev = v.shape[nb + 1];
  int64_t B = 1;
  for (int d = 0; d < nb; d++) B *= q.shape[d];
  if (B == 0 || L == 0 || Ev == 0) return;
  if (S == 0) {
    std::memset(out, 0, size_t(B * L * Ev) * sizeof(T));
    return;
  }
  const T sc = T(scale);
  const T ninf = -std::numeric_limits<T>::infinity();
  const T* qp = q.ptr<T>();
  const T* kp = k.ptr<T>();
  const T* vp = v.ptr<T>();
  const bool mbool = mask && mask->dtype == DType::Bool;
  const int64_t qr = q.strides[nb], qc = q.strides[nb + 1], kr = k.strides[nb], kc = k.strides[nb + 1];
  const int64_t vr = v.strides[nb], vc = v.strides[nb + 1];
  const int64_t mr = mask ? mask->strides[nb] : 0, mc = mask ? mask->strides[nb + 1] : 0;
  parallel_for(B, 1, [&](int64_t b0, int64_t b1) {
    thread_local std::vector<T> buf;
    if (buf.size() < size_t(L * S)) buf.resize(size_t(L * S));
    T* sc_buf = buf.data();
    for (int64_t b = b0; b < b1; b++) {
      const T* qb = qp + batch_offset(q, q.shape, nb, b);
      const T* kb = kp + batch_offset(k, q.shape, nb, b);
      const T* vb = vp + batch_offset(v, q.shape, nb, b);
      T* ob = out + b * L * Ev;
      // scores [L, S] = q [L, E] * k^T [E, S]
      if (E == 0) std::fill(sc_buf, sc_buf + L * S, T(0));
      else gemm(L, S, E, qb, qr, qc, kb, kc, kr, sc_buf, S);
      const T* mf = nullptr;
      const uint8_t* mbp = nullptr;
      if (mask) {
        const int64_t mo = batch_offset(*mask, q.shape, nb, b);
        if (mbool) mbp = mask->ptr<uint8_t>() + mo;
        else mf = mask->ptr<T>() + mo;
      }
      for (int64_t i = 0; i < L; i++) {
        T* row = sc_buf + i * S;
        for (int64_t j = 0; j < S; j++) row[j] *= sc;
        if (causal) {
          for (int64_t j = i + 1; j < S; j++) row[j] = ninf;
        } else if (mbp) {
          const uint8_t* m = mbp + i * mr;
          for (int64_t j = 0; j < S; j++)
            if (!m[j * mc]) row[j] = ninf;
        } else if (mf) {
          const T* m = mf + i * mr;
          for (int64_t j = 0; j < S; j++) row[j] += m[j * mc];
        }
        T mx = ninf;
        for (int64_t j = 0; j < S; j++) {
          if (std::isnan(row[j])) {  // NaN propagates (as the composite's amax / softmax)
            mx = row[j];
            break;
          }
          mx = std::max(mx, row[j]);
        }
        if (mx == ninf) {
          std::fill(row, row + S, T(0));
          continue;
        }
        T sum = 0;
        for (int64_t j = 0; j < S; j++) {
          row[j] = std::exp(row[j] - mx);
          sum += row[j];
        }
        const T inv = T(1) / sum;
        for (int64_t j = 0; j < S; j++) row[j] *= inv;
      }
      // out [L, Ev] = weights [L, S] * v [S, Ev]
      gemm(L, Ev, S, sc_buf, S, 1, vb, vr, vc, ob, Ev);
    }
  });
}

}  // namespace

void k_sdpa(const View& q, const View& k, const View& v, const View* mask, bool causal, double scale, void* out) {
  if (q.ndim < 2 || k.ndim != q.ndim || v.ndim != q.ndim || (mask && mask->ndim != q.ndim))
    throw KernelRangeError("scaledDotProductAttention: expected views of equal rank >= 2");
  const int nb = q.ndim - 2;
  for (int d = 0; d < nb; d++)
    if (k.shape[d] != q.shape[d] || v.shape[d] != q.shape[d] || (mask && mask->shape[d] != q.shape[d]))
      throw KernelRangeError("scaledDotProductAttention: expected equal batch shapes");
  if (k.shape[nb + 1] != q.shape[nb + 1] || v.shape[nb] != k.shape[nb] ||
      (mask && (mask->shape[nb] != q.shape[nb] || mask->shape[nb + 1] != k.shape[nb])))
    throw KernelRangeError("scaledDotProductAttention: mismatched sizes");
  if (k.dtype != q.dtype || v.dtype != q.dtype || (mask && mask->dtype != DType::Bool && mask->dtype != q.dtype))
    throw KernelTypeError("scaledDotProductAttention: mismatched dtypes");
  if (q.dtype == DType::F32) sdpa<float>(q, k, v, mask, causal, scale, static_cast<float*>(out));
  else if (q.dtype == DType::F64) sdpa<double>(q, k, v, mask, causal, scale, static_cast<double*>(out));
  else throw KernelTypeError(std::string("scaledDotProductAttention: expected float32 or float64, got ") + dtype_name(q.dtype));
}

}  // namespace tensile
