// gather and scatterAdd along one dim, on strided views. Indices (int64; int32 accepted) may
// be negative (counted from the end). Every index is checked before anything is written; the
// error names the op and the first bad index in row-major order, as the JS backend:
// "gather: index 5 is out of bounds for dimension 0 with size 3".
//
// scatterAdd runs over "lanes" (index positions with the scattered dim removed): two lanes
// never write the same target element, so lanes go to different threads without atomics, and
// within a lane the additions happen in index order (deterministic, the JS backend's order).
#include <atomic>
#include <limits>
#include <string>

#include "dtype.h"
#include "iter.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {

namespace {

constexpr int64_t kGrain = int64_t(1) << 15;

template <class IT>
void check_indices_t(const char* op, const View& index, int dim, int64_t size) {
  const IT* ip = index.ptr<IT>();
  const int64_t* s[1] = {index.strides};
  StridedLoop<1> L(index.ndim, index.shape, s);
  std::atomic<int64_t> first{std::numeric_limits<int64_t>::max()};
  parallel_for(L.numel, kGrain, [&](int64_t b, int64_t e) {
    int64_t pos = b;
    bool found = false;
    L.run(b, e, [&](const int64_t* off, int64_t n, const int64_t* st) {
      if (found) return;
      for (int64_t j = 0; j < n; j++) {
        const int64_t v = int64_t(ip[off[0] + j * st[0]]);
        if (v < -size || v >= size) {
          found = true;
          pos += j;
          return;
        }
      }
      pos += n;
    });
    if (found) {
      int64_t cur = first.load();
      while (pos < cur && !first.compare_exchange_weak(cur, pos)) {
      }
    }
  });
  const int64_t bad = first.load();
  if (bad == std::numeric_limits<int64_t>::max()) return;
  int64_t v = 0;
  L.run(bad, bad + 1, [&](const int64_t* off, int64_t, const int64_t*) { v = int64_t(ip[off[0]]); });
  throw KernelRangeError(std::string(op) + ": index " + std::to_string(v) + " is out of bounds for dimension " +
                         std::to_string(dim) + " with size " + std::to_string(size));
}

void check_indices(const char* op, const View& index, int dim, int64_t size) {
  if (index.dtype == DType::I64) return check_indices_t<int64_t>(op, index, dim, size);
  if (index.dtype == DType::I32) return check_indices_t<int32_t>(op, index, dim, size);
  throw KernelTypeError(std::string(op) + ": index must be int64, got " + dtype_name(index.dtype));
}

template <class IT, class T>
void gather_kernel(const View& x, int dim, const View& index, void* outp, int64_t size, int64_t dstride) {
  T* out = static_cast<T*>(outp);
  const T* px = x.ptr<T>();
  const IT* ip = index.ptr<IT>();
  int64_t ostr[kMaxDims], xs[kMaxDims];
  contiguous_strides(index.ndim, index.shape, ostr);
  for (int d = 0; d < index.ndim; d++) xs[d] = d == dim ? 0 : x.strides[d];
  const int64_t* strides[3] = {ostr, index.strides, xs};
  StridedLoop<3> L(index.ndim, index.shape, strides);
  parallel_for(L.numel, kGrain, [&](int64_t b, int64_t e) {
    L.run(b, e, [&](const int64_t* off, int64_t n, const int64_t* st) {
      T* o = out + off[0];
      const IT* idx = ip + off[1];
      const T* base = px + off[2];
      for (int64_t j = 0; j < n; j++) {
        int64_t v = int64_t(idx[j * st[1]]);
        if (v < 0) v += size;
        o[j] = base[j * st[2] + v * dstride];
      }
    });
  });
}

template <DType D, class IT>
void scatter_add_kernel(void* target, int ndim, const int64_t* tshape, int dim, const View& index, const View& src) {
  using S = S_t<D>;
  S* t = static_cast<S*>(target);
  const S* ps = src.ptr<S>();
  const IT* ip = index.ptr<IT>();
  int64_t tstr[kMaxDims];
  contiguous_strides(ndim, tshape, tstr);
  const int64_t size = tshape[dim], len = index.shape[dim];
  const int64_t is_d = index.strides[dim], ss_d = src.strides[dim], ts_d = tstr[dim];
  // lanes: the index shape without `dim`
  int64_t lshape[kMaxDims], li[kMaxDims], ls[kMaxDims], lt[kMaxDims];
  int nl = 0;
  for (int d = 0; d < index.ndim; d++) {
    if (d == dim) continue;
    lshape[nl] = index.shape[d];
    li[nl] = index.strides[d];
    ls[nl] = src.strides[d];
    lt[nl] = tstr[d];
    nl++;
  }
  const int64_t* strides[3] = {li, ls, lt};
  StridedLoop<3> L(nl, lshape, strides);
  if (L.numel == 0 || len == 0) return;
  const int64_t grain = std::max<int64_t>(1, kGrain / len);
  parallel_for(L.numel, grain, [&](int64_t b, int64_t e) {
    L.run(b, e, [&](const int64_t* off, int64_t n, const int64_t* st) {
      for (int64_t j = 0; j < n; j++) {
        const IT* idx = ip + off[0] + j * st[0];
        const S* s = ps + off[1] + j * st[1];
        S* tt = t + off[2] + j * st[2];
        for (int64_t p = 0; p < len; p++) {
          int64_t v = int64_t(idx[p * is_d]);
          if (v < 0) v += size;
          S& dst = tt[v * ts_d];
          const auto a = Tr<D>::load(dst), c = Tr<D>::load(s[p * ss_d]);
          if constexpr (is_int_v<D>) dst = Tr<D>::store(wadd(a, c));
          else dst = Tr<D>::store(a + c);
        }
      }
    });
  });
}

}  // namespace

void k_gather(const View& x, int dim, const View& index, void* out) {
  if (index.ndim > kMaxDims || x.ndim > kMaxDims) throw KernelRangeError("gather: too many dims");
  if (index.ndim != x.ndim)
    throw KernelRangeError("gather: index and input must have the same number of dimensions (" +
                           std::to_string(index.ndim) + " vs " + std::to_string(x.ndim) + ")");
  const bool scalar = x.ndim == 0;
  if (!scalar && (dim < 0 || dim >= x.ndim)) throw KernelRangeError("gather: dim " + std::to_string(dim) + " out of range");
  const int64_t size = scalar ? 1 : x.shape[dim];
  const int64_t dstride = scalar ? 0 : x.strides[dim];
  check_indices("gather", index, dim, size);
  dispatch_size(itemsize(x.dtype), [&](auto sz) {
    using T = typename RawT<decltype(sz)::value>::T;
    if (index.dtype == DType::I64) gather_kernel<int64_t, T>(x, dim, index, out, size, dstride);
    else gather_kernel<int32_t, T>(x, dim, index, out, size, dstride);
  });
}

void k_scatter_add(void* target, int ndim, const int64_t* target_shape, int dim, const View& index, const View& src) {
  if (ndim > kMaxDims || index.ndim > kMaxDims) throw KernelRangeError("scatterAdd: too many dims");
  if (index.ndim != src.ndim) throw KernelRangeError("scatterAdd: index and src must have the same shape");
  if (ndim == 0) {
    // 0-d target, index and src: one element along a dim of size 1
    if (index.numel() == 0) return;
    int64_t one[1] = {1};
    View i1 = index, s1 = src;
    i1.ndim = s1.ndim = 1;
    i1.shape[0] = s1.shape[0] = 1;
    i1.strides[0] = s1.strides[0] = 0;
    return k_scatter_add(target, 1, one, 0, i1, s1);
  }
  if (index.ndim != ndim)
    throw KernelRangeError("scatterAdd: index and target must have the same number of dimensions");
  if (dim < 0 || dim >= ndim) throw KernelRangeError("scatterAdd: dim " + std::to_string(dim) + " out of range");
  check_indices("scatterAdd", index, dim, target_shape[dim]);
  dispatch_dtype(src.dtype, [&](auto d) {
    constexpr DType D = decltype(d)::value;
    if (index.dtype == DType::I64) scatter_add_kernel<D, int64_t>(target, ndim, target_shape, dim, index, src);
    else scatter_add_kernel<D, int32_t>(target, ndim, target_shape, dim, index, src);
  });
}

}  // namespace tensile
