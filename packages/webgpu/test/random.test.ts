// Random creation on webgpu: the same seeded values as on js, including randint (which core
// draws in float64, a dtype webgpu lacks: core draws it on js and moves it).
import { manualSeed, memory, rand, randint, randn, type Tensor } from '@tensile/core';
import { destroyWebGPU } from '@tensile/webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { initGpu } from './gpu.js';

const gpu = await initGpu();

const vals = async (t: Tensor): Promise<(number | bigint)[]> => Array.from((await t.data()) as ArrayLike<number | bigint>);

/** Draw with `make` after manualSeed(seed) on js and on webgpu; returns both value lists (tensors disposed). */
async function both(seed: number, make: (device: string) => Tensor): Promise<[(number | bigint)[], (number | bigint)[], Tensor['dtype'][]]> {
  const out: (number | bigint)[][] = [];
  const dtypes: Tensor['dtype'][] = [];
  for (const device of ['js', 'webgpu']) {
    manualSeed(seed);
    const t = make(device);
    expect(t.device).toBe(device);
    dtypes.push(t.dtype);
    out.push(await vals(t));
    t.dispose();
  }
  return [out[0]!, out[1]!, dtypes];
}

if (gpu.ok) {
  describe('random creation on webgpu', () => {
    afterAll(() => destroyWebGPU());

    it('randint gives int64 values in [low, high) identical to js for the same seed', async () => {
      const live = () => [memory().devices.webgpu?.tensors ?? 0, memory().devices.js?.tensors ?? 0];
      const before = live();
      const [js, wg, dtypes] = await both(3, (device) => randint(-5, 7, [4, 50], { device }));
      expect(dtypes).toEqual(['int64', 'int64']);
      expect(wg).toEqual(js);
      for (const v of wg) expect(Number(v) >= -5 && Number(v) < 7).toBe(true);
      expect(new Set(wg.map(Number)).size).toBe(12); // all 12 values occur in 200 draws
      expect(live()).toEqual(before); // the js draw and the move leave nothing behind
    });

    it('randint with dtype int32 and a generator stream continuing as on js', async () => {
      const [js, wg, dtypes] = await both(11, (device) => {
        randint(0, 10, [3], { device }).dispose(); // advance the stream first
        return randint(0, 1000, [64], { device, dtype: 'int32' });
      });
      expect(dtypes).toEqual(['int32', 'int32']);
      expect(wg).toEqual(js);
    });

    it('rand and randn (float32) match js bit for bit', async () => {
      const [ju, wu] = await both(5, (device) => rand([100], { device }));
      expect(wu).toEqual(ju);
      const [jn, wn] = await both(5, (device) => randn([100], { device }));
      expect(wn).toEqual(jn);
    });
  });
} else {
  describe.skip(`random creation on webgpu skipped: ${gpu.reason}`, () => {
    it('randint on webgpu matches js', () => {});
  });
}
