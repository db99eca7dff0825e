import { describe, expect, it } from 'vitest';
import { Generator, defaultGenerator, manualSeed, philox4x32, philoxUniform, rand, randint, randn, randLike, randnLike, zeros } from '@tensile/core';

const hex = (ws: number[]) => ws.map((w) => w.toString(16).padStart(8, '0')).join(' ');
const vals = (t: { dataSync(): ArrayLike<number | bigint> }) => Array.from(t.dataSync(), Number);

describe('Philox 4x32-10 known-answer vectors (Random123 kat_vectors)', () => {
  it('counter 0, key 0', () => {
    expect(hex(philox4x32(0, 0, 0, 0, 0, 0))).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  });
  it('all-ones counter and key', () => {
    const f = 0xffffffff;
    expect(hex(philox4x32(f, f, f, f, f, f))).toBe('408f276d 41c83b0e a20bc7c6 6d5451fd');
  });
  it('digits of pi', () => {
    expect(hex(philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0))).toBe('d16cfe09 94fdcceb 5001e420 24126ea1');
  });
});

describe('seeded generation', () => {
  it('manualSeed makes rand, randn and randint reproducible', () => {
    manualSeed(42);
    const a = [vals(rand([5])), vals(randn([5])), vals(randint(0, 10, [5]))];
    manualSeed(42);
    const b = [vals(rand([5])), vals(randn([5])), vals(randint(0, 10, [5]))];
    expect(b).toEqual(a);
    manualSeed(43);
    expect(vals(rand([5]))).not.toEqual(a[0]);
  });

  it('successive draws differ and continue the stream', () => {
    manualSeed(0);
    const first = vals(rand([4]));
    const second = vals(rand([4]));
    expect(second).not.toEqual(first);
    manualSeed(0);
    expect(vals(rand([8]))).toEqual([...first, ...second]);
  });

  it('element i of a draw is philoxUniform(key, offset + i), exact in float32', () => {
    manualSeed(7);
    const { key, offset } = defaultGenerator.getState();
    const r = vals(rand([3], { dtype: 'float64' }));
    expect(r).toEqual([0, 1, 2].map((i) => philoxUniform(key, offset + i)));
    manualSeed(7);
    expect(vals(rand([3], { dtype: 'float32' }))).toEqual(r);
  });

  it('the same numbers on js and js-async', async () => {
    manualSeed(5);
    const a = vals(randn([6]));
    const ai = vals(randint(-3, 3, [6]));
    manualSeed(5);
    const b = randn([6], { device: 'js-async' });
    const bi = randint(-3, 3, [6], { device: 'js-async' });
    expect(b.device).toBe('js-async');
    expect(Array.from((await b.data()) as Float32Array)).toEqual(a);
    expect(Array.from(await bi.data(), Number)).toEqual(ai);
  });

  it('a private Generator does not disturb the default stream', () => {
    manualSeed(1);
    const ref = vals(rand([3]));
    manualSeed(1);
    const g = new Generator(99);
    const priv = vals(rand([3], { generator: g }));
    expect(vals(rand([3]))).toEqual(ref);
    expect(vals(rand([3], { generator: new Generator(99) }))).toEqual(priv);
  });

  it('getState / setState replay a draw', () => {
    manualSeed(3);
    const s = defaultGenerator.getState();
    const a = vals(randn([4]));
    defaultGenerator.setState(s);
    expect(vals(randn([4]))).toEqual(a);
  });

  it('large seeds use both key words', () => {
    manualSeed(1);
    const a = vals(rand([2]));
    manualSeed(1 + 2 ** 32);
    expect(vals(rand([2]))).not.toEqual(a);
  });
});

describe('distributions', () => {
  it('randn(10000) has mean ~0 and std ~1', () => {
    manualSeed(0);
    const x = randn([10000], { dtype: 'float64' });
    const v = vals(x);
    const mean = v.reduce((s, a) => s + a, 0) / v.length;
    const std = Math.sqrt(v.reduce((s, a) => s + (a - mean) ** 2, 0) / (v.length - 1));
    expect(Math.abs(mean)).toBeLessThan(0.04);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
    expect(v.every(Number.isFinite)).toBe(true);
    // roughly 68% within one std
    const within = v.filter((a) => Math.abs(a) < 1).length / v.length;
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.02);
  });

  it('rand is in [0, 1) with mean ~0.5', () => {
    manualSeed(0);
    for (const dtype of ['float32', 'float64', 'float16', 'bfloat16'] as const) {
      const v = vals(rand([5000], { dtype }));
      expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...v)).toBeLessThan(1);
      expect(Math.abs(v.reduce((s, a) => s + a, 0) / v.length - 0.5)).toBeLessThan(0.02);
      // as many random bits as the dtype's significand holds, so no sample rounds up to 1
      const bits = dtype === 'float16' ? 11 : dtype === 'bfloat16' ? 8 : 24;
      expect(v.every((a) => Number.isInteger(a * 2 ** bits))).toBe(true);
    }
  });

  it('randint is in [low, high) and hits every value', () => {
    manualSeed(0);
    const x = randint(-2, 3, [2000]);
    expect(x.dtype).toBe('int64');
    const v = vals(x);
    expect(new Set(v)).toEqual(new Set([-2, -1, 0, 1, 2]));
    expect(randint(0, 5, [3], { dtype: 'int32' }).dtype).toBe('int32');
    expect(() => randint(3, 3, [1])).toThrow(/randint: expected low < high/);
  });

  it('randLike / randnLike follow the tensor', () => {
    const z = zeros([2, 3], { dtype: 'float64' });
    expect(randLike(z).shape).toEqual([2, 3]);
    expect(randnLike(z).dtype).toBe('float64');
    expect(() => rand([2], { dtype: 'int32' })).toThrow(/rand: expected a floating dtype, got int32/);
  });
});
