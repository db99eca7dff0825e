import { describe, expect, it } from 'vitest';
import {
  Tensor, binaryCrossEntropy, binaryCrossEntropyWithLogits, cosineSimilarity, crossEntropy, gradcheck, gradgradcheck, klDiv,
  l1Loss, manualSeed, memory, mseLoss, nllLoss, rand, randn, smoothL1Loss, tensor, tidy,
} from '@tensile/core';
import { fixtureTests, loadFixtures, type FixtureOp } from './support/fixtures.js';

// ---- loss.json ----

const T = (a: unknown) => a as Tensor;
type KW = Record<string, unknown>;
const red = (kw: KW) => kw.reduction as 'mean' | 'sum' | 'none' | undefined;
const lossOps: Record<string, FixtureOp> = {
  'torch.nn.functional.cross_entropy': (a, kw) => crossEntropy(T(a[0]), T(a[1]), {
    weight: kw.weight as Tensor | undefined, ignoreIndex: kw.ignore_index as number | undefined, reduction: red(kw),
    labelSmoothing: kw.label_smoothing as number | undefined,
  }),
  'torch.nn.functional.nll_loss': (a, kw) => nllLoss(T(a[0]), T(a[1]), {
    weight: kw.weight as Tensor | undefined, ignoreIndex: kw.ignore_index as number | undefined, reduction: red(kw),
  }),
  'torch.nn.functional.mse_loss': (a, kw) => mseLoss(T(a[0]), T(a[1]), { reduction: red(kw) }),
  'torch.nn.functional.l1_loss': (a, kw) => l1Loss(T(a[0]), T(a[1]), { reduction: red(kw) }),
  'torch.nn.functional.smooth_l1_loss': (a, kw) => smoothL1Loss(T(a[0]), T(a[1]), { reduction: red(kw), beta: kw.beta as number | undefined }),
  'torch.nn.functional.binary_cross_entropy': (a, kw) => binaryCrossEntropy(T(a[0]), T(a[1]), { weight: kw.weight as Tensor | undefined, reduction: red(kw) }),
  'torch.nn.functional.binary_cross_entropy_with_logits': (a, kw) => binaryCrossEntropyWithLogits(T(a[0]), T(a[1]), {
    weight: kw.weight as Tensor | undefined, posWeight: kw.pos_weight as Tensor | undefined, reduction: red(kw),
  }),
  'torch.nn.functional.kl_div': (a, kw) => klDiv(T(a[0]), T(a[1]), {
    reduction: kw.reduction as 'batchmean' | undefined, logTarget: kw.log_target as boolean | undefined,
  }),
  'torch.nn.functional.cosine_similarity': (a, kw) => cosineSimilarity(T(a[0]), T(a[1]), { dim: kw.dim as number | undefined, eps: kw.eps as number | undefined }),
};

describe('fixtures: ops/loss.json', () => {
  fixtureTests(loadFixtures('loss'), lossOps);
});

// ---- behaviour and gradchecks (float64, js device) ----

const f64 = (shape: number[], seed: number, requiresGrad = true) => {
  manualSeed(seed);
  return randn(shape, { dtype: 'float64', requiresGrad });
};
const prob = (shape: number[], seed: number, requiresGrad = true) => {
  manualSeed(seed);
  return rand(shape, { dtype: 'float64' }).mul(0.9).add(0.05).detach().requiresGrad_(requiresGrad);
};
const i64 = (v: number[], shape?: number[]) => tensor(v, { dtype: 'int64', shape });

describe('regression losses', () => {
  it('values and reductions', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64' }), y = tensor([1, 4, 0], { dtype: 'float64' });
    expect(mseLoss(x, y).itemSync()).toBeCloseTo(13 / 3, 12);
    expect(mseLoss(x, y, { reduction: 'sum' }).itemSync()).toBe(13);
    expect(l1Loss(x, y, { reduction: 'none' }).tolistSync()).toEqual([0, 2, 3]);
    expect(smoothL1Loss(x, y, { reduction: 'none' }).tolistSync()).toEqual([0, 1.5, 2.5]);
    expect(smoothL1Loss(x, tensor([1.5, 2, 3], { dtype: 'float64' }), { reduction: 'sum', beta: 2 }).itemSync()).toBeCloseTo(0.0625, 12);
    expect(smoothL1Loss(x, y, { beta: 0, reduction: 'none' }).tolistSync()).toEqual([0, 2, 3]);
    expect(() => mseLoss(x, y, { reduction: 'avg' as never })).toThrow(/reduction/);
  });
  it('gradcheck', () => {
    const x = f64([3, 4], 1), y = f64([3, 4], 2);
    expect(gradcheck((a, b) => mseLoss(a, b), [x, y])).toBe(true);
    expect(gradcheck((a, b) => l1Loss(a, b, { reduction: 'none' }), [x, y])).toBe(true);
    expect(gradcheck((a, b) => smoothL1Loss(a, b, { beta: 0.7 }), [x, y])).toBe(true);
    expect(gradcheck((a, b) => smoothL1Loss(a, b, { reduction: 'sum' }), [x, y])).toBe(true);
    expect(gradgradcheck((a, b) => mseLoss(a, b), [x, y])).toBe(true);
  });
});

describe('nllLoss / crossEntropy', () => {
  it('class weights with ignoreIndex divide by the sum of the non-ignored targets\' weights', () => {
    const logp = tensor([[-1, -2, -3], [-0.5, -1.5, -2.5], [-2, -1, -0.1]], { dtype: 'float64' });
    const w = tensor([1, 2, 3], { dtype: 'float64' });
    const t = i64([0, 2, -100]);
    expect(nllLoss(logp, t, { weight: w }).itemSync()).toBeCloseTo((1 * 1 + 3 * 2.5) / (1 + 3), 12);
    expect(nllLoss(logp, t, { weight: w, reduction: 'none' }).tolistSync()).toEqual([1, 7.5, 0]);
    expect(nllLoss(logp, i64([1, 1, 1]), { ignoreIndex: 1 }).itemSync()).toBeNaN(); // all ignored: 0/0 as PyTorch
  });
  it('unbatched input [C] with a 0-d target', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64' });
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(crossEntropy(x, tensor(2, { dtype: 'int64' })).itemSync()).toBeCloseTo(lse - 3, 12);
    expect(crossEntropy(x, tensor([0, 0, 1], { dtype: 'float64' })).itemSync()).toBeCloseTo(lse - 3, 12);
  });
  it('is stable for huge logits', () => {
    const x = tensor([[1000, 0], [0, -1000]], { dtype: 'float32' });
    const r = crossEntropy(x, i64([1, 1]), { reduction: 'none' }).tolistSync() as number[];
    expect(r[0]).toBeCloseTo(1000, 3);
    expect(r[1]).toBeCloseTo(1000, 3);
  });
  it('K-dim input, label smoothing with weights and ignored targets', () => {
    const x = f64([2, 3, 2, 2], 3, false);
    const t = i64([0, 1, 2, -100, 1, 1, 0, 2], [2, 2, 2]);
    const w = tensor([0.5, 1, 2], { dtype: 'float64' });
    const eps = 0.2;
    // reference straight from PyTorch 1.13's formula
    const logp = x.sub(x.logsumexp(1, true));
    const lp = logp.permute(0, 2, 3, 1).reshape([8, 3]).tolistSync() as number[][];
    const tv = [0, 1, 2, -100, 1, 1, 0, 2], wv = [0.5, 1, 2];
    let nll = 0, smooth = 0, den = 0;
    tv.forEach((c, i) => {
      if (c === -100) return;
      nll -= wv[c]! * lp[i]![c]!;
      den += wv[c]!;
      smooth -= lp[i]!.reduce((s, v, k) => s + v * wv[k]!, 0);
    });
    const expected = (1 - eps) * (nll / den) + (eps / 3) * (smooth / den);
    expect(crossEntropy(x, t, { weight: w, labelSmoothing: eps }).itemSync()).toBeCloseTo(expected, 10);
    expect(crossEntropy(x, t, { weight: w, labelSmoothing: eps, reduction: 'none' }).shape).toEqual([2, 2, 2]);
  });
  it('errors', () => {
    const x = f64([3, 4], 4, false);
    expect(() => crossEntropy(x, i64([0, 1, 4]))).toThrow(/out of bounds/);
    expect(() => crossEntropy(x, i64([0, 1]))).toThrow(/\[3\]/);
    expect(() => crossEntropy(x, x.mul(1).int())).toThrow(/floating point target/);
    expect(() => crossEntropy(x, i64([0, 1, 2]), { weight: tensor([1, 2], { dtype: 'float64' }) })).toThrow(/weight/);
    expect(() => crossEntropy(x, x.exp(), { ignoreIndex: 1 })).toThrow(/ignoreIndex/);
    expect(() => crossEntropy(x, i64([0, 1, 2]), { labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
  });
  it('gradcheck', () => {
    const x = f64([4, 3], 5), w = tensor([0.3, 1, 2], { dtype: 'float64' });
    const t = i64([0, 2, -100, 1]);
    const p = prob([4, 3], 6);
    expect(gradcheck((a) => crossEntropy(a, t), [x])).toBe(true);
    expect(gradcheck((a) => crossEntropy(a, t, { weight: w, labelSmoothing: 0.1 }), [x])).toBe(true);
    expect(gradcheck((a) => crossEntropy(a, t, { reduction: 'none', labelSmoothing: 0.3 }), [x])).toBe(true);
    expect(gradcheck((a, q) => crossEntropy(a, q, { weight: w, labelSmoothing: 0.1 }), [x, p])).toBe(true);
    expect(gradcheck((a) => crossEntropy(a, i64([0, 1, 1, 2, 0, 2], [2, 3]), { reduction: 'sum' }), [f64([2, 3, 3], 7)])).toBe(true);
    expect(gradcheck((a) => nllLoss(a, t, { weight: w }), [x])).toBe(true);
    expect(gradgradcheck((a) => crossEntropy(a, t, { weight: w }), [x])).toBe(true);
  });
});

describe('binary cross entropy', () => {
  it('clamps the log at -100 and keeps the input gradient finite at 0 and 1', () => {
    const x = tensor([0, 1, 0.5], { dtype: 'float64', requiresGrad: true });
    const y = tensor([1, 0, 1], { dtype: 'float64' });
    const l = binaryCrossEntropy(x, y, { reduction: 'none' });
    expect(l.tolistSync()).toEqual([100, 100, Math.LN2]);
    l.sum().backward();
    const g = x.grad!.tolistSync() as number[];
    expect(g[0]).toBe(-1e12);
    expect(g[1]).toBe(1e12);
    expect(g[2]).toBeCloseTo(-2, 12);
  });
  it('with logits is stable for |x| = 1000', () => {
    const x = tensor([1000, -1000, 0], { dtype: 'float32', requiresGrad: true });
    const y = tensor([0, 1, 1], { dtype: 'float32' });
    const l = binaryCrossEntropyWithLogits(x, y, { reduction: 'none' });
    const v = l.tolistSync() as number[];
    expect(v[0]).toBeCloseTo(1000, 3);
    expect(v[1]).toBeCloseTo(1000, 3);
    expect(v[2]).toBeCloseTo(Math.LN2, 6);
    l.sum().backward();
    const g = x.grad!.tolistSync() as number[];
    expect(g[0]).toBeCloseTo(1, 6);
    expect(g[1]).toBeCloseTo(-1, 6);
    expect(g[2]).toBeCloseTo(-0.5, 6);
  });
  it('rejects mismatched shapes', () => {
    expect(() => binaryCrossEntropy(prob([3], 1, false), prob([3, 1], 2, false))).toThrow(/target size/);
  });
  it('gradcheck (input and target)', () => {
    const x = prob([3, 4], 8), y = prob([3, 4], 9), w = prob([4], 10, false);
    expect(gradcheck((a, b) => binaryCrossEntropy(a, b), [x, y])).toBe(true);
    expect(gradcheck((a, b) => binaryCrossEntropy(a, b, { weight: w, reduction: 'sum' }), [x, y])).toBe(true);
    expect(gradgradcheck((a, b) => binaryCrossEntropy(a, b), [x, y])).toBe(true);
    const z = f64([3, 4], 11), pw = prob([4], 12, false).mul(3);
    expect(gradcheck((a, b) => binaryCrossEntropyWithLogits(a, b), [z, y])).toBe(true);
    expect(gradcheck((a, b) => binaryCrossEntropyWithLogits(a, b, { weight: w, posWeight: pw, reduction: 'none' }), [z, y])).toBe(true);
    expect(gradgradcheck((a, b) => binaryCrossEntropyWithLogits(a, b, { posWeight: pw }), [z, y])).toBe(true);
  });
});

describe('klDiv', () => {
  it('zero targets contribute 0 (xlogy) and reductions', () => {
    const x = tensor([[-1, -2], [-0.5, -3]], { dtype: 'float64' });
    const t = tensor([[0, 1], [0.5, 0.5]], { dtype: 'float64' });
    const none = klDiv(x, t, { reduction: 'none' }).tolistSync() as number[][];
    expect(none[0]![0]).toBe(0);
    expect(none[0]![1]).toBeCloseTo(2, 12);
    const s = klDiv(x, t, { reduction: 'sum' }).itemSync();
    expect(klDiv(x, t, { reduction: 'batchmean' }).itemSync()).toBeCloseTo(s / 2, 12);
    expect(klDiv(x, t).itemSync()).toBeCloseTo(s / 4, 12);
    const t2 = tensor([[0.25, 0.75], [0.5, 0.5]], { dtype: 'float64' });
    expect(klDiv(x, t2.log(), { reduction: 'sum', logTarget: true }).itemSync()).toBeCloseTo(klDiv(x, t2, { reduction: 'sum' }).itemSync(), 12);
  });
  it('gradcheck', () => {
    const x = f64([3, 4], 13), t = prob([3, 4], 14);
    expect(gradcheck((a, b) => klDiv(a, b, { reduction: 'batchmean' }), [x, t])).toBe(true);
    expect(gradcheck((a, b) => klDiv(a, b, { reduction: 'none', logTarget: true }), [x, f64([3, 4], 15)])).toBe(true);
    expect(gradgradcheck((a, b) => klDiv(a, b, { reduction: 'sum' }), [x, t])).toBe(true);
  });
});

describe('cosineSimilarity', () => {
  it('values, broadcasting and a zero vector', () => {
    const a = tensor([[1, 0], [1, 1], [0, 0]], { dtype: 'float64' });
    const b = tensor([[1, 1]], { dtype: 'float64' });
    const r = cosineSimilarity(a, b).tolistSync() as number[];
    expect(r[0]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(r[1]).toBeCloseTo(1, 12);
    expect(r[2]).toBe(0);
    expect(cosineSimilarity(a, b, { dim: -1 }).shape).toEqual([3]);
    expect(cosineSimilarity(randn([2, 3, 4]), randn([4]), { dim: -1 }).shape).toEqual([2, 3]);
  });
  it('gradient at a zero vector is finite', () => {
    const a = tensor([[0, 0]], { dtype: 'float64', requiresGrad: true });
    cosineSimilarity(a, tensor([[1, 2]], { dtype: 'float64' })).sum().backward();
    expect((a.grad!.tolistSync() as number[][])[0]!.every(Number.isFinite)).toBe(true);
  });
  it('gradcheck', () => {
    const a = f64([3, 4], 16), b = f64([1, 4], 17);
    expect(gradcheck((x, y) => cosineSimilarity(x, y), [a, b])).toBe(true);
    expect(gradcheck((x, y) => cosineSimilarity(x, y, { dim: 0 }), [a, f64([3, 4], 18)])).toBe(true);
    expect(gradgradcheck((x, y) => cosineSimilarity(x, y), [a, b])).toBe(true);
  });
});

describe('memory', () => {
  it('losses leave nothing behind in a training step', () => {
    const x = randn([4, 3], { requiresGrad: true });
    const t = i64([0, 2, 1, -100]);
    const step = () => tidy(() => {
      crossEntropy(x, t, { labelSmoothing: 0.1 }).backward();
      binaryCrossEntropyWithLogits(x, x.detach().sigmoid()).backward();
      binaryCrossEntropy(x.sigmoid(), x.detach().sigmoid()).backward();
      cosineSimilarity(x, x.detach().exp()).sum().backward();
    });
    step();
    const before = memory().numTensors;
    for (let k = 0; k < 3; k++) step();
    expect(memory().numTensors).toBe(before);
  });
});
