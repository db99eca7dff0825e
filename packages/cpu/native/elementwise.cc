// Elementwise family: fill, arange, random (Philox), copy (materialise a view into a strided
// destination) and where. Unary, binary and cast live in elementwise_{unary,binary,cast}.cc.
#include <algorithm>
#include <string>

#include "elementwise.h"
#include "philox.h"

namespace tensile {

using namespace ew;

void k_fill(void* out, DType dt, int64_t numel, double value) {
  dispatch_dtype(dt, [&](auto d) {
    constexpr DType D = decltype(d)::value;
    using S = S_t<D>;
    S v;
    if constexpr (D == DType::Bool) v = value != 0;  // NaN -> true
    else v = Tr<D>::store(value);
    S* o = static_cast<S*>(out);
    for_range(numel, kGrainCheap, [&](int64_t b, int64_t e) { std::fill(o + b, o + e, v); });
  });
}

void k_arange(void* out, DType dt, int64_t numel, double start, double step) {
  dispatch_dtype(dt, [&](auto d) {
    constexpr DType D = decltype(d)::value;
    using S = S_t<D>;
    S* o = static_cast<S*>(out);
    for_range(numel, kGrainCheap, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i++) {
        const double t = double(i) * step;
        o[i] = Tr<D>::store(start + t);
      }
    });
  });
}

void k_random(void* out, DType dt, int64_t numel, RandomKind kind, uint32_t key0, uint32_t key1, int64_t offset) {
  dispatch_dtype(dt, [&](auto d) {
    constexpr DType D = decltype(d)::value;
    using S = S_t<D>;
    S* o = static_cast<S*>(out);
    constexpr int bits = D == DType::F16 ? 11 : D == DType::BF16 ? 8 : 24;
    const uint64_t base = uint64_t(offset);
    if (kind == RandomKind::Uniform) {
      for_range(numel, kGrainMath, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++) o[i] = Tr<D>::store(philox_uniform(key0, key1, base + uint64_t(i), bits));
      });
    } else {
      for_range(numel, kGrainMath, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++) o[i] = Tr<D>::store(philox_normal(key0, key1, base + uint64_t(i)));
      });
    }
  });
}

namespace {

// A contiguous copy as a plain vectorised loop. Without the attribute GCC turns the loop into a
// memcpy call, and glibc's memcpy uses `rep movsb` at these sizes, which on AMD Zen runs at half
// speed or less for some relative alignments of source and destination (timings varied 2x from
// one buffer pair to the next).
template <class T>
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void copy_contiguous(T* o, const T* p, int64_t n) {
  for (int64_t j = 0; j < n; j++) o[j] = p[j];
}

// A transposing copy (the destination runs along the innermost dim, the source along another,
// as in x.t().contiguous()): walk 32 x 32 tiles of those two dims so both sides stay in cache,
// instead of reading the source with a large stride. Returns false when the layout is not one.
template <class T>
bool copy_transposed(const StridedLoop<2>& L, const T* in, T* out) {
  const int nd = L.ndim, last = nd - 1;
  if (nd < 2 || L.strides[0][last] != 1 || L.strides[1][last] == 1 || L.numel < 4096) return false;
  int d = -1;  // the dim the source is contiguous along
  for (int k = 0; k < last; k++)
    if (L.strides[1][k] == 1) d = k;
  if (d < 0) return false;
  constexpr int64_t kTile = 8;  // 8 x 8: power-of-two strides alias in L1 beyond that
  const int64_t rows = L.shape[d], cols = L.shape[last];
  const int64_t od = L.strides[0][d], sl = L.strides[1][last];
  // the other dims, walked by a loop of their own
  int64_t oshape[kMaxDims], ostr0[kMaxDims], ostr1[kMaxDims];
  int no = 0;
  for (int k = 0; k < last; k++) {
    if (k == d) continue;
    oshape[no] = L.shape[k];
    ostr0[no] = L.strides[0][k];
    ostr1[no] = L.strides[1][k];
    no++;
  }
  const int64_t* os[2] = {ostr0, ostr1};
  StridedLoop<2> O(no, oshape, os);
  const int64_t rt = (rows + kTile - 1) / kTile, ct = (cols + kTile - 1) / kTile;
  const int64_t tiles = O.numel * rt * ct;
  parallel_for(tiles, std::max<int64_t>(1, kGrainCheap / (kTile * kTile)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; t++) {
      const int64_t o = t / (rt * ct), r0 = (t / ct) % rt * kTile, c0 = t % ct * kTile;
      int64_t base0 = 0, base1 = 0;
      O.run(o, o + 1, [&](const int64_t* off, int64_t, const int64_t*) {
        base0 = off[0];
        base1 = off[1];
      });
      const int64_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
      for (int64_t c = c0; c < c1; c++) {
        const T* src = in + base1 + c * sl;
        T* dst = out + base0 + c;
        for (int64_t r = r0; r < r1; r++) dst[r * od] = src[r];
      }
    }
  });
  return true;
}

}  // namespace

void k_copy(const View& src, const View& dst) {
  check_ndim(src, "copy");
  if (src.dtype != dst.dtype)
    throw KernelTypeError(std::string("copy: dtype mismatch ") + dtype_name(src.dtype) + " -> " + dtype_name(dst.dtype));
  if (src.ndim != dst.ndim) throw KernelRangeError("copy: source and destination ranks differ");
  for (int d = 0; d < src.ndim; d++)
    if (src.shape[d] != dst.shape[d]) throw KernelRangeError("copy: source and destination shapes differ");
  dispatch_size(itemsize(src.dtype), [&](auto sz) {
    using T = typename RawT<decltype(sz)::value>::T;
    T* out = dst.ptr<T>();
    const T* in = src.ptr<T>();
    const int64_t* strides[2] = {dst.strides, src.strides};
    StridedLoop<2> L(src.ndim, src.shape, strides);
    if (copy_transposed<T>(L, in, out)) return;
    for_range(L.numel, kGrainCheap, [&](int64_t b, int64_t e) {
      L.run(b, e, [&](const int64_t* off, int64_t n, const int64_t* st) {
        T* o = out + off[0];
        const T* p = in + off[1];
        const int64_t so = st[0], si = st[1];
        if (so == 1 && si == 1)
          copy_contiguous(o, p, n);
        else
          for (int64_t j = 0; j < n; j++) o[j * so] = p[j * si];
      });
    });
  });
}

void k_where(const View& cond, const View& a, const View& b, void* outp) {
  check_ndim(a, "where");
  if (a.dtype != b.dtype) throw KernelTypeError("where: a and b dtypes differ");
  if (cond.ndim != a.ndim || b.ndim != a.ndim) throw KernelRangeError("where: operand ranks differ");
  const size_t csz = itemsize(cond.dtype);
  if (csz != 1) throw KernelTypeError(std::string("where: cond must be bool, got ") + dtype_name(cond.dtype));
  dispatch_size(itemsize(a.dtype), [&](auto sz) {
    using T = typename RawT<decltype(sz)::value>::T;
    T* out = static_cast<T*>(outp);
    const uint8_t* pc = cond.ptr<uint8_t>();
    const T* pa = a.ptr<T>();
    const T* pb = b.ptr<T>();
    int64_t ostr[kMaxDims];
    contiguous_strides(a.ndim, a.shape, ostr);
    const int64_t* strides[4] = {ostr, cond.strides, a.strides, b.strides};
    StridedLoop<4> L(a.ndim, a.shape, strides);
    for_range(L.numel, kGrainCheap, [&](int64_t s0, int64_t e0) {
      L.run(s0, e0, [&](const int64_t* off, int64_t n, const int64_t* st) {
        T* o = out + off[0];
        const uint8_t* c = pc + off[1];
        const T* x = pa + off[2];
        const T* y = pb + off[3];
        // Contiguous paths select with bit masks (no branch on data: random conditions would
        // mispredict half the time), so the compiler vectorises them.
        if (st[1] == 1 && st[2] == 1 && st[3] == 1)
          for (int64_t j = 0; j < n; j++) {
            const T m = T(0) - T(c[j] != 0);
            o[j] = T((x[j] & m) | (y[j] & T(~m)));
          }
        else if (st[1] == 1 && st[2] == 1 && st[3] == 0) {  // where(c, x, scalar): relu and its gradient
          const T y0 = y[0];
          for (int64_t j = 0; j < n; j++) {
            const T m = T(0) - T(c[j] != 0);
            o[j] = T((x[j] & m) | (y0 & T(~m)));
          }
        } else if (st[1] == 1 && st[2] == 0 && st[3] == 1) {
          const T x0 = x[0];
          for (int64_t j = 0; j < n; j++) {
            const T m = T(0) - T(c[j] != 0);
            o[j] = T((x0 & m) | (y[j] & T(~m)));
          }
        } else
          for (int64_t j = 0; j < n; j++) o[j] = c[j * st[1]] ? x[j * st[2]] : y[j * st[3]];
      });
    });
  });
}

}  // namespace tensile
