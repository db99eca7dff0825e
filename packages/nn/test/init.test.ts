import { describe, expect, it } from 'vitest';
import { Generator, manualSeed, zeros, type Tensor } from '@tensile/core';
import { init, Conv2d, Embedding, LayerNorm, Linear, BatchNorm2d } from '@tensile/nn';

const vals = (t: Tensor) => Array.from(t.dataSync() as Float32Array);
const stats = (t: Tensor) => {
  const v = vals(t);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
};

describe('nn.init', () => {
  it('calculateGain matches torch.nn.init.calculate_gain', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(() => init.calculateGain('swish')).toThrow(/unsupported nonlinearity "swish"/);
  });

  it('uniform_ / normal_ / constant_ have the requested statistics, in place, without history', () => {
    const t = zeros([200, 100]).requiresGrad_();
    const same = init.uniform_(t, -2, 3);
    expect(same).toBe(t);
    expect(t.gradFn).toBeNull();
    const u = stats(t);
    expect(u.min).toBeGreaterThanOrEqual(-2);
    expect(u.max).toBeLessThan(3);
    expect(u.mean).toBeCloseTo(0.5, 1);
    expect(u.std).toBeCloseTo(5 / Math.sqrt(12), 1);
    init.normal_(t, 1, 0.5);
    const n = stats(t);
    expect(n.mean).toBeCloseTo(1, 1);
    expect(n.std).toBeCloseTo(0.5, 1);
    init.constant_(t, 0.25);
    expect(new Set(vals(t))).toEqual(new Set([0.25]));
    init.ones_(t);
    init.zeros_(t);
    expect(stats(t).max).toBe(0);
  });

  it('xavier and kaiming bounds and stds follow the fans', () => {
    const w = zeros([300, 200]);
    init.xavierUniform_(w);
    expect(stats(w).max).toBeLessThanOrEqual(Math.sqrt(6 / 500));
    expect(stats(w).std).toBeCloseTo(Math.sqrt(2 / 500), 2);
    init.xavierNormal_(w, 2);
    expect(stats(w).std).toBeCloseTo(2 * Math.sqrt(2 / 500), 2);
    init.kaimingUniform_(w, { nonlinearity: 'relu' });
    const bound = Math.SQRT2 * Math.sqrt(3 / 200);
    expect(stats(w).max).toBeLessThanOrEqual(bound);
    expect(stats(w).min).toBeGreaterThanOrEqual(-bound);
    expect(stats(w).std).toBeCloseTo(Math.SQRT2 / Math.sqrt(200), 2);
    init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    expect(stats(w).std).toBeCloseTo(Math.SQRT2 / Math.sqrt(300), 2);
    const conv = zeros([8, 4, 3, 3]);
    expect(init.calculateFanInAndFanOut(conv)).toEqual([36, 72]);
    expect(() => init.kaimingUniform_(zeros([5]))).toThrow(/fewer than 2 dimensions/);
    expect(() => init.kaimingUniform_(w, { mode: 'fan_avg' as never })).toThrow(/mode "fan_avg" not supported/);
  });

  it('truncNormal_ stays in [a, b] with the truncated statistics', () => {
    const t = zeros([20000]);
    init.truncNormal_(t, 0, 1, -2, 2);
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThanOrEqual(2);
    expect(s.mean).toBeCloseTo(0, 1);
    expect(s.std).toBeCloseTo(0.8796, 1); // std of N(0,1) truncated to [-2, 2]
    init.truncNormal_(t, 0.5, 0.1, 0.45, 0.6);
    expect(stats(t).min).toBeGreaterThanOrEqual(0.45);
    expect(stats(t).max).toBeLessThanOrEqual(0.6);
  });

  it('orthogonal_ gives orthonormal rows (or columns) scaled by gain', () => {
    for (const [r, c] of [[4, 6], [6, 4]] as const) {
      const t = zeros([r, c]);
      init.orthogonal_(t, 2);
      const m = t.matmul(t.t());
      const mt = t.t().matmul(t);
      const gram = vals(r <= c ? m : mt);
      const k = Math.min(r, c);
      gram.forEach((v, i) => expect(v).toBeCloseTo(Math.floor(i / k) === i % k ? 4 : 0, 4));
    }
    const e = zeros([3, 4]);
    init.eye_(e);
    expect(e.tolistSync()).toEqual([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]);
  });

  it('is seeded by manualSeed and by an explicit generator', () => {
    manualSeed(7);
    const a = new Linear(5, 3);
    manualSeed(7);
    const b = new Linear(5, 3);
    expect(vals(a.weight)).toEqual(vals(b.weight));
    expect(vals(a.bias!)).toEqual(vals(b.bias!));
    const c = new Linear(5, 3);
    expect(vals(c.weight)).not.toEqual(vals(a.weight));
    const g1 = new Generator(3), g2 = new Generator(3);
    const x = init.normal_(zeros([10]), 0, 1, { generator: g1 });
    const y = init.normal_(zeros([10]), 0, 1, { generator: g2 });
    expect(vals(x)).toEqual(vals(y));
  });

  it('layers use PyTorch default initialisation', () => {
    manualSeed(0);
    const lin = new Linear(64, 500);
    const bound = 1 / Math.sqrt(64); // kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(fanIn), 1/sqrt(fanIn))
    const w = stats(lin.weight);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeGreaterThan(bound * 0.95);
    expect(w.std).toBeCloseTo(bound / Math.sqrt(3), 2);
    expect(stats(lin.bias!).max).toBeLessThanOrEqual(bound);
    const conv = new Conv2d(3, 64, 3);
    const cb = 1 / Math.sqrt(27);
    expect(stats(conv.weight).max).toBeLessThanOrEqual(cb);
    expect(stats(conv.weight).max).toBeGreaterThan(cb * 0.9);
    expect(stats(conv.bias!).max).toBeLessThanOrEqual(cb);
    const emb = new Embedding(1000, 16, { paddingIdx: 3 });
    expect(stats(emb.weight).std).toBeCloseTo(1, 1);
    expect(emb.weight.select(0, 3).tolistSync()).toEqual(Array(16).fill(0));
    const ln = new LayerNorm(4);
    expect(ln.weight!.tolistSync()).toEqual([1, 1, 1, 1]);
    expect(ln.bias!.tolistSync()).toEqual([0, 0, 0, 0]);
    const bn = new BatchNorm2d(2);
    expect(bn.runningVar!.tolistSync()).toEqual([1, 1]);
    expect(bn.numBatchesTracked!.dtype).toBe('int64');
  });
});
