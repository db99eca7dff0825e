// 2-D max and average pooling, forward and backward, on [N, C, H, W] strided views; one
// (n, c) plane per task, planes spread over the thread pool. Windows are clipped to the input:
// padding never wins a max and is counted in an average only with count_include_pad (PyTorch's
// rules, including the ceil-mode windows that end past the padding). float32 and float64.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernels.h"
#include "threadpool.h"

namespace tensile {

namespace {

void check_float(const char* op, const View& v) {
  if (v.dtype != DType::F32 && v.dtype != DType::F64)
    throw KernelTypeError(std::string(op) + ": expected float32 or float64, got " + dtype_name(v.dtype));
  if (v.ndim != 4) throw KernelRangeError(std::string(op) + ": expected a 4-D view");
}

// Planes per task so one task is worth at least ~16K elements of work.
int64_t grain_for(int64_t per_plane) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, per_plane)); }

// One step of the window scan, branch-free: take v when it beats best (first maximum; the first
// NaN wins and stays).
template <typename T>
inline void max_take(T v, int64_t i, T& best, int64_t& bi) {
  const bool take = !(best != best) && (v > best || v != v);
  best = take ? v : best;
  bi = take ? i : bi;
}

// The common 2x2 / stride 2 / no padding / no dilation window on rows of unit stride (the
// windows never leave the input since oh <= H / 2, ow <= W / 2).
template <typename T>
void max_fwd_2x2(const View& x, const Pool2dGeom& g, T* vals, int64_t* idx) {
  const int64_t C = x.shape[1], W = x.shape[3];
  const int64_t oh = g.out[0], ow = g.out[1];
  const int64_t* s = x.strides;
  const T* xp = x.ptr<T>();
  parallel_for(x.shape[0] * C, grain_for(oh * ow * 4), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; pl++) {
      const int64_t n = pl / C, c = pl % C;
      const T* plane = xp + n * s[0] + c * s[1];
      T* vo = vals + pl * oh * ow;
      int64_t* io = idx + pl * oh * ow;
      for (int64_t oy = 0; oy < oh; oy++) {
        const T* r0 = plane + 2 * oy * s[2];
        const T* r1 = r0 + s[2];
        const int64_t i0 = 2 * oy * W, i1 = i0 + W;
        int64_t ox = 0;
#if defined(__SSE2__)
        if constexpr (std::is_same<T, float>::value) {
          // Four windows at a time: even/odd columns of the two rows are the window's (0,0),
          // (0,1), (1,0), (1,1) in scan order; the same take rule as max_take, lane-wise.
          const __m128i one = _mm_set1_epi32(1), two = _mm_set1_epi32(2), three = _mm_set1_epi32(3);
          for (; ox + 4 <= ow; ox += 4) {
            const __m128 u0 = _mm_loadu_ps(r0 + 2 * ox), u1 = _mm_loadu_ps(r0 + 2 * ox + 4);
            const __m128 w0 = _mm_loadu_ps(r1 + 2 * ox), w1 = _mm_loadu_ps(r1 + 2 * ox + 4);
            const __m128 v[3] = {_mm_shuffle_ps(u0, u1, _MM_SHUFFLE(3, 1, 3, 1)), _mm_shuffle_ps(w0, w1, _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm_shuffle_ps(w0, w1, _MM_SHUFFLE(3, 1, 3, 1))};
            const __m128i k[3] = {one, two, three};
            __m128 best = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0));
            __m128i bk = _mm_setzero_si128();
            for (int q = 0; q < 3; q++) {
              const __m128 take = _mm_and_ps(_mm_cmpord_ps(best, best), _mm_or_ps(_mm_cmpgt_ps(v[q], best), _mm_cmpunord_ps(v[q], v[q])));
              best = _mm_or_ps(_mm_and_ps(take, v[q]), _mm_andnot_ps(take, best));
              const __m128i ti = _mm_castps_si128(take);
              bk = _mm_or_si128(_mm_and_si128(ti, k[q]), _mm_andnot_si128(ti, bk));
            }
            _mm_storeu_ps(reinterpret_cast<float*>(vo + oy * ow + ox), best);
            alignas(16) int32_t kk[4];
            _mm_store_si128(reinterpret_cast<__m128i*>(kk), bk);
            for (int l = 0; l < 4; l++) io[oy * ow + ox + l] = i0 + 2 * (ox + l) + (kk[l] & 1) + (kk[l] >> 1) * W;
          }
        }
#endif
        for (; ox < ow; ox++) {
          T best = r0[2 * ox];
          int64_t bi = i0 + 2 * ox;
          max_take(r0[2 * ox + 1], i0 + 2 * ox + 1, best, bi);
          max_take(r1[2 * ox], i1 + 2 * ox, best, bi);
          max_take(r1[2 * ox + 1], i1 + 2 * ox + 1, best, bi);
          vo[oy * ow + ox] = best;
          io[oy * ow + ox] = bi;
        }
      }
    }
  });
}

template <typename T>
void max_fwd(const View& x, const Pool2dGeom& g, T* vals, int64_t* idx) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t oh = g.out[0], ow = g.out[1];
  const int64_t* s = x.strides;
  const T* xp = x.ptr<T>();
  if (g.kernel[0] == 2 && g.kernel[1] == 2 && g.stride[0] == 2 && g.stride[1] == 2 && g.pad[0] == 0 && g.pad[1] == 0 &&
      g.dilation[0] == 1 && g.dilation[1] == 1 && s[3] == 1 && 2 * oh <= H && 2 * ow <= W) {
    max_fwd_2x2<T>(x, g, vals, idx);
    return;
  }
  parallel_for(N * C, grain_for(oh * ow * g.kernel[0] * g.kernel[1]), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; pl++) {
      const int64_t n = pl / C, c = pl % C;
      const T* plane = xp + n * s[0] + c * s[1];
      T* vo = vals + pl * oh * ow;
      int64_t* io = idx + pl * oh * ow;
      for (int64_t oy = 0; oy < oh; oy++) {
        const int64_t y0 = oy * g.stride[0] - g.pad[0];
        for (int64_t ox = 0; ox < ow; ox++) {
          const int64_t x0 = ox * g.stride[1] - g.pad[1];
          T best = T(0);
          int64_t bi = -1;
          for (int64_t i = 0; i < g.kernel[0]; i++) {
            const int64_t y = y0 + i * g.dilation[0];
            if (y < 0 || y >= H) continue;
            for (int64_t j = 0; j < g.kernel[1]; j++) {
              const int64_t xx = x0 + j * g.dilation[1];
              if (xx < 0 || xx >= W) continue;
              const T v = plane[y * s[2] + xx * s[3]];
              // first maximum; the first NaN wins and stays (as max/argmax)
              if (bi < 0 || (!std::isnan(best) && (v > best || std::isnan(v)))) {
                best = v;
                bi = y * W + xx;
              }
            }
          }
          vo[oy * ow + ox] = bi < 0 ? T(-INFINITY) : best;
          io[oy * ow + ox] = bi < 0 ? 0 : bi;
        }
      }
    }
  });
}

template <typename T>
void max_bwd(const View& gy, const View& ind, int64_t H, int64_t W, T* out) {
  const int64_t N = gy.shape[0], C = gy.shape[1], oh = gy.shape[2], ow = gy.shape[3];
  const int64_t* s = gy.strides;
  const int64_t* si = ind.strides;
  const T* gp = gy.ptr<T>();
  const int64_t* ip = ind.ptr<int64_t>();
  const int64_t HW = H * W;
  parallel_for(N * C, grain_for(HW + oh * ow), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; pl++) {
      const int64_t n = pl / C, c = pl % C;
      T* o = out + pl * HW;
      std::memset(o, 0, size_t(HW) * sizeof(T));
      const T* g = gp + n * s[0] + c * s[1];
      const int64_t* id = ip + n * si[0] + c * si[1];
      for (int64_t y = 0; y < oh; y++)
        for (int64_t x = 0; x < ow; x++) {
          const int64_t k = id[y * si[2] + x * si[3]];
          if (k < 0 || k >= HW)
            throw KernelRangeError("maxPool2dBackward: index " + std::to_string(k) + " is out of bounds for an input plane of " +
                                   std::to_string(HW) + " elements");
          o[k] += g[y * s[2] + x * s[3]];
        }
    }
  });
}

// Window [start, end) along one dim and its divisor factor (PyTorch's avg_pool2d rules).
struct Span {
  int64_t lo, hi, pool;
};
inline Span span(int64_t o, int64_t k, int64_t s, int64_t p, int64_t size) {
  int64_t start = o * s - p;
  int64_t end = std::min(start + k, size + p);
  const int64_t pool = end - start;
  start = std::max<int64_t>(start, 0);
  end = std::min(end, size);
  return {start, end, pool};
}

inline double avg_divisor(const Span& a, const Span& b, bool include_pad, double divisor) {
  if (divisor != 0) return divisor;
  return include_pad ? double(a.pool * b.pool) : double((a.hi - a.lo) * (b.hi - b.lo));
}

template <typename T>
void avg_fwd(const View& x, const Pool2dGeom& g, bool include_pad, double divisor, T* out) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t oh = g.out[0], ow = g.out[1];
  const int64_t* s = x.strides;
  const T* xp = x.ptr<T>();
  parallel_for(N * C, grain_for(oh * ow * g.kernel[0] * g.kernel[1]), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; pl++) {
      const int64_t n = pl / C, c = pl % C;
      const T* plane = xp + n * s[0] + c * s[1];
      T* o = out + pl * oh * ow;
      for (int64_t oy = 0; oy < oh; oy++) {
        const Span sy = span(oy, g.kernel[0], g.stride[0], g.pad[0], H);
        for (int64_t ox = 0; ox < ow; ox++) {
          const Span sx = span(ox, g.kernel[1], g.stride[1], g.pad[1], W);
          double acc = 0;
          for (int64_t y = sy.lo; y < sy.hi; y++)
            for (int64_t xx = sx.lo; xx < sx.hi; xx++) acc += double(plane[y * s[2] + xx * s[3]]);
          // as the composite: the sum rounded to T, divided in T
          o[oy * ow + ox] = T(acc) / T(avg_divisor(sy, sx, include_pad, divisor));
        }
      }
    }
  });
}

template <typename T>
void avg_bwd(const View& gy, const Pool2dGeom& g, int64_t H, int64_t W, bool include_pad, double divisor, T* out) {
  const int64_t N = gy.shape[0], C = gy.shape[1], oh = gy.shape[2], ow = gy.shape[3];
  const int64_t* s = gy.strides;
  const T* gp = gy.ptr<T>();
  const int64_t HW = H * W;
  parallel_for(N * C, grain_for(HW + oh * ow * g.kernel[0] * g.kernel[1]), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; pl++) {
      const int64_t n = pl / C, c = pl % C;
      T* o = out + pl * HW;
      std::memset(o, 0, size_t(HW) * sizeof(T));
      const T* gpl = gp + n * s[0] + c * s[1];
      for (int64_t oy = 0; oy < oh; oy++) {
        const Span sy = span(oy, g.kernel[0], g.stride[0], g.pad[0], H);
        for (int64_t ox = 0; ox < ow; ox++) {
          const Span sx = span(ox, g.kernel[1], g.stride[1], g.pad[1], W);
          const T v = gpl[oy * s[2] + ox * s[3]] / T(avg_divisor(sy, sx, include_pad, divisor));
          for (int64_t y = sy.lo; y < sy.hi; y++)
            for (int64_t xx = sx.lo; xx < sx.hi; xx++) o[y * W + xx] += v;
        }
      }
    }
  });
}

void check_geom(const char* op, const Pool2dGeom& g) {
  for (int i = 0; i < 2; i++)
    if (g.kernel[i] < 1 || g.stride[i] < 1 || g.dilation[i] < 1 || g.pad[i] < 0 || g.out[i] < 0)
      throw KernelRangeError(std::string(op) + ": bad geometry");
}

}  // namespace

void k_max_pool2d(const View& x, const Pool2dGeom& g, void* values, void* indices) {
  check_float("maxPool2d", x);
  check_geom("maxPool2d", g);
  if (x.shape[0] * x.shape[1] * g.out[0] * g.out[1] == 0) return;
  if (x.dtype == DType::F32)
    max_fwd<float>(x, g, static_cast<float*>(values), static_cast<int64_t*>(indices));
  else
    max_fwd<double>(x, g, static_cast<double*>(values), static_cast<int64_t*>(indices));
}

void k_max_pool2d_backward(const View& gy, const View& indices, int64_t H, int64_t W, void* out) {
  check_float("maxPool2dBackward", gy);
  if (indices.dtype != DType::I64 || indices.ndim != 4) throw KernelTypeError("maxPool2dBackward: indices must be a 4-D int64 view");
  for (int d = 0; d < 4; d++)
    if (indices.shape[d] != gy.shape[d]) throw KernelRangeError("maxPool2dBackward: indices and grad shapes differ");
  if (gy.shape[0] * gy.shape[1] * H * W == 0) return;
  if (gy.dtype == DType::F32)
    max_bwd<float>(gy, indices, H, W, static_cast<float*>(out));
  else
    max_bwd<double>(gy, indices, H, W, static_cast<double*>(out));
}

void k_avg_pool2d(const View& x, const Pool2dGeom& g, bool include_pad, double divisor, void* out) {
  check_float("avgPool2d", x);
  check_geom("avgPool2d", g);
  if (x.shape[0] * x.shape[1] * g.out[0] * g.out[1] == 0) return;
  if (x.dtype == DType::F32)
    avg_fwd<float>(x, g, include_pad, divisor, static_cast<float*>(out));
  else
    avg_fwd<double>(x, g, include_pad, divisor, static_cast<double*>(out));
}

void k_avg_pool2d_backward(const View& gy, const Pool2dGeom& g, int64_t H, int64_t W, bool include_pad, double divisor,
                           void* out) {
  check_float("avgPool2dBackward", gy);
  check_geom("avgPool2dBackward", g);
  if (gy.shape[0] * gy.shape[1] * H * W == 0) return;
  if (gy.dtype == DType::F32)
    avg_bwd<float>(gy, g, H, W, include_pad, divisor, static_cast<float*>(out));
  else
    avg_bwd<double>(gy, g, H, W, include_pad, divisor, static_cast<double*>(out));
}

}  // namespace tensile
