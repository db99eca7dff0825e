// The persistent thread pool behind parallel_for (see threadpool.h). Workers sleep on a
// condition variable between jobs (passive waiting: no spinning against other processes).
// A job is split into at most `threads` contiguous chunks that the caller and the workers take
// from an atomic counter; the first exception thrown by a chunk is rethrown in the caller.
#include "threadpool.h"

#include <algorithm>
#include <atomic>
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
      const int64_t begin = n * c / chunks, end = n * (c + 1) / chunks;
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

  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (grain < 1) grain = 1;
    const int64_t max_chunks = (n + grain - 1) / grain;
    int64_t chunks = std::min<int64_t>(threads_, max_chunks);
    if (chunks <= 1 || t_in_parallel) return run_inline(n, fn);
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
      generation_++;
    }
    cv_.notify_all();
    t_in_parallel = true;
    job.run_chunks();
    t_in_parallel = false;
    {
      // Wait until every chunk finished and no worker still looks at the job.
      std::unique_lock<std::mutex> lk(mu_);
      done_cv_.wait(lk, [&] { return job.done.load(std::memory_order_acquire) == chunks && active_ == 0; });
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
    quit_ = false;
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this] { worker(); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void worker() {
    t_in_parallel = true;
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return quit_ || (job_ != nullptr && generation_ != seen); });
      if (quit_) return;
      seen = generation_;
      Job* job = job_;
      active_++;
      lk.unlock();
      job->run_chunks();
      lk.lock();
      active_--;
      done_cv_.notify_all();
    }
  }

  int threads_ = 1;
  bool quit_ = false;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  Job* job_ = nullptr;
  uint64_t generation_ = 0;
  int active_ = 0;
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

}  // namespace tensile
