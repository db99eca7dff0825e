// Fused override: scaled-dot-product attention forward (inference), float32/float64.
// q [..., L, E], k [..., S, E], v [..., S, Ev] and the optional mask [..., L, S] (bool: true =
// may attend; or q's dtype, added) are strided views with equal batch shapes. Per batch-head
// (over the thread pool): scores = q k^T via sgemm/dgemm into a thread-local buffer, scaled and
// masked, row softmax (a fully masked row gives zero weights, as core's composite), then
// out = weights v via gemm into the contiguous output [..., L, Ev]. For training, the forward
// also stores each row's log-sum-exp (lse [..., L]); the backward recomputes the weights from q, k
// and lse (no [L, S] tensor is kept between the passes) and writes dq, dk, dv.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "fused.h"
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

// Row max (NaN propagates, as the composite's amax / softmax) and row[j] = exp(row[j] - m) in
// place, returning the sum: float32 through the active ISA's vectorised row kernels.
inline double row_max(const double* row, int64_t n) {
  double mx = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < n; j++) {
    if (std::isnan(row[j])) return row[j];
    mx = std::max(mx, row[j]);
  }
  return mx;
}
inline float row_max(const float* row, int64_t n) {
  const float m = fused_f32().max_of_row(row, n);
  if (m != m) return m;
  for (int64_t j = 0; j < n; j++)
    if (row[j] != row[j]) return row[j];
  return m;
}
inline double exp_sub(double* row, int64_t n, double m) {
  double sum = 0;
  for (int64_t j = 0; j < n; j++) {
    row[j] = std::exp(row[j] - m);
    sum += row[j];
  }
  return sum;
}
inline float exp_sub(float* row, int64_t n, float m) { return fused_f32().exp_sub_row(row, row, n, m); }

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

// The scaled, masked scores of one batch-head, shared by the forward and the backward:
// s [L, S] = q k^T * scale, then -inf where the causal or bool mask forbids, or + the float mask.
template <typename T>
struct Scores {
  const View& q;
  const View& k;
  const View* mask;
  bool causal;
  T scale;

  void operator()(int64_t b, T* s) const {
    const int nb = q.ndim - 2;
    const int64_t L = q.shape[nb], E = q.shape[nb + 1], S = k.shape[nb];
    const T ninf = -std::numeric_limits<T>::infinity();
    if (E == 0) std::fill(s, s + L * S, T(0));
    else
      gemm(L, S, E, q.ptr<T>() + batch_offset(q, q.shape, nb, b), q.strides[nb], q.strides[nb + 1],
           k.ptr<T>() + batch_offset(k, q.shape, nb, b), k.strides[nb + 1], k.strides[nb], s, S);
    const int64_t mr = mask ? mask->strides[nb] : 0, mc = mask ? mask->strides[nb + 1] : 0;
    const int64_t mo = mask ? batch_offset(*mask, q.shape, nb, b) : 0;
    const uint8_t* mbp = mask && mask->dtype == DType::Bool ? mask->ptr<uint8_t>() + mo : nullptr;
    const T* mf = mask && mask->dtype != DType::Bool ? mask->ptr<T>() + mo : nullptr;
    for (int64_t i = 0; i < L; i++) {
      T* row = s + i * S;
      for (int64_t j = 0; j < S; j++) row[j] *= scale;
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
    }
  }
};

template <typename T>
void sdpa(const View& q, const View& k, const View& v, const View* mask, bool causal, double scale, T* out, T* lse) {
  const int nb = q.ndim - 2;
  const int64_t L = q.shape[nb], S = k.shape[nb], Ev = v.shape[nb + 1];
  int64_t B = 1;
  for (int d = 0; d < nb; d++) B *= q.shape[d];
  if (B == 0 || L == 0 || Ev == 0) return;
  if (S == 0) {
    std::memset(out, 0, size_t(B * L * Ev) * sizeof(T));
    if (lse) std::fill(lse, lse + B * L, -std::numeric_limits<T>::infinity());
    return;
  }
  const T ninf = -std::numeric_limits<T>::infinity();
  const Scores<T> scores{q, k, mask, causal, T(scale)};
  const T* vp = v.ptr<T>();
  const int64_t vr = v.strides[nb], vc = v.strides[nb + 1];
  parallel_for(B, 1, [&](int64_t b0, int64_t b1) {
    thread_local std::vector<T> buf;
    if (buf.size() < size_t(L * S)) buf.resize(size_t(L * S));
    T* sc_buf = buf.data();
    for (int64_t b = b0; b < b1; b++) {
      const T* vb = vp + batch_offset(v, q.shape, nb, b);
      T* ob = out + b * L * Ev;
      scores(b, sc_buf);  // [L, S]
      for (int64_t i = 0; i < L; i++) {
        T* row = sc_buf + i * S;
        const T mx = row_max(row, S);
        if (mx == ninf) {
          std::fill(row, row + S, T(0));
          if (lse) lse[b * L + i] = ninf;
          continue;
        }
        const T sum = exp_sub(row, S, mx);
        if (lse) lse[b * L + i] = mx + std::log(sum);
        const T inv = T(1) / sum;
        for (int64_t j = 0; j < S; j++) row[j] *= inv;
      }
      // out [L, Ev] = weights [L, S] * v [S, Ev]
      gemm(L, Ev, S, sc_buf, S, 1, vb, vr, vc, ob, Ev);
    }
  });
}

// Backward of sdpa for one call: P = exp(q k^T * scale + mask - lse) recomputed per batch-head;
// dv = P^T g, dP = g v^T, dS = P * (dP - rowsum(P * dP)), dq = scale dS k, dk = scale dS^T q.
template <typename T>
void sdpa_backward(const View& g, const View& q, const View& k, const View& v, const T* lse, const View* mask,
                   bool causal, double scale, T* dq, T* dk, T* dv) {
  const int nb = q.ndim - 2;
  const int64_t L = q.shape[nb], E = q.shape[nb + 1], S = k.shape[nb], Ev = v.shape[nb + 1];
  int64_t B = 1;
  for (int d = 0; d < nb; d++) B *= q.shape[d];
  if (B == 0) return;
  if (L == 0 || S == 0) {  // no score: every gradient is zero
    std::fill(dq, dq + B * L * E, T(0));
    std::fill(dk, dk + B * S * E, T(0));
    std::fill(dv, dv + B * S * Ev, T(0));
    return;
  }
  const T sc = T(scale);
  const T ninf = -std::numeric_limits<T>::infinity();
  const Scores<T> scores{q, k, mask, causal, sc};
  const T* gp = g.ptr<T>();
  const T* qp = q.ptr<T>();
  const T* kp = k.ptr<T>();
  const T* vp = v.ptr<T>();
  const int64_t gr = g.strides[nb], gc = g.strides[nb + 1];
  const int64_t qr = q.strides[nb], qc = q.strides[nb + 1], kr = k.strides[nb], kc = k.strides[nb + 1];
  const int64_t vr = v.strides[nb], vc = v.strides[nb + 1];
  parallel_for(B, 1, [&](int64_t b0, int64_t b1) {
    thread_local std::vector<T> pbuf, dbuf;
    if (pbuf.size() < size_t(L * S)) pbuf.resize(size_t(L * S));
    if (dbuf.size() < size_t(L * S)) dbuf.resize(size_t(L * S));
    T* P = pbuf.data();
    T* dP = dbuf.data();
    for (int64_t b = b0; b < b1; b++) {
      const T* gb = gp + batch_offset(g, q.shape, nb, b);
      const T* qb = qp + batch_offset(q, q.shape, nb, b);
      const T* kb = kp + batch_offset(k, q.shape, nb, b);
      const T* vb = vp + batch_offset(v, q.shape, nb, b);
      const T* lb = lse + b * L;
      T* dqb = dq + b * L * E;
      T* dkb = dk + b * S * E;
      T* dvb = dv + b * S * Ev;
      scores(b, P);  // [L, S], then P = exp(s - lse) per row
      for (int64_t i = 0; i < L; i++) {
        T* row = P + i * S;
        const T l = lb[i];
        if (l == ninf) {  // fully masked row: zero weights, zero gradients
          std::fill(row, row + S, T(0));
          continue;
        }
        exp_sub(row, S, l);
      }
      // dv [S, Ev] = P^T [S, L] * g [L, Ev]
      if (Ev > 0) gemm(S, Ev, L, P, 1, S, gb, gr, gc, dvb, Ev);
      // dP [L, S] = g [L, Ev] * v^T [Ev, S]
      if (Ev == 0) std::fill(dP, dP + L * S, T(0));
      else gemm(L, S, Ev, gb, gr, gc, vb, vc, vr, dP, S);
      for (int64_t i = 0; i < L; i++) {
        const T* p = P + i * S;
        T* d = dP + i * S;
        T dot = 0;
        for (int64_t j = 0; j < S; j++) dot += p[j] * d[j];
        for (int64_t j = 0; j < S; j++) d[j] = p[j] * (d[j] - dot) * sc;
      }
      if (E > 0) {
        gemm(L, E, S, dP, S, 1, kb, kr, kc, dqb, E);  // dq [L, E] = dS [L, S] * k [S, E]
        gemm(S, E, L, dP, 1, S, qb, qr, qc, dkb, E);  // dk [S, E] = dS^T [S, L] * q [L, E]
      }
    }
  });
}

void check_sdpa_views(const char* op, const View& q, const View& k, const View& v, const View* mask) {
  if (q.ndim < 2 || k.ndim != q.ndim || v.ndim != q.ndim || (mask && mask->ndim != q.ndim))
    throw KernelRangeError(std::string(op) + ": expected views of equal rank >= 2");
  const int nb = q.ndim - 2;
  for (int d = 0; d < nb; d++)
    if (k.shape[d] != q.shape[d] || v.shape[d] != q.shape[d] || (mask && mask->shape[d] != q.shape[d]))
      throw KernelRangeError(std::string(op) + ": expected equal batch shapes");
  if (k.shape[nb + 1] != q.shape[nb + 1] || v.shape[nb] != k.shape[nb] ||
      (mask && (mask->shape[nb] != q.shape[nb] || mask->shape[nb + 1] != k.shape[nb])))
    throw KernelRangeError(std::string(op) + ": mismatched sizes");
  if (k.dtype != q.dtype || v.dtype != q.dtype || (mask && mask->dtype != DType::Bool && mask->dtype != q.dtype))
    throw KernelTypeError(std::string(op) + ": mismatched dtypes");
  if (q.dtype != DType::F32 && q.dtype != DType::F64)
    throw KernelTypeError(std::string(op) + ": expected float32 or float64, got " + dtype_name(q.dtype));
}

}  // namespace

void k_sdpa_backward(const View& g, const View& q, const View& k, const View& v, const void* lse, const View* mask,
                     bool causal, double scale, void* dq, void* dk, void* dv) {
  check_sdpa_views("scaledDotProductAttentionBackward", q, k, v, mask);
  const int nb = q.ndim - 2;
  if (g.ndim != q.ndim || g.dtype != q.dtype || g.shape[nb] != q.shape[nb] || g.shape[nb + 1] != v.shape[nb + 1])
    throw KernelRangeError("scaledDotProductAttentionBackward: grad does not match the output");
  for (int d = 0; d < nb; d++)
    if (g.shape[d] != q.shape[d]) throw KernelRangeError("scaledDotProductAttentionBackward: grad does not match the output");
  if (q.dtype == DType::F32)
    sdpa_backward<float>(g, q, k, v, static_cast<const float*>(lse), mask, causal, scale, static_cast<float*>(dq),
                         static_cast<float*>(dk), static_cast<float*>(dv));
  else
    sdpa_backward<double>(g, q, k, v, static_cast<const double*>(lse), mask, causal, scale, static_cast<double*>(dq),
                          static_cast<double*>(dk), static_cast<double*>(dv));
}

void k_sdpa(const View& q, const View& k, const View& v, const View* mask, bool causal, double scale, void* out,
            void* lse) {
  check_sdpa_views("scaledDotProductAttention", q, k, v, mask);
  if (q.dtype == DType::F32)
    sdpa<float>(q, k, v, mask, causal, scale, static_cast<float*>(out), static_cast<float*>(lse));
  else
    sdpa<double>(q, k, v, mask, causal, scale, static_cast<double*>(out), static_cast<double*>(lse));
}

}  // namespace tensile
