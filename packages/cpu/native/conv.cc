// 2-D convolution (forward, gradient of the input, gradient of the weight and bias) by im2col
// + GEMM (gemm.h). Per image and group, the receptive fields are unfolded into a thread-local
// column buffer cols [K = Cg*kh*kw, L = OH*OW] read from the strided input view (zero where a
// window hangs over the padding), then:
//   forward      y[n, g]  = W_g [Og, K] x cols [K, L]                    (+ bias)
//   grad input   cols     = W_g^T [K, Og] x dy[n, g] [Og, L]; col2im adds cols back into dx[n]
//   grad weight  dW_g    += (cols [K, L] x dy[n, g]^T [L, Og])^T         (db[o] += sum of dy[n, o])
// (cols is the GEMM's A, packed with unit-stride reads; only the smaller dy^T is read strided.)
// A 1x1 / stride 1 / no padding convolution uses the input (or writes dx) directly, no cols.
// Images are spread over the thread pool (GEMM then runs inline on each thread); the weight
// gradient sums per-chunk partials in chunk order, so results do not depend on scheduling.
// float32 and float64 only (core uses the composite for other dtypes).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "gemm.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {

namespace conv_detail {
// conv_avx512.cc / conv_avx2.cc (conv_simd.inc): acc[o*K + p] += sum_l dy[o*rs + l] * cols[p*L + l].
void wgrad_f32_avx512(int64_t O, int64_t K, int64_t L, const float* dy, int64_t rs, const float* cols, float* acc);
void wgrad_f32_avx2(int64_t O, int64_t K, int64_t L, const float* dy, int64_t rs, const float* cols, float* acc);
}  // namespace conv_detail

namespace {

// The direct weight-gradient loop for few columns, or false when the ISA has none (use GEMM).
bool wgrad_direct(int64_t O, int64_t K, int64_t L, const float* dy, int64_t rs, const float* cols, float* acc) {
  switch (active_isa()) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::Avx512: conv_detail::wgrad_f32_avx512(O, K, L, dy, rs, cols, acc); return true;
    case Isa::Avx2: conv_detail::wgrad_f32_avx2(O, K, L, dy, rs, cols, acc); return true;
#endif
    default: return false;
  }
}

template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb,
          T* C, int64_t ldc) {
  if constexpr (sizeof(T) == 4)
    sgemm(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
  else
    dgemm(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
}

// A per-thread scratch buffer (slot 0: cols, 1: packed dy, 2: gemm result, 3: unused); grows,
// never shrinks.
template <typename T>
T* scratch(int slot, size_t n) {
  static thread_local std::vector<T> bufs[4];
  std::vector<T>& b = bufs[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

// First o in [0, out] with o*s + off >= bound (off + o*s is increasing in o).
inline int64_t first_at_least(int64_t off, int64_t s, int64_t bound, int64_t out) {
  if (off >= bound) return 0;
  const int64_t o = (bound - off + s - 1) / s;
  return std::min(o, out);
}

struct Geo {
  int64_t N, C, H, W, O, kh, kw, oh, ow, G, Cg, Og, K, L;
  int64_t sh, sw, ph, pw, dh, dw;
  bool direct;  // 1x1, stride 1, no padding: cols is the input itself
};

Geo make_geo(int64_t N, int64_t C, int64_t H, int64_t W, int64_t O, int64_t kh, int64_t kw, const Conv2dGeom& g) {
  Geo q;
  q.N = N, q.C = C, q.H = H, q.W = W, q.O = O, q.kh = kh, q.kw = kw;
  q.oh = g.out[0], q.ow = g.out[1], q.G = g.groups;
  q.sh = g.stride[0], q.sw = g.stride[1], q.ph = g.pad[0], q.pw = g.pad[1], q.dh = g.dilation[0], q.dw = g.dilation[1];
  if (q.G < 1 || C % q.G != 0 || O % q.G != 0) throw KernelRangeError("conv2d: bad groups");
  if (q.sh < 1 || q.sw < 1 || q.dh < 1 || q.dw < 1 || q.ph < 0 || q.pw < 0 || q.oh < 0 || q.ow < 0)
    throw KernelRangeError("conv2d: bad geometry");
  q.Cg = C / q.G, q.Og = O / q.G, q.K = q.Cg * kh * kw, q.L = q.oh * q.ow;
  q.direct = kh == 1 && kw == 1 && q.sh == 1 && q.sw == 1 && q.ph == 0 && q.pw == 0 && q.oh == H && q.ow == W;
  return q;
}

// The strides of the [rows, H*W] matrix of a plane-major view, if (H, W) merge into one dim.
inline bool merged(int64_t sH, int64_t sW, int64_t W, int64_t H) { return H == 1 || W == 1 || sH == sW * W; }
inline int64_t merged_stride(int64_t sH, int64_t sW, int64_t W) { return W == 1 ? sH : sW; }

// cols [K, L] of image n, group gi, from x (strides sx: N, C, H, W).
template <typename T>
void im2col(const Geo& q, const T* x, const int64_t* sx, int64_t n, int64_t gi, T* cols) {
  const int64_t L = q.L;
  for (int64_t c = 0; c < q.Cg; c++) {
    const T* xc = x + n * sx[0] + (gi * q.Cg + c) * sx[1];
    for (int64_t i = 0; i < q.kh; i++) {
      for (int64_t j = 0; j < q.kw; j++) {
        T* row = cols + ((c * q.kh + i) * q.kw + j) * L;
        const int64_t xoff = j * q.dw - q.pw;
        const int64_t lo = first_at_least(xoff, q.sw, 0, q.ow), hi = first_at_least(xoff, q.sw, q.W, q.ow);
        for (int64_t oy = 0; oy < q.oh; oy++) {
          T* r = row + oy * q.ow;
          const int64_t y = oy * q.sh + i * q.dh - q.ph;
          if (y < 0 || y >= q.H || hi <= lo) {
            std::fill(r, r + q.ow, T(0));
            continue;
          }
          const T* xr = xc + y * sx[2];
          std::fill(r, r + lo, T(0));
          if (q.sw == 1 && sx[3] == 1) {
            std::memcpy(r + lo, xr + (lo + xoff), size_t(hi - lo) * sizeof(T));
          } else {
            const int64_t step = q.sw * sx[3];
            const T* p = xr + (lo * q.sw + xoff) * sx[3];
            for (int64_t ox = lo; ox < hi; ox++, p += step) r[ox] = *p;
          }
          std::fill(r + hi, r + q.ow, T(0));
        }
      }
    }
  }
}

// dx[n, group gi] (contiguous [C, H, W] plane block, pre-zeroed) += col2im(cols [K, L]).
template <typename T>
void col2im(const Geo& q, const T* cols, T* dx) {
  const int64_t L = q.L;
  for (int64_t c = 0; c < q.Cg; c++) {
    T* xc = dx + c * q.H * q.W;
    for (int64_t i = 0; i < q.kh; i++) {
      for (int64_t j = 0; j < q.kw; j++) {
        const T* row = cols + ((c * q.kh + i) * q.kw + j) * L;
        const int64_t xoff = j * q.dw - q.pw;
        const int64_t lo = first_at_least(xoff, q.sw, 0, q.ow), hi = first_at_least(xoff, q.sw, q.W, q.ow);
        if (hi <= lo) continue;
        for (int64_t oy = 0; oy < q.oh; oy++) {
          const int64_t y = oy * q.sh + i * q.dh - q.ph;
          if (y < 0 || y >= q.H) continue;
          const T* r = row + oy * q.ow;
          T* xr = xc + y * q.W + xoff;
          if (q.sw == 1) {
            for (int64_t ox = lo; ox < hi; ox++) xr[ox] += r[ox];
          } else {
            for (int64_t ox = lo; ox < hi; ox++) xr[ox * q.sw] += r[ox];
          }
        }
      }
    }
  }
}

// The weight as a [O, K] matrix with row stride K: the view itself when contiguous, else a copy.
template <typename T>
const T* weight_matrix(const View& w, const Geo& q, std::vector<T>& tmp) {
  if (w.contiguous()) return w.ptr<T>();
  tmp.resize(size_t(q.O * q.K));
  const T* p = w.ptr<T>();
  size_t k = 0;
  for (int64_t o = 0; o < q.O; o++)
    for (int64_t c = 0; c < q.Cg; c++)
      for (int64_t i = 0; i < q.kh; i++)
        for (int64_t j = 0; j < q.kw; j++)
          tmp[k++] = p[o * w.strides[0] + c * w.strides[1] + i * w.strides[2] + j * w.strides[3]];
  return tmp.data();
}

// dy[n, rows o0 .. o0+Og) as an [Og, L] matrix: pointer and (row, column) strides; packed into a
// thread-local copy when (OH, OW) do not merge.
template <typename T>
const T* dy_matrix(const View& gy, const Geo& q, int64_t n, int64_t gi, int64_t& rs, int64_t& cs) {
  const int64_t* s = gy.strides;
  const T* base = gy.ptr<T>() + n * s[0] + gi * q.Og * s[1];
  if (merged(s[2], s[3], q.ow, q.oh)) {
    rs = s[1];
    cs = merged_stride(s[2], s[3], q.ow);
    return base;
  }
  T* buf = scratch<T>(1, size_t(q.Og * q.L));
  for (int64_t o = 0; o < q.Og; o++)
    for (int64_t y = 0; y < q.oh; y++)
      for (int64_t x = 0; x < q.ow; x++) buf[(o * q.oh + y) * q.ow + x] = base[o * s[1] + y * s[2] + x * s[3]];
  rs = q.L;
  cs = 1;
  return buf;
}

// Run f(n) for every image: spread over the pool by image, handed out one at a time (a thread
// that is descheduled by another process just takes fewer images), or inline (GEMM threads)
// for one.
template <class F>
void over_images(int64_t N, F&& f) {
  if (N > 1 && num_threads() > 1) {
    parallel_for_each(N, [&](int64_t s, int64_t e) {
      for (int64_t n = s; n < e; n++) f(n);
    });
  } else {
    for (int64_t n = 0; n < N; n++) f(n);
  }
}

void check_float(const char* op, const View& v) {
  if (v.dtype != DType::F32 && v.dtype != DType::F64)
    throw KernelTypeError(std::string(op) + ": expected float32 or float64, got " + dtype_name(v.dtype));
  if (v.ndim != 4) throw KernelRangeError(std::string(op) + ": expected a 4-D view");
}

template <typename T>
void conv_forward(const View& x, const View& w, const View* bias, const Geo& q, T* out) {
  std::vector<T> wtmp;
  const T* wm = weight_matrix<T>(w, q, wtmp);
  const T* xp = x.ptr<T>();
  const int64_t* sx = x.strides;
  over_images(q.N, [&](int64_t n) {
    for (int64_t gi = 0; gi < q.G; gi++) {
      const T* B;
      int64_t rsb, csb;
      if (q.direct && merged(sx[2], sx[3], q.W, q.H)) {
        B = xp + n * sx[0] + gi * q.Cg * sx[1];
        rsb = sx[1];
        csb = merged_stride(sx[2], sx[3], q.W);
      } else {
        T* cols = scratch<T>(0, size_t(q.K * q.L));
        im2col(q, xp, sx, n, gi, cols);
        B = cols;
        rsb = q.L;
        csb = 1;
      }
      T* y = out + (n * q.O + gi * q.Og) * q.L;
      gemm<T>(q.Og, q.L, q.K, wm + gi * q.Og * q.K, q.K, 1, B, rsb, csb, y, q.L);
      if (bias) {
        const T* b = bias->ptr<T>();
        for (int64_t o = 0; o < q.Og; o++) {
          const T bo = b[(gi * q.Og + o) * bias->strides[0]];
          T* r = y + o * q.L;
          for (int64_t l = 0; l < q.L; l++) r[l] += bo;
        }
      }
    }
  });
}

template <typename T>
void conv_backward_input(const View& gy, const View& w, const Geo& q, T* dx) {
  std::vector<T> wtmp;
  const T* wm = weight_matrix<T>(w, q, wtmp);
  over_images(q.N, [&](int64_t n) {
    T* dxn = dx + n * q.C * q.H * q.W;
    if (!q.direct) std::fill(dxn, dxn + q.C * q.H * q.W, T(0));
    for (int64_t gi = 0; gi < q.G; gi++) {
      int64_t rs, cs;
      const T* dy = dy_matrix<T>(gy, q, n, gi, rs, cs);
      const T* wg = wm + gi * q.Og * q.K;  // W_g^T: element (p, o) at wg[o*K + p]
      T* dxg = dxn + gi * q.Cg * q.H * q.W;
      if (q.direct) {
        gemm<T>(q.K, q.L, q.Og, wg, 1, q.K, dy, rs, cs, dxg, q.L);
      } else {
        T* cols = scratch<T>(0, size_t(q.K * q.L));
        gemm<T>(q.K, q.L, q.Og, wg, 1, q.K, dy, rs, cs, cols, q.L);
        col2im(q, cols, dxg);
      }
    }
  });
}

// Few columns (K < 32): the per-ISA direct loop on unit-stride dy rows (copied when strided; a
// broadcast dy, row stride 0, is one row). False when the ISA has no such loop (float64, scalar).
template <typename T>
bool wgrad_direct_rows(const Geo& q, const T* dy, int64_t rs, int64_t cs, const T* cols, T* acc) {
  if constexpr (sizeof(T) != 4) {
    return false;
  } else {
    if (active_isa() == Isa::Scalar) return false;
    if (cs != 1) {
      const int64_t nrows = rs == 0 ? 1 : q.Og;
      T* buf = scratch<T>(1, size_t(nrows * q.L));
      for (int64_t r = 0; r < nrows; r++)
        for (int64_t l = 0; l < q.L; l++) buf[r * q.L + l] = dy[r * rs + l * cs];
      dy = buf;
      rs = rs == 0 ? 0 : q.L;
    }
    return wgrad_direct(q.Og, q.K, q.L, dy, rs, cols, acc);
  }
}

template <typename T>
void conv_backward_weight(const View& gy, const View& x, const Geo& q, T* dw, T* db) {
  // Several chunks per thread, handed out dynamically (balance when another process takes a
  // core); each chunk's partial sum covers fixed images, so results depend only on the thread
  // count, not on scheduling.
  const int64_t nchunks = num_threads() > 1 ? std::max<int64_t>(1, std::min<int64_t>(q.N, 4 * num_threads())) : 1;
  const int64_t wsize = q.O * q.K;
  std::vector<T> partial(size_t(nchunks * wsize), T(0));
  std::vector<double> bpartial(db ? size_t(nchunks * q.O) : 0, 0.0);
  const T* xp = x.ptr<T>();
  const int64_t* sx = x.strides;
  auto chunk = [&](int64_t c) {
    T* acc = partial.data() + c * wsize;
    double* bacc = db ? bpartial.data() + c * q.O : nullptr;
    const int64_t n0 = q.N * c / nchunks, n1 = q.N * (c + 1) / nchunks;
    T* tmp = scratch<T>(2, size_t(q.Og * q.K));
    for (int64_t n = n0; n < n1; n++) {
      for (int64_t gi = 0; gi < q.G; gi++) {
        int64_t rs, cs;
        const T* dy = dy_matrix<T>(gy, q, n, gi, rs, cs);
        if (q.K > 0) {
          T* cols = scratch<T>(0, size_t(q.K * q.L));
          im2col(q, xp, sx, n, gi, cols);
          T* a = acc + gi * q.Og * q.K;
          if (!(q.K < 32 && wgrad_direct_rows(q, dy, rs, cs, cols, a))) {
            // dW_g^T [K, Og] = cols [K, L] x dy^T [L, Og]: cols is read with unit stride (packed
            // as A), and only the small dy^T (Og x L) is packed from strided reads, instead of
            // transposing all of cols; then acc [Og, K] += tmp^T.
            gemm<T>(q.K, q.Og, q.L, cols, q.L, 1, dy, cs, rs, tmp, q.Og);
            for (int64_t o = 0; o < q.Og; o++) {
              T* ao = a + o * q.K;
              for (int64_t p = 0; p < q.K; p++) ao[p] += tmp[p * q.Og + o];
            }
          }
        }
        if (bacc) {
          for (int64_t o = 0; o < q.Og; o++) {
            const T* r = dy + o * rs;
            double s = 0;
            if (cs == 0) {
              s = double(r[0]) * double(q.L);
            } else {
              // four independent chains (the loop is otherwise bound by the add latency)
              double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
              int64_t l = 0;
              for (; l + 4 <= q.L; l += 4) {
                s0 += double(r[l * cs]);
                s1 += double(r[(l + 1) * cs]);
                s2 += double(r[(l + 2) * cs]);
                s3 += double(r[(l + 3) * cs]);
              }
              for (; l < q.L; l++) s0 += double(r[l * cs]);
              s = (s0 + s1) + (s2 + s3);
            }
            bacc[gi * q.Og + o] += s;
          }
        }
      }
    }
  };
  if (nchunks > 1) {
    parallel_for_each(nchunks, [&](int64_t s, int64_t e) {
      for (int64_t c = s; c < e; c++) chunk(c);
    });
  } else {
    chunk(0);
  }
  for (int64_t i = 0; i < wsize; i++) {
    T s = partial[size_t(i)];
    for (int64_t c = 1; c < nchunks; c++) s += partial[size_t(c * wsize + i)];
    dw[i] = s;
  }
  if (db) {
    for (int64_t o = 0; o < q.O; o++) {
      double s = 0;
      for (int64_t c = 0; c < nchunks; c++) s += bpartial[size_t(c * q.O + o)];
      db[o] = T(s);
    }
  }
}

}  // namespace

void k_conv2d(const View& x, const View& w, const View* bias, const Conv2dGeom& g, void* out) {
  check_float("conv2d", x);
  check_float("conv2d", w);
  if (w.dtype != x.dtype || (bias && bias->dtype != x.dtype)) throw KernelTypeError("conv2d: dtypes differ");
  const Geo q = make_geo(x.shape[0], x.shape[1], x.shape[2], x.shape[3], w.shape[0], w.shape[2], w.shape[3], g);
  if (w.shape[1] != q.Cg) throw KernelRangeError("conv2d: weight does not match the input channels");
  if (q.N * q.O * q.L == 0) return;
  if (q.K == 0) {
    // no input channels: the output is the bias (or zeros)
    for (int64_t n = 0; n < q.N; n++)
      for (int64_t o = 0; o < q.O; o++)
        for (int64_t l = 0; l < q.L; l++) {
          const double b = bias ? (x.dtype == DType::F32 ? double(bias->ptr<float>()[o * bias->strides[0]])
                                                         : bias->ptr<double>()[o * bias->strides[0]])
                                : 0.0;
          if (x.dtype == DType::F32)
            static_cast<float*>(out)[(n * q.O + o) * q.L + l] = float(b);
          else
            static_cast<double*>(out)[(n * q.O + o) * q.L + l] = b;
        }
    return;
  }
  if (x.dtype == DType::F32)
    conv_forward<float>(x, w, bias, q, static_cast<float*>(out));
  else
    conv_forward<double>(x, w, bias, q, static_cast<double*>(out));
}

void k_conv2d_backward_input(const View& gy, const View& w, int64_t H, int64_t W, const Conv2dGeom& g, void* out) {
  check_float("conv2dBackwardInput", gy);
  check_float("conv2dBackwardInput", w);
  if (w.dtype != gy.dtype) throw KernelTypeError("conv2dBackwardInput: dtypes differ");
  const int64_t C = w.shape[1] * g.groups;
  const Geo q = make_geo(gy.shape[0], C, H, W, w.shape[0], w.shape[2], w.shape[3], g);
  if (gy.shape[1] != q.O || gy.shape[2] != q.oh || gy.shape[3] != q.ow)
    throw KernelRangeError("conv2dBackwardInput: grad does not match the output size");
  const int64_t total = q.N * C * H * W;
  if (total == 0) return;
  const size_t isz = itemsize(gy.dtype);
  if (q.O == 0 || q.L == 0 || q.K == 0) {
    std::memset(out, 0, size_t(total) * isz);
    return;
  }
  if (gy.dtype == DType::F32)
    conv_backward_input<float>(gy, w, q, static_cast<float*>(out));
  else
    conv_backward_input<double>(gy, w, q, static_cast<double*>(out));
}

void k_conv2d_backward_weight(const View& gy, const View& x, int64_t kh, int64_t kw, const Conv2dGeom& g, void* out,
                              void* gbias) {
  check_float("conv2dBackwardWeight", gy);
  check_float("conv2dBackwardWeight", x);
  if (x.dtype != gy.dtype) throw KernelTypeError("conv2dBackwardWeight: dtypes differ");
  const Geo q = make_geo(x.shape[0], x.shape[1], x.shape[2], x.shape[3], gy.shape[1], kh, kw, g);
  if (gy.shape[0] != q.N || gy.shape[2] != q.oh || gy.shape[3] != q.ow)
    throw KernelRangeError("conv2dBackwardWeight: grad does not match the output size");
  const size_t isz = itemsize(x.dtype);
  if (q.O * q.K > 0) std::memset(out, 0, size_t(q.O * q.K) * isz);
  if (gbias && q.O > 0) std::memset(gbias, 0, size_t(q.O) * isz);
  if (q.N == 0 || q.L == 0 || q.O == 0) return;
  if (q.K == 0 && !gbias) return;
  if (x.dtype == DType::F32)
    conv_backward_weight<float>(gy, x, q, static_cast<float*>(out), static_cast<float*>(gbias));
  else
    conv_backward_weight<double>(gy, x, q, static_cast<double*>(out), static_cast<double*>(gbias));
}

}  // namespace tensile
