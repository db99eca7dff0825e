// See pool.h. A 64-byte header before each buffer holds its size class and references.
#include "pool.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#include "common.h"

namespace tensile {
namespace pool {

namespace {

constexpr uint64_t kMagic = 0x54454e53494c4531ull;  // "TENSILE1"
constexpr size_t kHeader = 64;

struct Header {
  uint64_t magic;
  size_t cap;
  size_t requested;
  std::atomic<int32_t> refs;
  std::atomic<int32_t> owned;  // 1 while the owner reference is held
};
static_assert(sizeof(Header) <= kHeader, "header must fit in one cache line");

struct State {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_lists;  // by capacity, of raw blocks
  Stats s;
};

uint64_t default_limit() {
  const char* env = std::getenv("TENSILE_CPU_POOL_BYTES");
  if (env && *env) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(env, &end, 10);
    if (*end == '\0') return v;
    throw KernelError(std::string("TENSILE_CPU_POOL_BYTES must be a byte count, got '") + env + "'");
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) return uint64_t(pages) * uint64_t(page) / 4;  // a quarter of RAM
  return uint64_t(1) << 30;
}

State& st() {
  static State* s = [] {
    auto* x = new State();  // never destroyed: views may be finalized during teardown
    x->s.limit_bytes = default_limit();
    return x;
  }();
  return *s;
}

Header* header_of(void* p) {
  if (!p) throw KernelError("pool: null buffer");
  auto* h = reinterpret_cast<Header*>(static_cast<char*>(p) - kHeader);
  if (h->magic != kMagic) throw KernelError("pool: not a buffer of this backend (or freed twice)");
  return h;
}

void* raw_of(Header* h) { return h; }

// The last reference went: keep the block for reuse, or free it past the limit.
void recycle(Header* h) {
  State& S = st();
  std::lock_guard<std::mutex> lk(S.mu);
  if (S.s.pooled_bytes + h->cap <= S.s.limit_bytes) {
    S.free_lists[h->cap].push_back(raw_of(h));
    S.s.pooled_bytes += h->cap;
    S.s.pooled_buffers++;
  } else {
    h->magic = 0;
    std::free(raw_of(h));
  }
}

}  // namespace

size_t size_class(size_t bytes) {
  if (bytes <= 64) return 64;
  if (bytes <= 4096) {
    size_t c = 64;
    while (c < bytes) c <<= 1;
    return c;
  }
  size_t base = 4096;
  while (base * 2 < bytes) base <<= 1;  // base < bytes <= 2 * base
  const size_t step = base / 4;
  return base + ((bytes - base + step - 1) / step) * step;
}

void* alloc(size_t bytes) {
  const size_t cap = size_class(bytes);
  State& S = st();
  void* raw = nullptr;
  {
    std::lock_guard<std::mutex> lk(S.mu);
    auto it = S.free_lists.find(cap);
    if (it != S.free_lists.end() && !it->second.empty()) {
      raw = it->second.back();
      it->second.pop_back();
      S.s.pooled_bytes -= cap;
      S.s.pooled_buffers--;
      S.s.hits++;
    } else {
      S.s.misses++;
    }
    S.s.live_bytes += cap;
    S.s.live_buffers++;
    S.s.requested_bytes += bytes;
  }
  if (!raw) {
    if (posix_memalign(&raw, 64, cap + kHeader) != 0 || !raw) {
      std::lock_guard<std::mutex> lk(S.mu);
      S.s.live_bytes -= cap;
      S.s.live_buffers--;
      S.s.requested_bytes -= bytes;
      throw KernelError("cpu: out of memory allocating " + std::to_string(bytes) + " bytes");
    }
  }
  auto* h = static_cast<Header*>(raw);
  h->magic = kMagic;
  h->cap = cap;
  h->requested = bytes;
  h->refs.store(1);
  h->owned.store(1);
  return static_cast<char*>(raw) + kHeader;
}

void release(void* p) {
  Header* h = header_of(p);
  if (h->owned.exchange(0) != 1) throw KernelError("pool: buffer freed twice");
  const bool last = h->refs.fetch_sub(1) == 1;
  {
    State& S = st();
    std::lock_guard<std::mutex> lk(S.mu);
    S.s.live_bytes -= h->cap;
    S.s.live_buffers--;
    S.s.requested_bytes -= h->requested;
    if (!last) {
      S.s.view_bytes += h->cap;
      S.s.view_buffers++;
    }
  }
  if (last) recycle(h);
}

void retain_view(void* p) { header_of(p)->refs.fetch_add(1); }

void release_view(void* p) {
  Header* h = header_of(p);
  if (h->refs.fetch_sub(1) != 1) return;
  {
    State& S = st();
    std::lock_guard<std::mutex> lk(S.mu);
    S.s.view_bytes -= h->cap;
    S.s.view_buffers--;
  }
  recycle(h);
}

size_t capacity(void* p) { return header_of(p)->cap; }

Stats stats() {
  State& S = st();
  std::lock_guard<std::mutex> lk(S.mu);
  return S.s;
}

uint64_t trim(uint64_t keep_bytes) {
  State& S = st();
  std::vector<void*> to_free;
  uint64_t freed = 0;
  {
    std::lock_guard<std::mutex> lk(S.mu);
    for (auto& kv : S.free_lists) {
      auto& v = kv.second;
      while (!v.empty() && S.s.pooled_bytes > keep_bytes) {
        to_free.push_back(v.back());
        v.pop_back();
        S.s.pooled_bytes -= kv.first;
        S.s.pooled_buffers--;
        freed += kv.first;
      }
    }
  }
  for (void* raw : to_free) {
    static_cast<Header*>(raw)->magic = 0;
    std::free(raw);
  }
  return freed;
}

void set_limit(uint64_t bytes) {
  {
    State& S = st();
    std::lock_guard<std::mutex> lk(S.mu);
    S.s.limit_bytes = bytes;
  }
  trim(bytes);
}

}  // namespace pool
}  // namespace tensile
