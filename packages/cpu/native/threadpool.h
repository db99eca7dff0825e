// A persistent thread pool sized by TENSILE_NUM_THREADS (default: hardware cores). Workers watch
// for the next job for 250 µs after one (back-to-back kernels find them awake; after the first
// 30 µs they yield the core to other runnable threads between checks), then block on a condition
// variable, so an idle pool does not spin against other processes.
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

// Runs fn(i, i + 1) for every i in [0, n), items handed out one at a time to the caller and the
// workers as they come free (dynamic balancing: a late worker just takes fewer items).
void parallel_for_each(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace tensile
