// The buffer pool: freed buffers are reused by size class; memoryInfo() reports live, pooled and
// view-held bytes; dataSync() returns views over native memory that stay valid after dispose.
import { cpuInfo, emptyCache, memoryInfo, setPoolLimit } from '@tensile/cpu';
import { tensor, tidy, zeros } from '@tensile/core';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

describe('buffer pool', () => {
  it('reuses a freed buffer of the same size class instead of taking fresh memory', () => {
    const before = memoryInfo();
    const a = zeros([1000, 250], { device: 'cpu' }); // 1 MB
    const mid = memoryInfo();
    expect(mid.liveBytes - before.liveBytes).toBeGreaterThanOrEqual(1_000_000);
    expect(mid.liveBuffers - before.liveBuffers).toBe(1);
    a.dispose();
    const freed = memoryInfo();
    expect(freed.liveBytes).toBe(before.liveBytes);
    expect(freed.pooledBytes - before.pooledBytes).toBe(mid.liveBytes - before.liveBytes);
    const b = zeros([250, 1000], { device: 'cpu' });
    const again = memoryInfo();
    expect(again.hits).toBe(freed.hits + 1);
    expect(again.misses).toBe(freed.misses);
    expect(again.pooledBytes).toBe(before.pooledBytes);
    b.dispose();
  });

  it('rounds requests up to size classes: powers of two to 4 KiB, then quarter-octave steps', () => {
    const cases: [number, number][] = [
      [1, 64],
      [100, 128],
      [4096, 4096],
      [5000, 5120],
      [4097, 5120],
      [1_000_000, 1_048_576],
      [1_048_577, 1_310_720],
    ];
    for (const [bytes, cls] of cases) {
      const before = memoryInfo();
      const t = zeros([bytes], { device: 'cpu', dtype: 'uint8' });
      const after = memoryInfo();
      expect(after.liveBytes - before.liveBytes).toBe(cls);
      expect(after.requestedBytes - before.requestedBytes).toBe(bytes);
      t.dispose();
    }
  });

  it('emptyCache() frees pooled buffers; a zero limit disables pooling', () => {
    zeros([4096], { device: 'cpu' }).dispose();
    expect(memoryInfo().pooledBytes).toBeGreaterThan(0);
    const freed = emptyCache();
    expect(freed).toBeGreaterThan(0);
    expect(memoryInfo().pooledBytes).toBe(0);
    const limit = memoryInfo().limitBytes;
    setPoolLimit(0);
    try {
      zeros([4096], { device: 'cpu' }).dispose();
      expect(memoryInfo().pooledBytes).toBe(0);
    } finally {
      setPoolLimit(limit);
    }
    expect(cpuInfo().pool.limitBytes).toBe(limit);
  });

  it('dataSync() is a view over native memory (no copy), valid after the tensor is disposed', async () => {
    const t = tensor([1, 2, 3, 4], { device: 'cpu' });
    const v1 = t.dataSync() as Float32Array;
    const v2 = t.dataSync() as Float32Array;
    v1[0] = 42; // same memory: visible through the other view and the tensor
    expect(v2[0]).toBe(42);
    expect(t.tolistSync()).toEqual([42, 2, 3, 4]);
    t.add_(1); // in-place writes show through a view while the tensor lives (as torch's .numpy())
    expect(Array.from(v1)).toEqual([43, 3, 4, 5]);

    const before = memoryInfo();
    t.dispose();
    const held = memoryInfo();
    expect(held.viewBuffers).toBe(before.viewBuffers + 1);
    // the memory is not handed out again while the view lives
    const u = tensor([9, 9, 9, 9], { device: 'cpu' });
    expect(Array.from(v1)).toEqual([43, 3, 4, 5]);
    u.dispose();

    await collect();
    const later = memoryInfo();
    expect(later.viewBuffers).toBe(held.viewBuffers); // v1 and v2 are still reachable here
    expect(v1[1]! + v2[1]!).toBe(6);
  });

  it('a buffer held only by garbage views goes back to the pool after GC', async () => {
    await collect(); // settle views left by earlier tests
    const before = memoryInfo();
    (() => {
      const t = tensor([1, 2, 3, 4, 5, 6, 7, 8], { device: 'cpu' });
      const sum = (t.dataSync() as Float32Array).reduce((a, b) => a + b, 0);
      t.dispose();
      expect(sum).toBe(36);
    })();
    await collect(); // (a minor GC may already have collected the view)
    const after = memoryInfo();
    expect(after.viewBuffers).toBe(before.viewBuffers);
    expect(after.liveBuffers).toBe(before.liveBuffers);
    // the buffer is pooled again: the next allocation of its size class is a hit
    const u = tensor([1, 2, 3, 4, 5, 6, 7, 8], { device: 'cpu' });
    expect(memoryInfo().hits).toBe(after.hits + 1);
    u.dispose();
  });

  it('int64 reads are BigInt64Array views; float16 reads are fresh Float32Arrays', () => {
    const i = tensor([1, -2, 3], { device: 'cpu', dtype: 'int64' });
    const iv = i.dataSync();
    expect(iv).toBeInstanceOf(BigInt64Array);
    expect(Array.from(iv as BigInt64Array)).toEqual([1n, -2n, 3n]);
    const h = tensor([0.1, 65519, 1e-8], { device: 'cpu', dtype: 'float16' });
    const hv = h.dataSync();
    expect(hv).toBeInstanceOf(Float32Array);
    expect(Array.from(hv as Float32Array)).toEqual([0.0999755859375, 65504, 0]);
    i.dispose();
    h.dispose();
  });

  it('holds the live buffer count flat over a loop of ops', () => {
    const x = tensor([[1, 2], [3, 4]], { device: 'cpu' });
    const start = memoryInfo();
    for (let k = 0; k < 50; k++) {
      tidy(() => x.mul(2).add(1).sum()).dispose();
    }
    const end = memoryInfo();
    expect(end.liveBuffers).toBe(start.liveBuffers);
    expect(end.misses - start.misses).toBeLessThanOrEqual(3); // warm-up only: later loops reuse
    x.dispose();
  });
});
