// Shared types for the CPU kernels: dtypes, strided views, ISA selection.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace tensile {

// Must match DTYPE_CODES in src/native.ts.
enum class DType : int32_t { F32 = 0, F64 = 1, F16 = 2, BF16 = 3, I32 = 4, I64 = 5, U8 = 6, Bool = 7 };

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::F32: case DType::I32: return 4;
    case DType::F64: case DType::I64: return 8;
    case DType::F16: case DType::BF16: return 2;
    default: return 1;
  }
}

constexpr int kMaxDims = 12;

// A strided view: element (i0, i1, ...) is at data + (offset + sum ik*strides[k]) * itemsize.
// Strides are in elements and may be 0 (broadcast) or negative (flip).
struct View {
  void* data = nullptr;
  DType dtype = DType::F32;
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
  int64_t offset = 0;

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
  }
  bool contiguous() const {
    int64_t expected = 1;
    for (int i = ndim - 1; i >= 0; i--) {
      if (shape[i] == 1) continue;
      if (strides[i] != expected) return false;
      expected *= shape[i];
    }
    return true;
  }
  template <typename T> T* ptr() const { return static_cast<T*>(data) + offset; }
};

// Errors thrown by kernels become JS exceptions in the binding layer.
struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Becomes a JS RangeError (index out of bounds, integer division by zero).
struct KernelRangeError : KernelError {
  using KernelError::KernelError;
};
// Becomes a JS TypeError (unsupported dtype for a kernel).
struct KernelTypeError : KernelError {
  using KernelError::KernelError;
};

// Instruction sets kernels are built for; chosen once at load (cpuid, or TENSILE_CPU_ISA).
enum class Isa : int32_t { Scalar = 0, Avx2 = 1, Avx512 = 2 };
Isa active_isa();
const char* isa_name(Isa isa);
// The best ISA this CPU (and OS) supports, ignoring TENSILE_CPU_ISA.
Isa detected_isa();

const char* dtype_name(DType d);

}  // namespace tensile
