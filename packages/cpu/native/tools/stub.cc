// Minimal persistent pool + ISA switch for the standalone GEMM harness (not part of the addon).
#include "stub.h"

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace tensile {

static Isa g_isa = Isa::Scalar;
static bool g_isa_set = false;

Isa stub_best_isa() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl"))
    return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Scalar;
}
void stub_set_isa(Isa isa) {
  g_isa = isa;
  g_isa_set = true;
}
Isa active_isa() {
  if (!g_isa_set) stub_set_isa(stub_best_isa());
  return g_isa;
}
const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "scalar";
  }
}

namespace {
thread_local bool t_in_pool = false;
struct Pool {
  std::mutex mu;
  std::condition_variable cv, done_cv;
  std::vector<std::thread> workers;
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0, chunks = 0;
  int64_t next = 0, finished = 0;
  uint64_t gen = 0;
  bool stop = false;

  void run_chunks() {
    for (;;) {
      int64_t c;
      {
        std::lock_guard<std::mutex> l(mu);
        if (next >= chunks) return;
        c = next++;
      }
      const int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
      (*fn)(b, e);
      std::lock_guard<std::mutex> l(mu);
      if (++finished == chunks) done_cv.notify_all();
    }
  }
  void worker() {
    t_in_pool = true;
    uint64_t seen = 0;
    std::unique_lock<std::mutex> l(mu);
    for (;;) {
      cv.wait(l, [&] { return stop || gen != seen; });
      if (stop) return;
      seen = gen;
      l.unlock();
      run_chunks();
      l.lock();
    }
  }
  void resize(int nt) {
    {
      std::lock_guard<std::mutex> l(mu);
      stop = true;
    }
    cv.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
    stop = false;
    for (int i = 1; i < nt; i++) workers.emplace_back([this] { worker(); });
  }
  ~Pool() { resize(1); }
};
Pool& pool() {
  static Pool p;
  return p;
}
int g_threads = 0;
}  // namespace

int num_threads() {
  if (g_threads == 0) {
    const char* e = std::getenv("TENSILE_NUM_THREADS");
    set_num_threads(e ? std::atoi(e) : int(std::thread::hardware_concurrency()));
  }
  return g_threads;
}
void set_num_threads(int n) {
  if (n < 1) n = 1;
  g_threads = n;
  pool().resize(n);
}

static void run_job(int64_t n, int64_t chunks, const std::function<void(int64_t, int64_t)>& fn) {
  if (chunks <= 1 || num_threads() <= 1 || t_in_pool) return fn(0, n);
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> l(p.mu);
    p.fn = &fn;
    p.n = n;
    p.chunks = chunks;
    p.next = 0;
    p.finished = 0;
    p.gen++;
  }
  p.cv.notify_all();
  t_in_pool = true;
  p.run_chunks();
  t_in_pool = false;
  std::unique_lock<std::mutex> l(p.mu);
  p.done_cv.wait(l, [&] { return p.finished == p.chunks; });
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  run_job(n, std::min<int64_t>(num_threads(), (n + grain - 1) / grain), fn);
}

void parallel_for_each(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  run_job(n, n, fn);
}

}  // namespace tensile
