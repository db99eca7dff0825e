// Reductions over axes (sum, prod, max, min, argmax, argmin) and cumsum, on strided views.
//
// reduce: the input's dims split into kept dims (the output, row-major) and reduced dims. Three
// schedules: (1) many outputs: outputs are split over the threads and each is reduced along its
// (collapsed) reduced dims; (2) few outputs with much to reduce: the reduced range is split over
// the threads and partial results are merged in order; (3) the innermost input dim is kept and
// contiguous (e.g. a sum over the batch dim): rows are accumulated into a block of output
// accumulators, so the inner loop runs contiguously. Float sums and products accumulate in
// double (float32 included, as the JS backend; contiguous float32 runs under AVX2/AVX-512 add
// float32 partial sums of 16 values into double lanes), integers in wrapping int64; max/min
// propagate NaN; argmax/argmin take the first index on ties and the first NaN.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "dtype.h"
#include "iter.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {

// Per-ISA contiguous float32 runs (reduce_avx512.cc, reduce_avx2.cc): sum in double, max/min
// with NaN propagation; false: not covered, use the generic loop.
namespace simd_avx512 {
bool reduce_f32(ReduceOp op, const float* p, int64_t n, double* out);
}
namespace simd_avx2 {
bool reduce_f32(ReduceOp op, const float* p, int64_t n, double* out);
}

namespace {

constexpr int64_t kGrain = int64_t(1) << 15;
// Split reductions (few outputs, long reduced range) cut the range into up to this many chunks per
// thread: the pool hands chunks out dynamically, so when a worker starts late (woken from sleep, or
// preempted on a busy machine) the caller takes over more of the work instead of waiting for it.
// The partials are still merged in chunk order, so results depend only on the thread count.
constexpr int64_t kChunksPerThread = 4;

// ---- accumulators ----

template <DType D, ReduceOp OP>
struct Acc {
  using S = S_t<D>;
  using C = C_t<D>;
  static constexpr bool kFloat = is_float_v<D> || D == DType::Bool;
  // sum/prod accumulate in double (floats, bool) or int64; max/min in the compute type
  using A = std::conditional_t<(OP == ReduceOp::Sum || OP == ReduceOp::Prod), std::conditional_t<kFloat, double, int64_t>, C>;

  A v;
  Acc() {
    if constexpr (OP == ReduceOp::Sum) v = A(0);
    else if constexpr (OP == ReduceOp::Prod) v = A(1);
    else if constexpr (kFloat) v = OP == ReduceOp::Max ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::infinity();
    else v = OP == ReduceOp::Max ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  static A combine(A a, A x) {
    if constexpr (OP == ReduceOp::Sum) {
      if constexpr (kFloat) return a + x;
      else return wadd(a, x);
    } else if constexpr (OP == ReduceOp::Prod) {
      if constexpr (kFloat) return a * x;
      else return wmul(a, x);
    } else if constexpr (OP == ReduceOp::Max) {
      if constexpr (kFloat) return (x != x || (a == a && x > a)) ? x : a;
      else return x > a ? x : a;
    } else {
      if constexpr (kFloat) return (x != x || (a == a && x < a)) ? x : a;
      else return x < a ? x : a;
    }
  }
  void add(S s) { v = combine(v, A(Tr<D>::load(s))); }
  void merge(const Acc& o) { v = combine(v, o.v); }
  S result() const {
    if constexpr (D == DType::Bool) return v != 0;
    else return Tr<D>::store(v);
  }

  // Reduce a run of n elements at stride s.
  void run(const S* p, int64_t n, int64_t s) {
    if constexpr (D == DType::F32 && (OP == ReduceOp::Sum || OP == ReduceOp::Max || OP == ReduceOp::Min)) {
      if (s == 1 && n >= 64) {
        const Isa isa = active_isa();
        double r = 0;
        const bool done = isa == Isa::Avx512 ? simd_avx512::reduce_f32(OP, p, n, &r)
                          : isa == Isa::Avx2 ? simd_avx2::reduce_f32(OP, p, n, &r)
                                             : false;
        if (done) {
          // sums accumulate in double (as below); max/min results are exact float values or NaN
          if constexpr (OP == ReduceOp::Sum) v += r;
          else v = combine(v, A(r));
          return;
        }
      }
    }
    if constexpr (OP == ReduceOp::Sum && kFloat) {
      if (s == 1 && n >= 16) {
        // eight independent partial sums: vectorisable without reassociating one chain
        double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t j = 0;
        for (; j + 8 <= n; j += 8)
          for (int l = 0; l < 8; l++) part[l] += double(Tr<D>::load(p[j + l]));
        double t = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
        for (; j < n; j++) t += double(Tr<D>::load(p[j]));
        v += t;
        return;
      }
    }
    if (s == 1)
      for (int64_t j = 0; j < n; j++) add(p[j]);
    else
      for (int64_t j = 0; j < n; j++) add(p[j * s]);
  }
};

template <DType D, bool MAX>
struct ArgAcc {
  using S = S_t<D>;
  using C = C_t<D>;
  C best{};
  int64_t pos = 0;
  bool seen = false;
  void update(C v, int64_t p) {
    if (!seen || (best == best && (v != v || (MAX ? v > best : v < best)))) {
      best = v;
      pos = p;
      seen = true;
    }
  }
  void merge(const ArgAcc& o) {
    if (o.seen) update(o.best, o.pos);
  }
};

struct Plan {
  int ndim = 0;
  // kept and reduced dims (uncollapsed), in input order
  int nk = 0, nr = 0;
  int64_t kshape[kMaxDims], kstr[kMaxDims], rshape[kMaxDims], rstr[kMaxDims];
  int64_t outN = 1, redN = 1;
};

Plan make_plan(const View& x, const int* axes, int naxes) {
  Plan P;
  bool is_axis[kMaxDims] = {};
  for (int i = 0; i < naxes; i++) {
    if (axes[i] < 0 || axes[i] >= x.ndim) throw KernelRangeError("reduce: axis " + std::to_string(axes[i]) + " out of range");
    is_axis[axes[i]] = true;
  }
  for (int d = 0; d < x.ndim; d++) {
    if (is_axis[d]) {
      P.rshape[P.nr] = x.shape[d];
      P.rstr[P.nr++] = x.strides[d];
      P.redN *= x.shape[d];
    } else {
      P.kshape[P.nk] = x.shape[d];
      P.kstr[P.nk++] = x.strides[d];
      P.outN *= x.shape[d];
    }
  }
  return P;
}

template <DType D, ReduceOp OP>
void reduce_kernel(const View& x, const Plan& P, void* outp) {
  using S = S_t<D>;
  using A = Acc<D, OP>;
  S* out = static_cast<S*>(outp);
  const S* in = x.ptr<S>();
  if (P.outN == 0) return;
  if (P.redN == 0) {
    const S v = A().result();
    std::fill(out, out + P.outN, v);
    return;
  }
  const int64_t* ks[1] = {P.kstr};
  const int64_t* rs[1] = {P.rstr};
  StridedLoop<1> K(P.nk, P.kshape, ks);
  StridedLoop<1> R(P.nr, P.rshape, rs);
  const int threads = num_threads();

  // (3) innermost kept dim contiguous and reduced dims outside it: accumulate rows.
  if (P.nk > 0 && K.strides[0][K.ndim - 1] == 1 && K.shape[K.ndim - 1] > 1 && P.redN > 1) {
    bool inner_is_kept = true;
    // the reduced dims must not be inside the kept inner run: their strides are >= its length
    for (int d = 0; d < R.ndim; d++)
      if (std::llabs(R.strides[0][d]) < K.shape[K.ndim - 1] && R.shape[d] > 1) inner_is_kept = false;
    if (inner_is_kept) {
      const int64_t L = K.shape[K.ndim - 1];
      const int64_t outer = P.outN / L;
      const int64_t* os[1] = {K.strides[0]};
      StridedLoop<1> O(K.ndim - 1, K.shape, os);
      constexpr int64_t kBlock = 512;
      const int64_t blocks = (L + kBlock - 1) / kBlock;
      const int64_t work_per_item = std::min<int64_t>(L, kBlock) * P.redN;
      const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, work_per_item));
      parallel_for(outer * blocks, grain, [&](int64_t b, int64_t e) {
        using AV = typename A::A;
        AV acc[kBlock];
        for (int64_t item = b; item < e; item++) {
          const int64_t o = item / blocks, blk = item % blocks;
          int64_t base = 0;
          O.run(o, o + 1, [&](const int64_t* off, int64_t, const int64_t*) { base = off[0]; });
          const int64_t j0 = blk * kBlock, n = std::min(kBlock, L - j0);
          const A init;
          for (int64_t j = 0; j < n; j++) acc[j] = init.v;
          R.run(0, P.redN, [&](const int64_t* roff, int64_t rn, const int64_t* rst) {
            for (int64_t r = 0; r < rn; r++) {
              const S* row = in + base + roff[0] + r * rst[0] + j0;
              for (int64_t j = 0; j < n; j++) acc[j] = A::combine(acc[j], AV(Tr<D>::load(row[j])));
            }
          });
          S* dst = out + o * L + j0;
          for (int64_t j = 0; j < n; j++) {
            A a;
            a.v = acc[j];
            dst[j] = a.result();
          }
        }
      });
      return;
    }
  }

  // (2) few outputs, long reductions: split the reduced range, merge partials in order.
  if (P.outN < threads && P.redN >= 2 * kGrain && threads > 1) {
    for (int64_t oi = 0; oi < P.outN; oi++) {
      int64_t base = 0;
      K.run(oi, oi + 1, [&](const int64_t* off, int64_t, const int64_t*) { base = off[0]; });
      const int64_t chunks = std::min<int64_t>(int64_t(threads) * kChunksPerThread, P.redN / kGrain);
      std::vector<A> parts(static_cast<size_t>(chunks));
      parallel_for_each(chunks, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; c++) {
          const int64_t s = P.redN * c / chunks, t = P.redN * (c + 1) / chunks;
          R.run(s, t, [&](const int64_t* off, int64_t n, const int64_t* st) { parts[size_t(c)].run(in + base + off[0], n, st[0]); });
        }
      });
      A total;
      for (auto& p : parts) total.merge(p);
      out[oi] = total.result();
    }
    return;
  }

  // (1) one output at a time, outputs split over the threads.
  const int64_t grain = std::max<int64_t>(1, kGrain / P.redN);
  parallel_for(P.outN, grain, [&](int64_t b, int64_t e) {
    int64_t oi = b;
    K.run(b, e, [&](const int64_t* off, int64_t n, const int64_t* st) {
      for (int64_t j = 0; j < n; j++, oi++) {
        const S* base = in + off[0] + j * st[0];
        A acc;
        R.run(0, P.redN, [&](const int64_t* roff, int64_t rn, const int64_t* rst) { acc.run(base + roff[0], rn, rst[0]); });
        out[oi] = acc.result();
      }
    });
  });
}

template <DType D, bool MAX>
void arg_kernel(const View& x, int axis, void* outp) {
  using S = S_t<D>;
  using AA = ArgAcc<D, MAX>;
  int64_t* out = static_cast<int64_t*>(outp);
  const S* in = x.ptr<S>();
  const int axes[1] = {axis};
  const Plan P = make_plan(x, axes, 1);
  if (P.outN == 0) return;
  if (P.redN == 0) {
    std::fill(out, out + P.outN, int64_t(0));
    return;
  }
  const int64_t size = P.redN, stride = P.rstr[0];
  const int64_t* ks[1] = {P.kstr};
  StridedLoop<1> K(P.nk, P.kshape, ks);
  const int threads = num_threads();
  auto scan = [&](AA& acc, const S* base, int64_t s, int64_t t) {
    for (int64_t p = s; p < t; p++) acc.update(Tr<D>::load(base[p * stride]), p);
  };
  if (P.outN < threads && size >= 2 * kGrain && threads > 1) {
    for (int64_t oi = 0; oi < P.outN; oi++) {
      int64_t base = 0;
      K.run(oi, oi + 1, [&](const int64_t* off, int64_t, const int64_t*) { base = off[0]; });
      const int64_t chunks = std::min<int64_t>(int64_t(threads) * kChunksPerThread, size / kGrain);
      std::vector<AA> parts(static_cast<size_t>(chunks));
      parallel_for_each(chunks, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; c++) scan(parts[size_t(c)], in + base, size * c / chunks, size * (c + 1) / chunks);
      });
      AA total;
      for (auto& p : parts) total.merge(p);
      out[oi] = total.pos;
    }
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kGrain / size);
  parallel_for(P.outN, grain, [&](int64_t b, int64_t e) {
    int64_t oi = b;
    K.run(b, e, [&](const int64_t* off, int64_t n, const int64_t* st) {
      for (int64_t j = 0; j < n; j++, oi++) {
        AA acc;
        scan(acc, in + off[0] + j * st[0], 0, size);
        out[oi] = acc.pos;
      }
    });
  });
}

template <class F>
void dispatch_reduce(ReduceOp op, F&& f) {
  switch (op) {
    case ReduceOp::Sum: f(std::integral_constant<ReduceOp, ReduceOp::Sum>{}); return;
    case ReduceOp::Prod: f(std::integral_constant<ReduceOp, ReduceOp::Prod>{}); return;
    case ReduceOp::Max: f(std::integral_constant<ReduceOp, ReduceOp::Max>{}); return;
    case ReduceOp::Min: f(std::integral_constant<ReduceOp, ReduceOp::Min>{}); return;
    default: break;
  }
  throw KernelTypeError("reduce: unknown op code " + std::to_string(int(op)));
}

// ---- cumsum ----

template <DType D>
void cumsum_kernel(const View& x, int dim, void* outp) {
  using S = S_t<D>;
  // running sums: float32/halves in float (as the JS Float32Array store), float64 in double,
  // integers in wrapping int64, bool as a count
  using A = std::conditional_t<D == DType::F64, double, std::conditional_t<is_float_v<D>, float, int64_t>>;
  S* out = static_cast<S*>(outp);
  const S* in = x.ptr<S>();
  const int64_t numel = x.numel();
  if (numel == 0) return;
  const int64_t size = x.shape[dim], dstride = x.strides[dim];
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < dim; d++) outer *= x.shape[d];
  for (int d = dim + 1; d < x.ndim; d++) inner *= x.shape[d];
  const int64_t* os[1] = {x.strides};
  StridedLoop<1> O(dim, x.shape, os);
  const int64_t* is[1] = {x.strides + dim + 1};
  StridedLoop<1> I(x.ndim - dim - 1, x.shape + dim + 1, is);
  // input offsets of the inner positions
  std::vector<int64_t> ioff(static_cast<size_t>(inner));
  {
    int64_t k = 0;
    for_each_offset(I, 0, inner, [&](int64_t o) { ioff[size_t(k++)] = o; });
  }
  auto load = [](S v) -> A {
    if constexpr (D == DType::Bool) return v ? 1 : 0;
    else return A(Tr<D>::load(v));
  };
  auto store = [](A v) -> S {
    if constexpr (D == DType::Bool) return v != 0;
    else return Tr<D>::store(v);
  };
  constexpr int64_t kBlock = 1024;
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, size * std::min(inner, kBlock)));
  parallel_for(outer * blocks, grain, [&](int64_t b, int64_t e) {
    A run[kBlock];
    for (int64_t item = b; item < e; item++) {
      const int64_t o = item / blocks, blk = item % blocks;
      int64_t base = 0;
      O.run(o, o + 1, [&](const int64_t* off, int64_t, const int64_t*) { base = off[0]; });
      const int64_t i0 = blk * kBlock, n = std::min(kBlock, inner - i0);
      for (int64_t p = 0; p < size; p++) {
        const S* src = in + base + p * dstride;
        S* dst = out + (o * size + p) * inner + i0;
        for (int64_t i = 0; i < n; i++) {
          const A v = load(src[ioff[size_t(i0 + i)]]);
          if constexpr (std::is_integral_v<A>) run[i] = p == 0 ? v : wadd(run[i], v);
          else run[i] = p == 0 ? v : run[i] + v;
          dst[i] = store(run[i]);
        }
      }
    }
  });
}

}  // namespace

void k_reduce(ReduceOp op, const View& x, const int* axes, int naxes, void* out) {
  if (x.ndim > kMaxDims) throw KernelRangeError("reduce: too many dims");
  if (op == ReduceOp::ArgMax || op == ReduceOp::ArgMin) {
    if (naxes != 1) throw KernelRangeError("reduce: argmax/argmin take exactly one axis");
    if (axes[0] < 0 || axes[0] >= x.ndim) throw KernelRangeError("reduce: axis out of range");
    dispatch_dtype(x.dtype, [&](auto d) {
      if (op == ReduceOp::ArgMax) arg_kernel<decltype(d)::value, true>(x, axes[0], out);
      else arg_kernel<decltype(d)::value, false>(x, axes[0], out);
    });
    return;
  }
  const Plan P = make_plan(x, axes, naxes);
  dispatch_dtype(x.dtype, [&](auto d) {
    dispatch_reduce(op, [&](auto o) { reduce_kernel<decltype(d)::value, decltype(o)::value>(x, P, out); });
  });
}

void k_cumsum(const View& x, int dim, void* out) {
  if (x.ndim > kMaxDims) throw KernelRangeError("cumsum: too many dims");
  if (x.ndim == 0) {
    // a 0-d tensor: its single value
    dispatch_size(itemsize(x.dtype), [&](auto sz) {
      using T = typename RawT<decltype(sz)::value>::T;
      *static_cast<T*>(out) = *x.ptr<T>();
    });
    return;
  }
  if (dim < 0 || dim >= x.ndim) throw KernelRangeError("cumsum: dim " + std::to_string(dim) + " out of range");
  dispatch_dtype(x.dtype, [&](auto d) { cumsum_kernel<decltype(d)::value>(x, dim, out); });
}

}  // namespace tensile
