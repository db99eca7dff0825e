// Internal to the GEMM family: the BLIS-style blocked driver (packing, cache blocking, threading),
// shared by the per-ISA files. Each including file defines TENSILE_GEMM_NS to a distinct name
// first, so every instantiation lives in a namespace of its own and code compiled with one ISA's
// flags can never be merged (ODR) with another's. Include once per translation unit, at file
// scope.
//
// Loops (C row-major; the micro-kernel computes an MR x NR tile of C):
//   jc: columns of C in blocks of NC      - B block (KC x NC) packed into NR-wide panels (L3)
//     pc: depth in blocks of KC
//       ic: rows of C in blocks of MC     - A block (MC x KC) packed into MR-tall panels (L2)
//         jr: NR-wide panels of B          - B micro-panel (KC x NR) stays in L1/L2
//           ir: MR-tall panels of A        - micro-kernel: MR x NR accumulators in registers
// Edges are zero-padded by packing; the micro-kernel writes back only the valid mr x nr part.
// Threads: with enough rows, each B block is packed once into a shared buffer and the MC-row
// blocks are handed out dynamically (gemm_parallel_rows); with few rows, C is split by columns,
// one part per thread. A packing goes to thread_local buffers, which grow on demand and are
// reused, so steady-state calls allocate nothing.
#ifndef TENSILE_GEMM_NS
#error "define TENSILE_GEMM_NS before including gemm_driver.h"
#endif

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "threadpool.h"

namespace tensile {
namespace gemm_detail {
namespace TENSILE_GEMM_NS {

template <typename T>
struct PackBuffer {
  T* ptr = nullptr;
  size_t cap = 0;  // elements
  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() { std::free(ptr); }
  T* get(size_t n) {
    if (n > cap) {
      std::free(ptr);
      ptr = nullptr;
      cap = 0;
      // Large buffers (the packed B block: up to KC x NC, several MiB) go on 2 MiB-aligned
      // transparent huge pages where the OS allows them (THP "madvise" mode): the micro-kernel
      // streams a fresh B panel every call, and 4 KiB pages cost it L1 TLB misses.
      const size_t align = n * sizeof(T) >= (size_t(1) << 20) ? (size_t(2) << 20) : 4096;
      size_t bytes = (n * sizeof(T) + align - 1) & ~(align - 1);
      void* p = std::aligned_alloc(align, bytes);
      if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
      if (align > 4096) madvise(p, bytes, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
      ptr = static_cast<T*>(p);
      cap = bytes / sizeof(T);
    }
    return ptr;
  }
};

// Per-thread packing buffers, grown on demand and reused (no allocation in steady state).
template <typename T>
struct ThreadBuffers {
  PackBuffer<T> a, b;
};
template <typename T>
ThreadBuffers<T>& thread_buffers() {
  static thread_local ThreadBuffers<T> bufs;
  return bufs;
}

// A block (mc x kc) -> ceil(mc/MR) panels, each kc x MR (element (i, p) at p*MR + i), zero padded.
template <int MR, typename T>
void pack_a(int64_t mc, int64_t kc, const T* A, int64_t rsa, int64_t csa, T* dst) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t mr = std::min<int64_t>(MR, mc - ir);
    const T* a = A + ir * rsa;
    if (mr == MR) {
      if (rsa == 1) {
        for (int64_t p = 0; p < kc; p++) {
          const T* src = a + p * csa;
          for (int i = 0; i < MR; i++) dst[i] = src[i];
          dst += MR;
        }
      } else if (csa == 1) {
        // Row-major A: read the MR rows in chunks of 8 columns, transposing through registers.
        int64_t p = 0;
        for (; p + 8 <= kc; p += 8) {
          T tile[8][MR];
          for (int i = 0; i < MR; i++) {
            const T* src = a + i * rsa + p;
            for (int q = 0; q < 8; q++) tile[q][i] = src[q];
          }
          std::memcpy(dst, tile, sizeof(tile));
          dst += 8 * MR;
        }
        for (; p < kc; p++) {
          for (int i = 0; i < MR; i++) dst[i] = a[i * rsa + p];
          dst += MR;
        }
      } else {
        for (int64_t p = 0; p < kc; p++) {
          for (int i = 0; i < MR; i++) dst[i] = a[i * rsa + p * csa];
          dst += MR;
        }
      }
    } else {
      for (int64_t p = 0; p < kc; p++) {
        int i = 0;
        for (; i < mr; i++) dst[i] = a[i * rsa + p * csa];
        for (; i < MR; i++) dst[i] = T(0);
        dst += MR;
      }
    }
  }
}

// B block (kc x nc) -> ceil(nc/NR) panels, each kc x NR (element (p, j) at p*NR + j), zero padded.
template <int NR, typename T>
void pack_b(int64_t kc, int64_t nc, const T* B, int64_t rsb, int64_t csb, T* dst) {
  const int64_t full = nc / NR;  // complete panels
  if (csb == 1) {
    // Row-major B: walk the rows of B in order (sequential reads), scattering NR-wide pieces
    // into the panels.
    for (int64_t p = 0; p < kc; p++) {
      const T* src = B + p * rsb;
      T* d = dst + p * NR;
      for (int64_t jp = 0; jp < full; jp++) std::memcpy(d + jp * kc * NR, src + jp * NR, NR * sizeof(T));
    }
  } else if (rsb == 1) {
    // Column-major (transposed) B: read each column contiguously in chunks of 8 rows.
    for (int64_t jp = 0; jp < full; jp++) {
      const T* b = B + jp * NR * csb;
      T* d = dst + jp * kc * NR;
      int64_t p = 0;
      for (; p + 8 <= kc; p += 8) {
        T tile[8][NR];
        for (int j = 0; j < NR; j++) {
          const T* src = b + j * csb + p;
          for (int q = 0; q < 8; q++) tile[q][j] = src[q];
        }
        std::memcpy(d, tile, sizeof(tile));
        d += 8 * NR;
      }
      for (; p < kc; p++) {
        for (int j = 0; j < NR; j++) d[j] = b[j * csb + p];
        d += NR;
      }
    }
  } else {
    for (int64_t jp = 0; jp < full; jp++) {
      const T* b = B + jp * NR * csb;
      T* d = dst + jp * kc * NR;
      for (int64_t p = 0; p < kc; p++) {
        for (int j = 0; j < NR; j++) d[j] = b[p * rsb + j * csb];
        d += NR;
      }
    }
  }
  const int64_t nr = nc - full * NR;
  if (nr > 0) {  // last, partial panel: zero padded
    const T* b = B + full * NR * csb;
    T* d = dst + full * kc * NR;
    for (int64_t p = 0; p < kc; p++) {
      const T* src = b + p * rsb;
      int64_t j = 0;
      for (; j < nr; j++) d[j] = src[j * csb];
      for (; j < NR; j++) d[j] = T(0);
      d += NR;
    }
  }
}

inline int64_t round_up(int64_t x, int64_t r) { return (x + r - 1) / r * r; }

// A kernel may offer run_pf (run plus lines to prefetch, see gemm_avx512.cc).
template <class K, class = void>
struct HasRunPf : std::false_type {};
template <class K>
struct HasRunPf<K, std::void_t<decltype(&K::run_pf)>> : std::true_type {};

// The micro-kernels of one B micro-panel (bp) down an A block: with a kernel that can, each call
// also prefetches its share of the next B micro-panel (next), which otherwise comes from L3
// when the first tile needs it.
template <class K>
inline void run_panel(int64_t mc, int64_t kc, const typename K::T* apack, const typename K::T* bp,
                      const typename K::T* next, typename K::T* cp, int64_t ldc, int64_t nr, bool acc) {
  constexpr int MR = K::MR, NR = K::NR;
#ifndef TENSILE_NO_PF
  if constexpr (HasRunPf<K>::value) {
    const int64_t calls = (mc + MR - 1) / MR;
    const int64_t lines = (int64_t(NR) * kc * int64_t(sizeof(typename K::T)) + 63) / 64;
    const int64_t per = (lines + calls - 1) / calls;
    for (int64_t ir = 0, q = 0; ir < mc; ir += MR, q++) {
      const int64_t first = std::min(lines, q * per), n = std::min(lines, first + per) - first;
      K::run_pf(kc, apack + ir * kc, bp, cp + ir * ldc, ldc, std::min<int64_t>(MR, mc - ir), nr, acc,
                reinterpret_cast<const typename K::T*>(reinterpret_cast<const char*>(next) + first * 64), n);
    }
    return;
  }
#endif
  (void)next;
  for (int64_t ir = 0; ir < mc; ir += MR)
    K::run(kc, apack + ir * kc, bp, cp + ir * ldc, ldc, std::min<int64_t>(MR, mc - ir), nr, acc);
}

// A kernel may bring its own `static void pack_b(kc, nc, B, rsb, csb, dst)` (same layout as
// pack_b above); otherwise the generic one is used.
template <class K, class = void>
struct HasPackB : std::false_type {};
template <class K>
struct HasPackB<K, std::void_t<decltype(&K::pack_b)>> : std::true_type {};

// One thread computes the whole (m x n) C block.
// Kernel: using T; MR, NR, MC, KC, NC;
//   static void pack_a(mc, kc, A, rsa, csa, dst)   (usually pack_a<MR> above)
//   static void run(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr, bool acc)
//   (acc: add to C instead of overwriting it).
template <class K>
void gemm_serial(int64_t m, int64_t n, int64_t k, const typename K::T* A, int64_t rsa, int64_t csa,
                 const typename K::T* B, int64_t rsb, int64_t csb, typename K::T* C, int64_t ldc) {
  using T = typename K::T;
  constexpr int MR = K::MR, NR = K::NR;
  if (k <= 0) {
    for (int64_t i = 0; i < m; i++) std::memset(C + i * ldc, 0, sizeof(T) * n);
    return;
  }
  // Balance the depth blocks (e.g. k = 300 with KC = 256 -> 2 x 150, not 256 + 44).
  const int64_t kblocks = (k + K::KC - 1) / K::KC;
  const int64_t KC = round_up((k + kblocks - 1) / kblocks, 8);
  const int64_t NC = std::min<int64_t>(round_up(n, NR), K::NC);
  const int64_t mblocks = (m + K::MC - 1) / K::MC;
  const int64_t MC = std::min<int64_t>(round_up((m + mblocks - 1) / mblocks, MR), K::MC);

  ThreadBuffers<T>& bufs = thread_buffers<T>();
  T* bpack = bufs.b.get(size_t(KC) * NC);
  T* apack = bufs.a.get(size_t(KC) * round_up(MC, MR));

  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t nc = std::min(NC, n - jc);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min(KC, k - pc);
      const bool acc = pc > 0;
      if constexpr (HasPackB<K>::value)
        K::pack_b(kc, nc, B + pc * rsb + jc * csb, rsb, csb, bpack);
      else
        pack_b<NR>(kc, nc, B + pc * rsb + jc * csb, rsb, csb, bpack);
      for (int64_t ic = 0; ic < m; ic += MC) {
        const int64_t mc = std::min(MC, m - ic);
        K::pack_a(mc, kc, A + ic * rsa + pc * csa, rsa, csa, apack);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nr = std::min<int64_t>(NR, nc - jr);
          const T* bp = bpack + jr * kc;
          const T* next = jr + NR < nc ? bp + NR * kc : bpack;
          run_panel<K>(mc, kc, apack, bp, next, C + ic * ldc + jc + jr, ldc, nr, acc);
        }
      }
    }
  }
}

// Few rows, many columns (e.g. a small batch through a wide layer): C is split by columns, one
// part per thread, each running the blocked loops on its part with its own packing buffers.
template <class K>
struct GemmColumnParts {
  using T = typename K::T;
  int64_t m, n, k;
  const T* A;
  int64_t rsa, csa;
  const T* B;
  int64_t rsb, csb;
  T* C;
  int64_t ldc;
  int64_t chunk;  // columns per part, a multiple of NR
  void run_part(int64_t t) const {
    const int64_t j0 = t * chunk, j1 = std::min(n, j0 + chunk);
    gemm_serial<K>(m, j1 - j0, k, A, rsa, csa, B + j0 * csb, rsb, csb, C + j0, ldc);
  }
};

// Several threads on one product with enough rows (the common case): the B block of each
// (jc, pc) step is packed once, all threads packing a share of its panels into one buffer, and
// then the MC-row blocks of A are handed out one at a time (parallel_for_each) to whichever
// thread is free; each packs its A block into its own buffer and runs the micro-kernels against
// the shared B. Packing B once halves its memory traffic and L3 footprint against one private
// copy per thread, and the dynamic hand-out absorbs a core that is slowed for a while (an
// interrupt, another process, the hypervisor): a fixed half each left the other core idle for
// up to 6 ms of a 90 ms product at 2048 on this machine. Each parallel_for returns only when
// all its chunks are done, which is the barrier that protects the shared buffer.
template <class K>
void gemm_parallel_rows(int64_t m, int64_t n, int64_t k, const typename K::T* A, int64_t rsa, int64_t csa,
                        const typename K::T* B, int64_t rsb, int64_t csb, typename K::T* C, int64_t ldc, int nt) {
  using T = typename K::T;
  constexpr int MR = K::MR, NR = K::NR;
  const int64_t kblocks = (k + K::KC - 1) / K::KC;
  const int64_t KC = round_up((k + kblocks - 1) / kblocks, 8);
  const int64_t NC = std::min<int64_t>(round_up(n, NR), K::NC);
  // At least 4 row blocks per thread, so a late or slowed thread costs at most a small block.
  const int64_t want_blocks = std::max<int64_t>((m + K::MC - 1) / K::MC, int64_t(nt) * 4);
  const int64_t MC = std::max<int64_t>(MR, std::min<int64_t>(K::MC, round_up((m + want_blocks - 1) / want_blocks, MR)));
  const int64_t mblocks = (m + MC - 1) / MC;
  T* bpack = thread_buffers<T>().b.get(size_t(KC) * NC);  // the caller's buffer, shared for the call

  struct Step {
    int64_t m, k, MC, KC, nc, kc, jc, pc;
    const T *A, *B;
    int64_t rsa, csa, rsb, csb;
    T* C;
    int64_t ldc;
    T* bpack;
    void pack_panels(int64_t p0, int64_t p1) const {
      const int64_t j0 = p0 * NR, j1 = std::min(nc, p1 * NR);
      const T* src = B + pc * rsb + (jc + j0) * csb;
      if constexpr (HasPackB<K>::value)
        K::pack_b(kc, j1 - j0, src, rsb, csb, bpack + j0 * kc);
      else
        pack_b<NR>(kc, j1 - j0, src, rsb, csb, bpack + j0 * kc);
    }
    void row_block(int64_t blk) const {
      const int64_t ic = blk * MC, mc = std::min(MC, m - ic);
      T* apack = thread_buffers<T>().a.get(size_t(KC) * round_up(MC, MR));
      K::pack_a(mc, kc, A + ic * rsa + pc * csa, rsa, csa, apack);
      const bool acc = pc > 0;
      for (int64_t jr = 0; jr < nc; jr += NR) {
        const int64_t nr = std::min<int64_t>(NR, nc - jr);
        const T* bp = bpack + jr * kc;
        const T* next = jr + NR < nc ? bp + NR * kc : bpack;
        run_panel<K>(mc, kc, apack, bp, next, C + ic * ldc + jc + jr, ldc, nr, acc);
      }
    }
  };
  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t nc = std::min(NC, n - jc);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const Step step{m, k, MC, KC, nc, std::min(KC, k - pc), jc, pc, A, B, rsa, csa, rsb, csb, C, ldc, bpack};
      const Step* st = &step;  // one pointer captured: std::function stores it inline
      const int64_t panels = (nc + NR - 1) / NR;
      parallel_for(panels, 4, [st](int64_t p0, int64_t p1) { st->pack_panels(p0, p1); });
      parallel_for_each(mblocks, [st](int64_t b, int64_t e) {
        for (int64_t blk = b; blk < e; blk++) st->row_block(blk);
      });
    }
  }
}

template <class K>
void gemm(int64_t m, int64_t n, int64_t k, const typename K::T* A, int64_t rsa, int64_t csa,
          const typename K::T* B, int64_t rsb, int64_t csb, typename K::T* C, int64_t ldc) {
  constexpr int MR = K::MR, NR = K::NR;
  const int nt = num_threads();
  const double work = double(m) * double(n) * double(k);
  int64_t parts = 1;
  if (nt > 1 && work >= 96.0 * 96.0 * 96.0) parts = nt;
  if (parts > 1 && k > 0 && m >= parts * MR * 4)
    return gemm_parallel_rows<K>(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc, nt);
  GemmColumnParts<K> args{m, n, k, A, rsa, csa, B, rsb, csb, C, ldc, 0};
  if (parts > 1 && n >= parts * NR * 2) {
    args.chunk = round_up((n + parts - 1) / parts, NR);
    parts = (n + args.chunk - 1) / args.chunk;
  } else {
    parts = 1;
  }
  if (parts <= 1) return gemm_serial<K>(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
  // Capture one pointer so std::function stores the callable inline (no allocation per call).
  const GemmColumnParts<K>* a = &args;
  parallel_for(parts, 1, [a](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; t++) a->run_part(t);
  });
}

}  // namespace TENSILE_GEMM_NS
}  // namespace gemm_detail
}  // namespace tensile
