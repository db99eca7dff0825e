// Fused override: embedding, out[i, :] = weight[index[i], :] for a 2-D weight [num, dim] of any
// dtype and int64/int32 indices of any shape (read in row-major order). Indices are checked
// first (out of range -> RangeError); rows are copied with memcpy when the weight's rows are
// contiguous, over the thread pool.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "fused.h"
#include "kernels.h"
#include "threadpool.h"

namespace tensile {

void k_embedding(const View& weight, const View& index, void* out) {
  if (weight.ndim != 2) throw KernelRangeError("embedding: weight must be 2-D");
  if (index.dtype != DType::I64 && index.dtype != DType::I32)
    throw KernelTypeError(std::string("embedding: expected int64 or int32 indices, got ") + dtype_name(index.dtype));
  const int64_t num = weight.shape[0], dim = weight.shape[1], n = index.numel();
  if (n == 0 || dim == 0) return;
  std::unique_ptr<Scratch> ti;
  const View ic = contiguous_as(index, DType::I64, ti);
  const int64_t* idx = ic.ptr<int64_t>();
  for (int64_t i = 0; i < n; i++)
    if (idx[i] < 0 || idx[i] >= num)
      throw KernelRangeError("embedding: index " + std::to_string(idx[i]) + " is out of bounds for dimension 0 with size " +
                             std::to_string(num));
  const size_t isz = itemsize(weight.dtype);
  const char* w = static_cast<const char*>(weight.data) + weight.offset * int64_t(isz);
  char* o = static_cast<char*>(out);
  const int64_t s0 = weight.strides[0], s1 = weight.strides[1];
  parallel_for(n, std::max<int64_t>(1, (int64_t(1) << 13) / dim), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const char* src = w + idx[i] * s0 * int64_t(isz);
      char* dst = o + i * dim * int64_t(isz);
      if (s1 == 1) {
        std::memcpy(dst, src, size_t(dim) * isz);
      } else {
        for (int64_t j = 0; j < dim; j++) std::memcpy(dst + j * int64_t(isz), src + j * s1 * int64_t(isz), isz);
      }
    }
  });
}

}  // namespace tensile
