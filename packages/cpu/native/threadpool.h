// A persistent thread pool sized by TENSILE_NUM_THREADS (default: hardware cores). Idle workers
// block on a condition variable, so they do not spin against other processes.
#pragma once
#include <cstdint>
#include <functional>

namespace tensile {

int num_threads();
void set_num_threads(int n);

// Split [0, n) into contiguous chunks of at least `grain` items and run fn(begin, end) on the
// pool (the calling thread takes a chunk too). Runs inline when n is small or one thread is set.
// Nested calls from inside a worker run inline.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace tensile
