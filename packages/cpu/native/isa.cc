// ISA selection: the best instruction set the CPU and OS support (cpuid through
// __builtin_cpu_supports), or the one TENSILE_CPU_ISA=scalar|avx2|avx512 forces. A forced ISA
// the CPU lacks is refused with an error (the addon then fails to load with that message).
#include <cstdlib>
#include <cstring>
#include <string>

#include "common.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace tensile {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "scalar";
  }
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    case DType::I32: return "int32";
    case DType::I64: return "int64";
    case DType::U8: return "uint8";
    case DType::Bool: return "bool";
  }
  return "unknown";
}

namespace {

#if defined(__x86_64__)
bool has_f16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c & (1u << 29)) != 0;
}
#endif

Isa detect() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  // __builtin_cpu_supports also checks that the OS saves the AVX / AVX-512 register state.
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c();
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  if (avx512) return Isa::Avx512;
  if (avx2) return Isa::Avx2;
#endif
  return Isa::Scalar;
}

// TENSILE_CPU_ASSUME_CPU=scalar|avx2 (tests only) pretends the CPU lacks the higher ISAs, to
// check that forcing one it lacks is refused.
Isa detect_assumed() {
  Isa best = detect();
  const char* env = std::getenv("TENSILE_CPU_ASSUME_CPU");
  if (env && std::strcmp(env, "scalar") == 0) best = Isa::Scalar;
  else if (env && std::strcmp(env, "avx2") == 0 && best == Isa::Avx512) best = Isa::Avx2;
  return best;
}

Isa choose() {
  const Isa best = detect_assumed();
  const char* env = std::getenv("TENSILE_CPU_ISA");
  if (!env || !*env) return best;
  Isa want;
  if (std::strcmp(env, "scalar") == 0) want = Isa::Scalar;
  else if (std::strcmp(env, "avx2") == 0) want = Isa::Avx2;
  else if (std::strcmp(env, "avx512") == 0) want = Isa::Avx512;
  else
    throw KernelError(std::string("TENSILE_CPU_ISA='") + env + "' is not one of scalar, avx2, avx512");
  if (int(want) > int(best)) {
    throw KernelError(std::string("TENSILE_CPU_ISA=") + env + " was requested, but this CPU supports only '" +
                      isa_name(best) + "'" +
#if defined(__x86_64__)
                      (want == Isa::Avx512 ? " (AVX-512 F/BW/DQ/VL are required)" : " (AVX2, FMA and F16C are required)")
#else
                      " (not an x86-64 CPU)"
#endif
    );
  }
  return want;
}

}  // namespace

Isa detected_isa() {
  static const Isa isa = detect_assumed();
  return isa;
}

Isa active_isa() {
  static const Isa isa = choose();
  return isa;
}

}  // namespace tensile
