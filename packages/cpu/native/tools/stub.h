// Stand-ins for the addon's runtime (ISA selection, thread pool) so the GEMM files can be
// built and tested alone. Tools only; the addon links the real common/threadpool code.
#pragma once
#include "../common.h"
#include "../threadpool.h"

namespace tensile {
void stub_set_isa(Isa isa);
Isa stub_best_isa();
}  // namespace tensile
