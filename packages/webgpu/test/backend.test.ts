// Storage, dtypes, errors, the buffer pool and leaks of the webgpu backend.
import { embedding, gather, getBackend, manualSeed, memory, randn, tensor, tidy, zeros, type Tensor } from '@tensile/core';
import { destroyWebGPU, emptyCache, sizeClass, WEBGPU_DTYPES, webgpuStats, type WebGPUBackend } from '@tensile/webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { cumsumShader, gatherShader, mapShader, matmulShader, matmulVec4Shader, reduceShader, scatterAddShader } from '../src/templates.js';
import { initGpu } from './gpu.js';

const gpu = await initGpu();

/** A tensor's values as a plain array (bigint for int64). */
const vals = async (t: Tensor): Promise<(number | bigint)[]> => Array.from((await t.data()) as ArrayLike<number | bigint>);

describe('size classes', () => {
  it('round up to quarter steps between powers of two, at least 256 bytes', () => {
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(257)).toBe(320);
    expect(sizeClass(1024)).toBe(1024);
    expect(sizeClass(1025)).toBe(1280);
    for (const n of [300, 5000, 123457]) {
      expect(sizeClass(n)).toBeGreaterThanOrEqual(n);
      expect(sizeClass(n)).toBeLessThanOrEqual(n * 1.25 + 1);
    }
  });
});

if (gpu.ok) {
  describe('webgpu backend', () => {
    afterAll(() => destroyWebGPU());

    it('reads only asynchronously: dataSync throws naming await t.data()', async () => {
      const t = tensor([1, 2, 3], { device: 'webgpu' });
      expect(getBackend('webgpu').capabilities.syncRead).toBe(false);
      expect(() => t.dataSync()).toThrow(/data\(\)/);
      expect(await vals(t)).toEqual([1, 2, 3]);
      t.dispose();
    });

    it('refuses float64 with an error naming the device and dtype', () => {
      expect(WEBGPU_DTYPES).not.toContain('float64');
      expect(() => zeros([2], { device: 'webgpu', dtype: 'float64' })).toThrow(/webgpu.*float64|float64.*webgpu/);
    });

    it('keeps all 64 bits of int64 through write, copy, gather and read; computes on the low word', async () => {
      const big = [2n ** 40n + 5n, -(2n ** 50n), 7n];
      const t = tensor(BigInt64Array.from(big), { device: 'webgpu', dtype: 'int64' });
      expect(await vals(t)).toEqual(big);
      expect(await vals(t.flip(0).contiguous())).toEqual([...big].reverse());
      const small = tensor([3, -4, 5], { device: 'webgpu', dtype: 'int64' });
      expect(await vals(small.add(small))).toEqual([6n, -8n, 10n]);
      t.dispose();
      small.dispose();
    });

    it('reports an out-of-range gather/embedding index as a RangeError from the next read, then recovers', async () => {
      const x = tensor([[1, 2], [3, 4]], { device: 'webgpu' });
      const bad = tensor([[0, 5]], { device: 'webgpu', dtype: 'int64' });
      const g = gather(x, 0, bad);
      await expect(g.data()).rejects.toThrow(/gather: an index was out of bounds/);
      const e = embedding(tensor([7], { device: 'webgpu', dtype: 'int64' }), x);
      await expect(e.data()).rejects.toThrow(RangeError);
      expect(await vals(x)).toEqual([1, 2, 3, 4]); // flags were cleared
      for (const t of [x, bad, g, e]) t.dispose();
    });

    it('stores uint8 wrapped, bool as 0/1 and float16/bfloat16 rounded', async () => {
      const u = tensor([250, 3], { device: 'webgpu', dtype: 'uint8' });
      expect(await vals(u.add(u))).toEqual([244, 6]);
      const h = tensor([1 / 3, 70000], { device: 'webgpu', dtype: 'float16' });
      const hs = await h.mul(3).data();
      expect(hs[0]).toBe(1); // round_f16(0.333251953125 * 3)
      expect(hs[1]).toBe(Infinity);
      const b = tensor([0.1, 0, -2], { device: 'webgpu' }).to('bool');
      expect(await vals(b)).toEqual([1, 0, 1]);
      for (const x of [u, h, b]) x.dispose();
    });

    it('reuses pooled buffers and keeps live tensors and buffers flat over a loop', async () => {
      const x = randn([64, 64], { device: 'webgpu' });
      const step = () => tidy(() => x.matmul(x).relu().sum(1).softmax(0));
      (await step().data());
      const before = { mem: memory().devices.webgpu!, stats: webgpuStats() };
      for (let i = 0; i < 30; i++) {
        const y = step();
        await y.data();
        y.dispose();
      }
      const after = { mem: memory().devices.webgpu!, stats: webgpuStats() };
      // not above the level before the loop (earlier tests' garbage may be finalized meanwhile)
      expect(after.mem.tensors).toBeLessThanOrEqual(before.mem.tensors);
      expect(after.mem.bytes).toBeLessThanOrEqual(before.mem.bytes);
      expect(after.stats.liveBuffers).toBeLessThanOrEqual(before.stats.liveBuffers);
      expect(after.stats.poolMisses).toBe(before.stats.poolMisses); // every allocation in the loop was a pool hit
      expect(after.stats.poolHits).toBeGreaterThan(before.stats.poolHits);
      x.dispose();
      expect(emptyCache()).toBeGreaterThan(0);
      expect(webgpuStats().pooledBytes).toBe(0);
    });

    it('submits lazily: many kernels, one submission per read', async () => {
      const x = tensor([1, 2, 3, 4], { device: 'webgpu' });
      await x.data();
      const s0 = webgpuStats();
      let y = x;
      for (let i = 0; i < 20; i++) {
        const z = y.add(1);
        if (y !== x) y.dispose();
        y = z;
      }
      const s1 = webgpuStats();
      expect(s1.dispatches - s0.dispatches).toBeGreaterThanOrEqual(20); // plus the scalar fills
      expect(s1.submits).toBe(s0.submits);
      expect(await vals(y)).toEqual([21, 22, 23, 24]);
      expect(webgpuStats().submits).toBe(s1.submits + 1);
      x.dispose();
      y.dispose();
    });

    it('matmul matches js for every operand layout (vec4 kernel: plain, transposed A/B, batched, broadcast, odd M, offsets; general kernel otherwise)', async () => {
      const cases: [string, (d: string) => [Tensor, Tensor]][] = [
        ['plain 12x8 @ 8x16', (d) => [randn([12, 8], { device: d }), randn([8, 16], { device: d })]],
        ['odd M 13x8 @ 8x4', (d) => [randn([13, 8], { device: d }), randn([8, 4], { device: d })]],
        ['A transposed', (d) => [randn([8, 12], { device: d }).t(), randn([8, 20], { device: d })]],
        ['B transposed', (d) => [randn([7, 8], { device: d }), randn([16, 8], { device: d }).t()]],
        ['both transposed', (d) => [randn([12, 8], { device: d }).t(), randn([4, 12], { device: d }).t()]],
        ['batched 3x5x8 @ 3x8x4', (d) => [randn([3, 5, 8], { device: d }), randn([3, 8, 4], { device: d })]],
        ['broadcast 2x1x6x4 @ 3x4x8', (d) => [randn([2, 1, 6, 4], { device: d }), randn([3, 4, 8], { device: d })]],
        ['offset view (row 4 onwards)', (d) => [randn([9, 8], { device: d }).narrow(0, 1, 8), randn([8, 8], { device: d }).narrow(0, 0, 8)]],
        ['unaligned offset (general kernel)', (d) => [randn([10, 9], { device: d }).narrow(1, 1, 8), randn([8, 4], { device: d })]],
        ['K not a multiple of 4 (general kernel)', (d) => [randn([6, 7], { device: d }), randn([7, 8], { device: d })]],
      ];
      for (const [name, make] of cases) {
        const res: number[][] = [];
        for (const d of ['js', 'webgpu']) {
          manualSeed(42);
          const [a, b] = make(d);
          const c = a.matmul(b);
          res.push(Array.from((await c.data()) as Float32Array));
          for (const t of [a, b, c]) t.dispose();
        }
        expect(res[1]!.length, name).toBe(res[0]!.length);
        res[1]!.forEach((v, i) => expect(Math.abs(v - res[0]![i]!), `${name} [${i}]`).toBeLessThan(1e-5 * (1 + Math.abs(res[0]![i]!))));
      }
      // all four vec4 layouts and the general kernel were used
      const pipes = (getBackend('webgpu') as WebGPUBackend).ctx as unknown as { pipelines: Map<string, unknown> };
      expect(['matmul4|kn', 'matmul4|mn', 'matmul4|kk', 'matmul4|mk', 'matmul|float32'].filter((k) => !pipes.pipelines.has(k))).toEqual([]);
    });

    it('every shader template compiles for every dtype it is used with', async () => {
      const device = (getBackend('webgpu') as WebGPUBackend).ctx.device;
      const codes: [string, string][] = [];
      for (const d of WEBGPU_DTYPES) {
        codes.push([`map ${d}`, mapShader([{ dtype: d, contiguous: false }, { dtype: d, contiguous: true }], d, 'x0 + x1', true)]);
        for (const op of ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as const) {
          for (const g of [false, true]) codes.push([`reduce ${op} ${d} ${g}`, reduceShader(op, d, op.startsWith('arg') ? 'int64' : d, g)]);
        }
        codes.push([`cumsum ${d}`, cumsumShader(d)], [`matmul ${d}`, matmulShader(d)], [`gather ${d}`, gatherShader(d, 'int64')]);
        for (const a of ['k', 'm'] as const) for (const b of ['n', 'k'] as const) codes.push([`matmul vec4 ${a}${b}`, matmulVec4Shader({ a, b })]);
        codes.push([`scatterAdd ${d}`, scatterAddShader(d, 'int64')]);
      }
      const errors: string[] = [];
      for (const [name, code] of codes) {
        const info = await device.createShaderModule({ code }).getCompilationInfo();
        for (const m of info.messages) if (m.type === 'error') errors.push(`${name}: ${m.message}`);
      }
      expect(errors).toEqual([]);
    });

    it('destroy frees the pool and the device; later calls throw a clear error', async () => {
      const t = tensor([1, 2], { device: 'webgpu' });
      await t.data();
      const b = getBackend('webgpu') as WebGPUBackend;
      const ctx = b.ctx;
      t.dispose();
      destroyWebGPU();
      expect(ctx.destroyed).toBe(true);
      expect(() => tensor([1], { device: 'webgpu' })).toThrow(/not initialised|destroyed/);
    });
  });
} else {
  describe.skip(`webgpu backend skipped: ${gpu.reason}`, () => {
    it('storage, dtypes, pool', () => {});
  });
}
