import { describe, expect, it } from 'vitest';
import {
  Tensor, amax, argmax, argmin, cumsum, gradcheck, gradgradcheck, logsumexp, manualSeed, max, mean, memory, min, norm, prod,
  randn, std, stdMean, sum, tensor, tidy, varMean, variance, zeros,
} from '@tensile/core';
import * as core from '@tensile/core';
import { fixtureTests, loadFixtures, type FixtureOp } from './support/fixtures.js';

// ---- reduction.json ----

const T = (a: unknown) => a as Tensor;
const dimOf = (kw: Record<string, unknown>) => kw.dim as number | number[] | undefined;

const reductionOps: Record<string, FixtureOp> = {
  'torch.sum': (a, kw) => sum(T(a[0]), dimOf(kw), kw.keepdim as boolean | undefined),
  'torch.mean': (a, kw) => mean(T(a[0]), dimOf(kw), kw.keepdim as boolean | undefined),
  'torch.max': (a, kw) => (kw.dim === undefined ? max(T(a[0])) : max(T(a[0]), kw.dim as number, kw.keepdim as boolean | undefined)),
  'torch.min': (a, kw) => (kw.dim === undefined ? min(T(a[0])) : min(T(a[0]), kw.dim as number, kw.keepdim as boolean | undefined)),
  'torch.amax': (a, kw) => amax(T(a[0]), dimOf(kw), kw.keepdim as boolean | undefined),
  'torch.argmax': (a, kw) => argmax(T(a[0]), (kw.dim as number | undefined) ?? null, kw.keepdim as boolean | undefined),
  'torch.argmin': (a, kw) => argmin(T(a[0]), (kw.dim as number | undefined) ?? null, kw.keepdim as boolean | undefined),
  'torch.prod': (a, kw) => prod(T(a[0]), kw.dim as number | undefined, kw.keepdim as boolean | undefined),
  'torch.var': (a, kw) => variance(T(a[0]), dimOf(kw), { unbiased: kw.unbiased as boolean | undefined, keepdim: kw.keepdim as boolean | undefined }),
  'torch.std': (a, kw) => std(T(a[0]), dimOf(kw), { unbiased: kw.unbiased as boolean | undefined, keepdim: kw.keepdim as boolean | undefined }),
  'torch.logsumexp': (a, kw) => logsumexp(T(a[0]), dimOf(kw)!, kw.keepdim as boolean | undefined),
  'torch.norm': (a, kw) => norm(T(a[0]), (kw.p as number | undefined) ?? 'fro', dimOf(kw), kw.keepdim as boolean | undefined),
  'torch.cumsum': (a, kw) => cumsum(T(a[0]), kw.dim as number),
};

describe('fixtures: ops/reduction.json', () => {
  fixtureTests(loadFixtures('reduction'), reductionOps);
});

// ---- behaviour and gradchecks ----

const f64 = (shape: number[], seed: number) => {
  manualSeed(seed);
  return randn(shape, { dtype: 'float64', requiresGrad: true });
};

describe('var / std', () => {
  it('correction and unbiased', () => {
    const x = tensor([1, 2, 3, 4], { dtype: 'float64' });
    expect(variance(x).itemSync()).toBeCloseTo(5 / 3, 12);
    expect(variance(x, null, { unbiased: false }).itemSync()).toBeCloseTo(1.25, 12);
    expect(variance(x, 0, { correction: 2 }).itemSync()).toBeCloseTo(2.5, 12);
    expect(x.var(0, false).itemSync()).toBeCloseTo(1.25, 12);
    expect(x.std().itemSync()).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(() => variance(x, 0, { unbiased: true, correction: 1 })).toThrow(/both/);
    expect(() => variance(tensor([1, 2, 3], { dtype: 'int64' }))).toThrow(/floating point/);
  });
  it('is exported as var too (torch.var)', () => {
    expect((core as Record<string, unknown>).var).toBe(variance);
  });
  it('keepdim and several dims', () => {
    const x = f64([2, 3, 4], 1);
    expect(variance(x, [0, 2], { keepdim: true }).shape).toEqual([1, 3, 1]);
    expect(std(x, -1).shape).toEqual([2, 3]);
  });
  it('single element: correction 1 gives nan as PyTorch', () => {
    expect(Number.isNaN(variance(tensor([3], { dtype: 'float64' })).itemSync())).toBe(true);
  });
  it('varMean / stdMean', () => {
    const x = tensor([[1, 2], [3, 5]], { dtype: 'float64' });
    const [v, m] = varMean(x, 1);
    expect(v.tolistSync()).toEqual([0.5, 2]);
    expect(m.tolistSync()).toEqual([1.5, 4]);
    const [s, m2] = stdMean(x, 0, { keepdim: true });
    expect(s.shape).toEqual([1, 2]);
    expect((s.tolistSync() as number[][])[0]![0]).toBeCloseTo(Math.SQRT2, 12);
    expect(m2.tolistSync()).toEqual([[2, 3.5]]);
  });
  it('std gradient is 0, not NaN, for a constant input', () => {
    const x = tensor([2, 2, 2], { dtype: 'float64', requiresGrad: true });
    std(x).backward();
    expect(x.grad!.tolistSync()).toEqual([0, 0, 0]);
  });
  it('gradcheck', () => {
    const x = f64([3, 4], 2);
    expect(gradcheck((a) => variance(a, 1), [x])).toBe(true);
    expect(gradcheck((a) => variance(a, null, { correction: 0 }), [x])).toBe(true);
    expect(gradcheck((a) => std(a, 0, { keepdim: true }), [x])).toBe(true);
    expect(gradgradcheck((a) => std(a, 1), [x])).toBe(true);
  });
});

describe('logsumexp', () => {
  it('is stable for large and -inf values', () => {
    const x = tensor([[1000, 1000], [-Infinity, -Infinity]], { dtype: 'float32' });
    const r = logsumexp(x, 1).tolistSync() as number[];
    expect(r[0]).toBeCloseTo(1000 + Math.LN2, 3);
    expect(r[1]).toBe(-Infinity);
    expect(logsumexp(x, 1, true).shape).toEqual([2, 1]);
  });
  it('integer input is promoted to float', () => {
    expect(logsumexp(tensor([0, 0], { dtype: 'int64' }), 0).itemSync()).toBeCloseTo(Math.LN2, 6);
  });
  it('gradcheck', () => {
    const x = f64([3, 4], 3);
    expect(gradcheck((a) => logsumexp(a, 1), [x])).toBe(true);
    expect(gradcheck((a) => logsumexp(a, [0, 1], true), [x])).toBe(true);
    expect(gradgradcheck((a) => logsumexp(a, -1), [x])).toBe(true);
  });
});

describe('norm', () => {
  it('values for p = fro, 1, 2, inf, -inf, 0, 3', () => {
    const x = tensor([[3, -4], [0, 1]], { dtype: 'float64' });
    expect(norm(x).itemSync()).toBeCloseTo(Math.sqrt(26), 12);
    expect(norm(x, 1).itemSync()).toBe(8);
    expect(norm(x, 2, 1).tolistSync()).toEqual([5, 1]);
    expect(norm(x, Infinity).itemSync()).toBe(4);
    expect(norm(x, -Infinity, 1).tolistSync()).toEqual([3, 0]);
    expect(norm(x, 0).itemSync()).toBe(3);
    expect(norm(x, 3, 1, true).shape).toEqual([2, 1]);
    expect((norm(x, 3, 1).tolistSync() as number[])[0]).toBeCloseTo(Math.cbrt(27 + 64), 12);
    expect(x.norm(2, 0).tolistSync()).toEqual([3, Math.sqrt(17)]);
  });
  it('p=2 gradient at a zero vector is 0 (not NaN), as PyTorch', () => {
    const x = zeros([3], { dtype: 'float64' }).requiresGrad_();
    norm(x).backward();
    expect(x.grad!.tolistSync()).toEqual([0, 0, 0]);
    const y = zeros([2], { dtype: 'float64' }).requiresGrad_();
    norm(y, 3).backward();
    expect(y.grad!.tolistSync()).toEqual([0, 0]);
  });
  it('gradcheck', () => {
    const x = f64([3, 4], 4);
    expect(gradcheck((a) => norm(a), [x])).toBe(true);
    expect(gradcheck((a) => norm(a, 2, 1), [x])).toBe(true);
    expect(gradcheck((a) => norm(a, 1, 0, true), [x])).toBe(true);
    expect(gradcheck((a) => norm(a, Infinity, 1), [x])).toBe(true);
    expect(gradcheck((a) => norm(a, 3, -1), [x])).toBe(true);
    expect(gradgradcheck((a) => norm(a, 2, 1), [x])).toBe(true);
  });
});

describe('cumsum', () => {
  it('values, ints go to int64, 0-d', () => {
    expect(cumsum(tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32' }), 1).tolistSync()).toEqual([[1, 3, 6], [4, 9, 15]]);
    const i = cumsum(tensor([1, 2, 3], { dtype: 'int32' }), 0);
    expect(i.dtype).toBe('int64');
    expect(i.tolistSync()).toEqual([1, 3, 6]);
    expect(cumsum(tensor([true, false, true]), 0).tolistSync()).toEqual([1, 1, 2]);
    expect(cumsum(tensor(5, { dtype: 'float32' }), 0).itemSync()).toBe(5);
    expect(tensor([[1, 2], [3, 4]], { dtype: 'float32' }).cumsum(-2).tolistSync()).toEqual([[1, 2], [4, 6]]);
  });
  it('works on a non-contiguous input', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float32' }).t();
    expect(cumsum(x, 1).tolistSync()).toEqual([[1, 4], [2, 6]]);
  });
  it('gradient is the reversed running sum', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    cumsum(x, 0).mul(tensor([1, 10, 100], { dtype: 'float64' })).sum().backward();
    expect(x.grad!.tolistSync()).toEqual([111, 110, 100]);
  });
  it('gradcheck and gradgradcheck', () => {
    const x = f64([3, 4], 5);
    expect(gradcheck((a) => cumsum(a, 1), [x])).toBe(true);
    expect(gradcheck((a) => cumsum(a.t(), 0), [x])).toBe(true);
    expect(gradgradcheck((a) => cumsum(a, 0).mul(a), [x])).toBe(true);
  });
  it('leaves no tensors behind in a tidy scope', () => {
    const x = randn([4, 5], { requiresGrad: true });
    tidy(() => { cumsum(x, 1).sum().backward(); });
    const before = memory().numTensors;
    for (let k = 0; k < 3; k++) {
      tidy(() => {
        cumsum(x, 1).sum().backward();
        std(x, 1).sum().backward();
        logsumexp(x, 0).sum().backward();
        norm(x, 2, 1).sum().backward();
      });
    }
    expect(memory().numTensors).toBe(before);
  });
});

describe('prod (regression: backward with zeros)', () => {
  it('a lone zero gets the product of the others; two zeros give 0', () => {
    const x = tensor([2, 0, 3], { dtype: 'float64', requiresGrad: true });
    prod(x).backward();
    expect(x.grad!.tolistSync()).toEqual([0, 6, 0]);
    const y = tensor([[0, 0, 3], [1, 2, 4]], { dtype: 'float64', requiresGrad: true });
    prod(y, 1).sum().backward();
    expect(y.grad!.tolistSync()).toEqual([[0, 0, 0], [8, 4, 2]]);
  });
});
