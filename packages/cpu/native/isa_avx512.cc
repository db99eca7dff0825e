// Compiled into the AVX-512 kernel library: reports which flags that library was built with.
#include "kernels.h"

namespace tensile {
int isa_lib_avx512_level() {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
  return 2;
#else
  return 0;
#endif
}
}  // namespace tensile
