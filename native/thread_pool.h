// A small persistent thread pool. The calling thread takes part as worker 0, so a pool of n threads owns
// n - 1 std::threads. Jobs are fork-join: run() returns after every worker has finished its part.
#pragma once

#include <functional>

namespace mg {

// Default thread count: MOLGROVE_THREADS if set to a positive integer, else hardware_concurrency(),
// capped at kMaxDefaultThreads.
int default_num_threads();

// The number of threads parallel kernels may use (>= 1).
int get_num_threads();

// Sets the thread count (clamped to [1, kMaxThreads]); workers are started lazily on the next job.
void set_num_threads(int n);

// Runs fn(tid, nthreads) for tid in [0, nthreads) on up to `nthreads` threads and waits for all of them.
// When the pool is busy (e.g. called from two JS worker threads at once) or nthreads <= 1, it calls
// fn(0, 1) on the calling thread instead, so callers must make their results independent of the split.
void parallel_for(int nthreads, const std::function<void(int tid, int nthreads)>& fn);

constexpr int kMaxThreads = 256;
constexpr int kMaxDefaultThreads = 32;

}  // namespace mg
