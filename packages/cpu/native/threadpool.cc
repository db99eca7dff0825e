// The persistent thread pool behind parallel_for (see threadpool.h).
// Waiting: after a job, workers watch for the next one for kSpinNs (250 µs), then sleep on a
// condition variable; the caller watches for the workers' last chunks for up to kWaitSpinNs
// (2 ms) before blocking. Each watch spins with a pause instruction for its first 30 µs, then
// also yields the core to any other runnable thread between checks, so a waiting thread costs
// other processes little, and an idle pool sleeps within a quarter millisecond. Why watch this
// long: on this class of VM a futex wake-up takes 5-20 µs typically but 1-4 ms now and then
// (the sleeping vCPU is descheduled by the hypervisor), and a GEMM runs two jobs per depth
// block (pack B, then compute), so a worker or caller that went to sleep between them stalled
// the whole product; with 30 µs watches 2-thread sgemm lost up to half its speed at n = 512.
// A job is split into at most `threads` contiguous chunks (parallel_for_each: one per item) that
// the caller and the workers take from an atomic counter; the first exception thrown by a chunk
// is rethrown in the caller.
#include "threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

namespace tensile {

namespace {

// (Overridable for experiments with tools/probe.sh -D...; not a runtime setting.)
#ifndef TENSILE_POOL_SPIN_NS
#define TENSILE_POOL_SPIN_NS 250000
#endif
#ifndef TENSILE_POOL_WAIT_SPIN_NS
#define TENSILE_POOL_WAIT_SPIN_NS 2000000
#endif
constexpr int64_t kSpinNs = TENSILE_POOL_SPIN_NS;
constexpr int64_t kWaitSpinNs = TENSILE_POOL_WAIT_SPIN_NS;
constexpr int64_t kPureSpinNs = 30000;  // after this, yield between checks

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Spins until pred() holds or about limit_ns passed; returns pred()'s last value.
template <class P>
bool spin_until(P&& pred, int64_t limit_ns = kSpinNs) {
  if (pred()) return true;
  const int64_t t0 = now_ns();
  for (;;) {
    for (int i = 0; i < 64; i++) {
      cpu_relax();
      if (pred()) return true;
    }
    const int64_t dt = now_ns() - t0;
    if (dt > limit_ns) return pred();
    if (dt > kPureSpinNs) std::this_thread::yield();
  }
}

thread_local bool t_in_parallel = false;

struct Job {
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0;
  int64_t chunks = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::exception_ptr error;
  std::mutex error_mu;

  void run_chunks() {
    for (;;) {
      const int64_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks) return;
      const int64_t begin = chunks == n ? c : n * c / chunks, end = chunks == n ? c + 1 : n * (c + 1) / chunks;
      try {
        (*fn)(begin, end);
      } catch (...) {
        std::lock_guard<std::mutex> lk(error_mu);
        if (!error) error = std::current_exception();
      }
      done.fetch_add(1, std::memory_order_acq_rel);
    }
  }
};

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }
  ~Pool() { stop(); }

  int threads() const { return threads_; }

  void resize(int threads) {
    std::lock_guard<std::mutex> busy(busy_mu_);
    stop();
    start(threads);
  }

  // chunks_per_thread > 1: up to that many chunks per thread (dynamic balancing).
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn, int64_t chunks_per_thread = 1) {
    if (grain < 1) grain = 1;
    const int64_t max_chunks = (n + grain - 1) / grain;
    if (threads_ <= 1 || max_chunks <= 1 || t_in_parallel) return run_inline(n, fn);
    const int64_t chunks =
        chunks_per_thread >= max_chunks ? max_chunks : std::min<int64_t>(int64_t(threads_) * chunks_per_thread, max_chunks);
    // One job at a time: a second caller (another JS thread) runs its work inline.
    std::unique_lock<std::mutex> busy(busy_mu_, std::try_to_lock);
    if (!busy.owns_lock()) return run_inline(n, fn);
    Job job;
    job.fn = &fn;
    job.n = n;
    job.chunks = chunks;
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &job;
      generation_.store(generation_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    if (sleepers_.load(std::memory_order_acquire) > 0) cv_.notify_all();
    t_in_parallel = true;
    job.run_chunks();
    t_in_parallel = false;
    {
      // Wait until every chunk finished and no worker still looks at the job.
      spin_until([&] { return job.done.load(std::memory_order_acquire) == chunks && active_.load(std::memory_order_acquire) == 0; }, kWaitSpinNs);
      std::unique_lock<std::mutex> lk(mu_);
      done_cv_.wait(lk, [&] { return job.done.load(std::memory_order_acquire) == chunks && active_.load(std::memory_order_acquire) == 0; });
      job_ = nullptr;
    }
    if (job.error) std::rethrow_exception(job.error);
  }

 private:
  static void run_inline(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    const bool was = t_in_parallel;
    t_in_parallel = true;
    try {
      fn(0, n);
    } catch (...) {
      t_in_parallel = was;
      throw;
    }
    t_in_parallel = was;
  }

  void start(int threads) {
    threads_ = std::max(1, threads);
    quit_.store(false);
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this] { worker(); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_.store(true);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void worker() {
    t_in_parallel = true;
    uint64_t seen = generation_.load(std::memory_order_acquire);
    std::unique_lock<std::mutex> lk(mu_, std::defer_lock);
    for (;;) {
      // Spin a little for the next job (cheap re-use for back-to-back kernels), then sleep.
      spin_until([&] { return quit_.load(std::memory_order_relaxed) || generation_.load(std::memory_order_acquire) != seen; });
      lk.lock();
      if (!(quit_.load() || (job_ != nullptr && generation_.load() != seen))) {
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        cv_.wait(lk, [&] { return quit_.load() || (job_ != nullptr && generation_.load() != seen); });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
      if (quit_.load()) return;
      seen = generation_.load();
      Job* job = job_;
      active_.fetch_add(1);
      lk.unlock();
      job->run_chunks();
      lk.lock();
      active_.fetch_sub(1, std::memory_order_release);
      lk.unlock();
      done_cv_.notify_all();
    }
  }

  int threads_ = 1;
  std::atomic<bool> quit_{false};
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  Job* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> active_{0};
  std::atomic<int> sleepers_{0};  // workers blocked (or about to block) on cv_
  std::mutex busy_mu_;
};

int default_threads() {
  const char* env = std::getenv("TENSILE_NUM_THREADS");
  if (env && *env) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (*end != '\0' || v < 1 || v > 1024)
      throw KernelError(std::string("TENSILE_NUM_THREADS must be a positive integer, got '") + env + "'");
    return int(v);
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : int(hc);
}

Pool& pool() {
  // Leaked on purpose: joining workers from a static destructor at exit can deadlock.
  static Pool* p = new Pool(default_threads());
  return *p;
}

}  // namespace

int num_threads() { return pool().threads(); }

void set_num_threads(int n) {
  if (n < 1) throw KernelRangeError("setNumThreads: the thread count must be >= 1, got " + std::to_string(n));
  if (n != pool().threads()) pool().resize(n);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  pool().parallel_for(n, grain, fn);
}

void parallel_for_each(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  pool().parallel_for(n, 1, fn, n);
}

}  // namespace tensile
