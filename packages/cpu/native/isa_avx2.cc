// Compiled into the AVX2 kernel library: reports which flags that library was built with, so a
// test can check the per-ISA build (and that nothing leaked -march=native into the rest).
#include "kernels.h"

namespace tensile {
int isa_lib_avx2_level() {
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
  return 1;
#else
  return 0;
#endif
}
}  // namespace tensile
