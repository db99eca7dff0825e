// A generic N-d strided iterator over N operands that share one shape. Dims of size 1 are
// dropped and adjacent dims that are contiguous for every operand are merged, so a contiguous
// tensor becomes one long inner loop. `run(begin, end, f)` walks linear (row-major) positions
// [begin, end) and calls f(off, count, inner) for each run along the innermost dim: operand k's
// elements are at off[k] + j * inner[k] for j < count (offsets in elements).
#pragma once
#include <cstdint>

#include "common.h"

namespace tensile {

// Row-major contiguous strides of a shape.
inline void contiguous_strides(int ndim, const int64_t* shape, int64_t* out) {
  int64_t s = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d];
  }
}

template <int N>
struct StridedLoop {
  int ndim = 0;
  int64_t numel = 1;
  int64_t shape[kMaxDims];
  int64_t strides[N][kMaxDims];

  // strides[k] points at operand k's strides (ndim entries).
  StridedLoop(int nd, const int64_t* shp, const int64_t* const* strd) {
    numel = 1;
    for (int d = 0; d < nd; d++) numel *= shp[d];
    // drop size-1 dims
    int m = 0;
    for (int d = 0; d < nd; d++) {
      if (shp[d] == 1) continue;
      shape[m] = shp[d];
      for (int k = 0; k < N; k++) strides[k][m] = strd[k][d];
      m++;
    }
    // merge dims from the innermost outwards
    int out = 0;
    for (int d = 0; d < m; d++) {
      if (out > 0) {
        bool mergeable = true;
        for (int k = 0; k < N; k++)
          if (strides[k][out - 1] != strides[k][d] * shape[d]) mergeable = false;
        if (mergeable) {
          shape[out - 1] *= shape[d];
          for (int k = 0; k < N; k++) strides[k][out - 1] = strides[k][d];
          continue;
        }
      }
      shape[out] = shape[d];
      for (int k = 0; k < N; k++) strides[k][out] = strides[k][d];
      out++;
    }
    if (out == 0) {
      shape[0] = 1;
      for (int k = 0; k < N; k++) strides[k][0] = 0;
      out = 1;
    }
    ndim = out;
  }

  template <class F>
  void run(int64_t begin, int64_t end, F&& f) const {
    if (begin >= end) return;
    const int last = ndim - 1;
    const int64_t inner = shape[last];
    int64_t idx[kMaxDims];
    int64_t off[N];
    int64_t istr[N];
    for (int k = 0; k < N; k++) {
      off[k] = 0;
      istr[k] = strides[k][last];
    }
    int64_t rest = begin / inner;
    int64_t j = begin % inner;
    for (int d = last - 1; d >= 0; d--) {
      idx[d] = rest % shape[d];
      rest /= shape[d];
      for (int k = 0; k < N; k++) off[k] += idx[d] * strides[k][d];
    }
    for (int k = 0; k < N; k++) off[k] += j * istr[k];
    int64_t pos = begin;
    while (pos < end) {
      const int64_t count = (inner - j < end - pos) ? inner - j : end - pos;
      f(static_cast<const int64_t*>(off), count, static_cast<const int64_t*>(istr));
      pos += count;
      if (pos >= end) break;
      // next row: back to j = 0 and carry through the outer dims
      for (int k = 0; k < N; k++) off[k] -= j * istr[k];
      j = 0;
      for (int d = last - 1; d >= 0; d--) {
        idx[d]++;
        for (int k = 0; k < N; k++) off[k] += strides[k][d];
        if (idx[d] < shape[d]) break;
        for (int k = 0; k < N; k++) off[k] -= strides[k][d] * shape[d];
        idx[d] = 0;
      }
    }
  }
};

// Element offsets of every position of a (shape, strides) space, in row-major order, by callback:
// f(offset) for each of the numel positions in [begin, end).
template <class F>
inline void for_each_offset(const StridedLoop<1>& L, int64_t begin, int64_t end, F&& f) {
  L.run(begin, end, [&](const int64_t* off, int64_t n, const int64_t* st) {
    int64_t o = off[0];
    for (int64_t j = 0; j < n; j++, o += st[0]) f(o);
  });
}

}  // namespace tensile
