// The buffer pool. Fresh pages are expensive to touch (13-28 us per 4 KiB page on the reference
// machine), so freed buffers are kept by size class and handed out again. Size classes: powers
// of two up to 4 KiB, then four steps per octave (at most 25% slack); data is 64-byte aligned.
//
// A buffer is reference-counted: one reference for its owner (the tensor storage, dropped by
// release()) and one per JS ArrayBuffer view handed out by the binding (readSync returns views
// over native memory). It goes back to the pool when the last reference goes, so a view a user
// still holds stays valid (it keeps its memory) after the tensor is disposed.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tensile {
namespace pool {

struct Stats {
  uint64_t live_bytes = 0;       // capacity of buffers owned by tensors
  uint64_t live_buffers = 0;
  uint64_t requested_bytes = 0;  // bytes asked for by the live buffers (before rounding)
  uint64_t view_bytes = 0;       // released by their owner but still held by JS views
  uint64_t view_buffers = 0;
  uint64_t pooled_bytes = 0;     // free, kept for reuse
  uint64_t pooled_buffers = 0;
  uint64_t hits = 0;             // allocations served from the pool
  uint64_t misses = 0;           // allocations that needed fresh memory
  uint64_t limit_bytes = 0;      // most bytes the pool keeps (TENSILE_CPU_POOL_BYTES)
};

// The capacity a request of `bytes` is rounded up to.
size_t size_class(size_t bytes);
// A 64-byte aligned buffer of at least `bytes` (owner reference held).
void* alloc(size_t bytes);
// Drop the owner reference.
void release(void* p);
// Add / drop a view reference.
void retain_view(void* p);
void release_view(void* p);
// Capacity of a live buffer.
size_t capacity(void* p);
Stats stats();
// Free pooled buffers until at most keep_bytes stay pooled; returns the bytes freed.
uint64_t trim(uint64_t keep_bytes);
void set_limit(uint64_t bytes);

}  // namespace pool
}  // namespace tensile
