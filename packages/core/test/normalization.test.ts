import { describe, expect, it } from 'vitest';
import {
  JsBackend,
  Tensor,
  batchNorm,
  dropout,
  gradcheck,
  gradgradcheck,
  groupNorm,
  instanceNorm,
  layerNorm,
  linear,
  logSoftmax,
  manualSeed,
  memory,
  normalize,
  randn,
  registerBackend,
  softmax,
  tensor,
  tidy,
  viewOffsets,
  zeros,
  full,
  ones,
  type View,
} from '@tensile/core';
import { findFixtureFile, loadFixtures, runFixtureCase, type FixtureOp } from './support/fixtures.js';

// ---- fixtures (format: shared/fixtures/README.md) ----

const FIXTURE_FILE = findFixtureFile('nn_functional');
const ALL_CASES = FIXTURE_FILE ? loadFixtures('nn_functional') : [];

const RUNNERS: Record<string, FixtureOp> = {
  softmax: ([x], kw) => softmax(x as Tensor, kw.dim as number),
  log_softmax: ([x], kw) => logSoftmax(x as Tensor, kw.dim as number),
  layer_norm: ([x, ns, w, b], kw) => layerNorm(x as Tensor, ns as number[], w as Tensor | null, b as Tensor | null, kw.eps as number | undefined),
  batch_norm: ([x, rm, rv, w, b], kw) =>
    batchNorm(x as Tensor, rm as Tensor | null, rv as Tensor | null, w as Tensor | null, b as Tensor | null, kw.training as boolean, kw.momentum as number, kw.eps as number),
  group_norm: ([x, g, w, b], kw) => groupNorm(x as Tensor, g as number, w as Tensor | null, b as Tensor | null, kw.eps as number | undefined),
  dropout: ([x], kw) => dropout(x as Tensor, kw.p as number, kw.training as boolean),
  linear: ([x, w, b]) => linear(x as Tensor, w as Tensor, (b ?? null) as Tensor | null),
};

describe('nn_functional fixtures (softmax, normalisation, dropout, linear)', () => {
  it('fixture file is present', () => {
    expect(FIXTURE_FILE, 'missing ops/nn_functional.json; set TENSILE_FIXTURES').toBeDefined();
  });
  for (const [op, run] of Object.entries(RUNNERS)) {
    const cases = ALL_CASES.filter((c) => c.op === `torch.nn.functional.${op}`);
    it(`has cases for ${op}`, () => expect(cases.length).toBeGreaterThan(0));
    for (const c of cases) it(c.name, () => runFixtureCase(c, run));
  }
});

// ---- softmax family ----

const r64 = (shape: number[], requiresGrad = true) => randn(shape, { dtype: 'float64', requiresGrad });

describe('softmax / logSoftmax', () => {
  it('rows sum to one and match log', () => {
    manualSeed(1);
    const x = randn([3, 4]).mul(10);
    const y = softmax(x, 1);
    expect(Array.from(y.sum(1).dataSync() as Float32Array).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    const ly = logSoftmax(x, -1);
    const d = ly.exp().sub(y).abs().amax().itemSync();
    expect(d).toBeLessThan(1e-6);
    expect(x.softmax(1).tolistSync()).toEqual(y.tolistSync());
    expect(x.logSoftmax(1).tolistSync()).toEqual(ly.tolistSync());
  });
  it('is stable for huge logits and handles -inf entries', () => {
    const x = tensor([[1000, 1001, -Infinity], [-1e30, 0, 1e30]]);
    expect(softmax(x, 1).tolistSync()).toEqual([[1 / (1 + Math.E), Math.fround(Math.E / (1 + Math.E)), 0], [0, 0, 1]].map((r) => r.map(Math.fround)));
    const ls = logSoftmax(x, 1).tolistSync() as number[][];
    expect(ls[0]![2]).toBe(-Infinity);
    expect(ls[1]![2]).toBe(0);
  });
  it('0-d, ints and the dtype option', () => {
    expect(softmax(tensor(3.5), 0).itemSync()).toBe(1);
    expect(logSoftmax(tensor(3.5), -1).itemSync()).toBe(0);
    const y = softmax(tensor([1, 2, 3], { dtype: 'int64' }), 0);
    expect(y.dtype).toBe('float32');
    expect(softmax(tensor([1, 2, 3], { dtype: 'int64' }), 0, { dtype: 'float64' }).dtype).toBe('float64');
    expect(() => softmax(tensor([1, 2]), 1)).toThrow(/softmax: dimension out of range/);
  });
  it('gradcheck and gradgradcheck', () => {
    manualSeed(2);
    for (const dim of [0, 1, -1]) {
      const x = r64([2, 3, 4]);
      expect(gradcheck((a) => softmax(a, dim), [x])).toBe(true);
      expect(gradcheck((a) => logSoftmax(a, dim), [x])).toBe(true);
    }
    const x = r64([2, 3]);
    expect(gradgradcheck((a) => softmax(a, 1), [x])).toBe(true);
    expect(gradgradcheck((a) => logSoftmax(a, 0), [x])).toBe(true);
    // non-contiguous input
    const xt = r64([3, 2]);
    expect(gradcheck((a) => softmax(a.t(), 1), [xt])).toBe(true);
  });
});

// A JS backend with fused forward overrides, to test the override paths and their backward.
const calls = { softmax: 0, logSoftmax: 0, layerNorm: 0 };
function readView(v: View): number[] {
  const d = (v.buf as { data: ArrayLike<number> }).data;
  return Array.from(viewOffsets(v), (o) => d[o]!);
}
function rowsAlong(shape: readonly number[], dim: number, fn: (idx: number[]) => void): void {
  const size = shape[dim]!, inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) fn(Array.from({ length: size }, (_, k) => (o * size + k) * inner + i));
}
class FusedBackend extends JsBackend {
  overrides = {
    softmax: (x: View, dim: number, out: unknown) => {
      calls.softmax++;
      const v = readView(x), o = (out as { data: Float32Array }).data;
      rowsAlong(x.shape, dim, (idx) => {
        const m = Math.max(...idx.map((i) => v[i]!));
        const s = idx.reduce((a, i) => a + Math.exp(v[i]! - m), 0);
        for (const i of idx) o[i] = Math.exp(v[i]! - m) / s;
      });
    },
    logSoftmax: (x: View, dim: number, out: unknown) => {
      calls.logSoftmax++;
      const v = readView(x), o = (out as { data: Float32Array }).data;
      rowsAlong(x.shape, dim, (idx) => {
        const m = Math.max(...idx.map((i) => v[i]!));
        const lse = m + Math.log(idx.reduce((a, i) => a + Math.exp(v[i]! - m), 0));
        for (const i of idx) o[i] = v[i]! - lse;
      });
    },
    layerNorm: (x: View, w: View | null, b: View | null, n: number, eps: number, out: unknown) => {
      calls.layerNorm++;
      const v = readView(x), o = (out as { data: Float32Array }).data;
      const wv = w ? readView(w) : null, bv = b ? readView(b) : null;
      for (let r = 0; r < v.length / n; r++) {
        const row = v.slice(r * n, r * n + n);
        const mu = row.reduce((a, c) => a + c, 0) / n;
        const va = row.reduce((a, c) => a + (c - mu) ** 2, 0) / n;
        row.forEach((c, i) => (o[r * n + i] = ((c - mu) / Math.sqrt(va + eps)) * (wv ? wv[i]! : 1) + (bv ? bv[i]! : 0)));
      }
    },
  };
}
registerBackend(new FusedBackend('js-fused-test'));

describe('backend overrides', () => {
  it('softmax/logSoftmax use the fused forward and keep exact gradients (double backward too)', () => {
    manualSeed(3);
    const xd = randn([3, 5], { dtype: 'float64' });
    const x = xd.to('js-fused-test').requiresGrad_(true);
    const before = { ...calls };
    const ref = xd.clone().requiresGrad_(true);
    for (const [fn, name] of [[softmax, 'softmax'], [logSoftmax, 'logSoftmax']] as const) {
      for (const dim of [0, 1]) {
        const y = fn(x, dim), yr = fn(ref, dim);
        expect(y.device).toBe('js-fused-test');
        const yv = Array.from(y.dataSync() as Float64Array), rv = Array.from(yr.dataSync() as Float64Array);
        yv.forEach((v, i) => expect(v).toBeCloseTo(rv[i]!, 12));
        expect(calls[name]).toBeGreaterThan(before[name]);
      }
    }
    const fx = randn([2, 4], { dtype: 'float64' }).to('js-fused-test').requiresGrad_(true);
    expect(gradcheck((a) => softmax(a, 1), [fx])).toBe(true);
    expect(gradgradcheck((a) => logSoftmax(a, 1), [fx])).toBe(true);
  });
  it('layerNorm uses the fused forward, with grad too (backward in core ops)', () => {
    manualSeed(4);
    const x = randn([2, 3, 4]).to('js-fused-test');
    const w = randn([4]).to('js-fused-test'), b = randn([4]).to('js-fused-test');
    const n0 = calls.layerNorm;
    const fused = layerNorm(x, [4], w, b);
    expect(calls.layerNorm).toBe(n0 + 1);
    const wg = w.clone().requiresGrad_(true);
    const withGrad = layerNorm(x, [4], wg, b);
    expect(calls.layerNorm).toBe(n0 + 2);
    const composed = layerNorm(x.to('js'), [4], w.to('js'), b.to('js'));
    const a = fused.dataSync() as Float32Array, g = withGrad.dataSync() as Float32Array, c = composed.dataSync() as Float32Array;
    a.forEach((v, i) => expect(v).toBeCloseTo(c[i]!, 5));
    g.forEach((v, i) => expect(v).toBeCloseTo(c[i]!, 5));
    const r = (shape: number[]) => randn(shape, { dtype: 'float64' }).to('js-fused-test').requiresGrad_(true);
    const x64 = r([2, 3, 4]), w64 = r([4]), b64 = r([4]);
    expect(gradcheck((aa, ww, bb) => layerNorm(aa, [4], ww, bb), [x64, w64, b64])).toBe(true);
    expect(gradgradcheck((aa, ww, bb) => layerNorm(aa, [3, 4], null, bb), [x64, w64, b64.detach().reshape([1, 4]).expand([3, 4]).contiguous().requiresGrad_(true)])).toBe(true);
  });
});

// ---- layer / batch / group / instance norm ----

describe('layerNorm', () => {
  it('gradcheck and gradgradcheck with affine parameters', () => {
    manualSeed(5);
    const x = r64([2, 3, 4]), w = r64([4]), b = r64([4]);
    expect(gradcheck((a, ww, bb) => layerNorm(a, [4], ww, bb), [x, w, b])).toBe(true);
    expect(gradcheck((a) => layerNorm(a, [3, 4], null, null, 1e-3), [x])).toBe(true);
    const xs = r64([2, 3]), ws = r64([3]), bs = r64([3]);
    expect(gradgradcheck((a, ww, bb) => layerNorm(a, 3, ww, bb), [xs, ws, bs])).toBe(true);
  });
  it('rejects bad shapes', () => {
    expect(() => layerNorm(zeros([2, 3]), [4])).toThrow(/layerNorm: given normalizedShape=\[4\], expected input with shape \[\*, 4\], but got input of size \[2, 3\]/);
    expect(() => layerNorm(zeros([2, 3]), [3], zeros([4]))).toThrow(/weight of shape \[4\]/);
  });
});

describe('batchNorm', () => {
  it('updates running stats in place (unbiased variance) and leaves them alone in eval', () => {
    const x = tensor([[1, 10], [3, 20], [5, 60]], { dtype: 'float32' });
    const rm = zeros([2]), rv = ones([2]);
    const y = batchNorm(x, rm, rv, null, null, true, 0.5);
    // means 3, 30; biased var 8/3, 1400/3; unbiased 4, 700
    expect(rm.tolistSync()).toEqual([1.5, 15]);
    expect(rv.tolistSync()).toEqual([2.5, 350.5]);
    expect((y.tolistSync() as number[][])[0]![0]).toBeCloseTo(-2 / Math.sqrt(8 / 3 + 1e-5), 5);
    const y2 = batchNorm(x, rm, rv, full([2], 2.0, { dtype: 'float32' }), ones([2]), false);
    expect(rm.tolistSync()).toEqual([1.5, 15]);
    expect((y2.tolistSync() as number[][])[2]![1]).toBeCloseTo(((60 - 15) / Math.sqrt(350.5 + 1e-5)) * 2 + 1, 4);
  });
  it('running stats take no gradient and the op needs >1 value per channel', () => {
    const x = randn([4, 3, 2], { requiresGrad: true });
    const rm = zeros([3]), rv = ones([3]);
    batchNorm(x, rm, rv, null, null, true).sum().backward();
    expect(rm.requiresGrad).toBe(false);
    expect(rm.gradFn).toBeNull();
    expect(() => batchNorm(randn([1, 3]), rm, rv, null, null, true)).toThrow(/expected more than 1 value per channel when training/);
    expect(() => batchNorm(randn([2, 3]), zeros([4]), rv, null, null, true)).toThrow(/runningMean should contain 3 elements/);
    expect(() => batchNorm(randn([2, 3]), null, null)).toThrow(/evaluation mode/);
  });
  it('gradcheck in training and eval mode', () => {
    manualSeed(6);
    const x = r64([3, 2, 2]), w = r64([2]), b = r64([2]);
    expect(gradcheck((a, ww, bb) => batchNorm(a, null, null, ww, bb, true), [x, w, b])).toBe(true);
    const rm = randn([2], { dtype: 'float64' }), rv = randn([2], { dtype: 'float64' }).abs().add(0.5);
    expect(gradcheck((a, ww, bb) => batchNorm(a, rm, rv, ww, bb, false), [x, w, b])).toBe(true);
    const x2 = r64([4, 3]);
    expect(gradgradcheck((a) => batchNorm(a, null, null, null, null, true), [x2])).toBe(true);
  });
});

describe('groupNorm / instanceNorm', () => {
  it('groupNorm gradcheck and errors', () => {
    manualSeed(7);
    const x = r64([2, 4, 3]), w = r64([4]), b = r64([4]);
    expect(gradcheck((a, ww, bb) => groupNorm(a, 2, ww, bb), [x, w, b])).toBe(true);
    expect(() => groupNorm(zeros([2, 4, 3]), 3)).toThrow(/divisible by numGroups.*\[2, 4, 3\].*numGroups=3/);
  });
  it('instanceNorm equals groupNorm with one channel per group, and updates running stats', () => {
    manualSeed(8);
    const x = randn([2, 3, 5]);
    const rm = zeros([3]), rv = ones([3]);
    const a = instanceNorm(x, rm, rv).dataSync() as Float32Array;
    const g = groupNorm(x, 3).dataSync() as Float32Array;
    a.forEach((v, i) => expect(v).toBeCloseTo(g[i]!, 5));
    const mu = x.mean(2).mean(0).mul(0.1).dataSync() as Float32Array;
    (rm.dataSync() as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(mu[i]!, 6));
    const varU = x.sub(x.mean(2, true)).square().sum(2).div(4).mean(0).mul(0.1).add(0.9).dataSync() as Float32Array;
    (rv.dataSync() as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(varU[i]!, 5));
    const x64 = r64([2, 2, 3]);
    expect(gradcheck((t) => instanceNorm(t), [x64])).toBe(true);
  });
});

// ---- dropout ----

describe('dropout', () => {
  it('p=0 and eval mode return the input itself', () => {
    const x = randn([3, 4]);
    expect(dropout(x, 0)).toBe(x);
    expect(dropout(x, 0.5, false)).toBe(x);
    expect(() => dropout(x, 1.5)).toThrow(/dropout probability has to be between 0 and 1, but got 1.5/);
    expect(dropout(x, 1).abs().sum().itemSync()).toBe(0);
  });
  it('keeps about 1-p of the elements, scaled by 1/(1-p), reproducibly under manualSeed', () => {
    const x = ones([200, 100]);
    manualSeed(9);
    const y = dropout(x, 0.3);
    const v = y.dataSync() as Float32Array;
    const kept = v.filter((e) => e !== 0);
    expect(kept.every((e) => Math.abs(e - 1 / 0.7) < 1e-6)).toBe(true);
    expect(Math.abs(kept.length / v.length - 0.7)).toBeLessThan(0.02);
    manualSeed(9);
    expect(dropout(x, 0.3).tolistSync()).toEqual(y.tolistSync());
    // the gradient is the same scaled mask
    const xg = ones([50, 40], { requiresGrad: true });
    manualSeed(10);
    const yg = dropout(xg, 0.25);
    yg.sum().backward();
    expect(xg.grad!.tolistSync()).toEqual(yg.tolistSync());
  });
  it('gradcheck with a fixed seed', () => {
    const x = r64([3, 4]);
    expect(gradcheck((a) => { manualSeed(11); return dropout(a, 0.4); }, [x])).toBe(true);
  });
});

// ---- linear / normalize ----

describe('linear / normalize', () => {
  it('linear gradcheck and shape errors', () => {
    manualSeed(12);
    const x = r64([2, 3, 4]), w = r64([5, 4]), b = r64([5]);
    expect(linear(x, w, b).shape).toEqual([2, 3, 5]);
    expect(gradcheck((a, ww, bb) => linear(a, ww, bb), [x, w, b])).toBe(true);
    expect(gradgradcheck((a, ww) => linear(a, ww), [r64([2, 3]), r64([2, 3])])).toBe(true);
    expect(() => linear(zeros([2, 3]), zeros([4, 5]))).toThrow(/linear: input of shape \[2, 3\] and weight of shape \[4, 5\] cannot be multiplied \(3 != 5\)/);
  });
  it('linear on 2-D input (one AddmmBackward node) matches matmul + add in values and gradients', () => {
    manualSeed(13);
    const x = r64([6, 4]), w = r64([5, 4]), b = r64([5]);
    expect(gradcheck((a, ww, bb) => linear(a, ww, bb), [x, w, b])).toBe(true);
    expect(gradgradcheck((a, ww, bb) => linear(a, ww, bb), [x, w, b])).toBe(true);
    const leaves = () => [x, w, b].map((t) => t.detach().requiresGrad_(true));
    const [x1, w1, b1] = leaves(), [x2, w2, b2] = leaves();
    const y1 = linear(x1!, w1!, b1!);
    const y2 = x2!.matmul(w2!.t()).add(b2!);
    expect(y1.gradFn?.name).toBe('AddmmBackward');
    expect(y1.tolistSync()).toEqual(y2.tolistSync());
    const g = r64([6, 5]);
    y1.backward(g);
    y2.backward(g);
    for (const [p, q] of [[x1, x2], [w1, w2], [b1, b2]] as const) {
      expect(p!.grad!.shape).toEqual(q!.grad!.shape);
      const pa = p!.grad!.dataSync(), qa = q!.grad!.dataSync();
      pa.forEach((v, i) => expect(v).toBeCloseTo(qa[i] as number, 12));
    }
    expect(w1!.grad!.isContiguous()).toBe(true);
    // without bias, and a bias that only broadcasts ([1]) keeps the composite
    expect(gradcheck((a, ww) => linear(a, ww), [x, w])).toBe(true);
    expect(gradcheck((a, ww, bb) => linear(a, ww, bb), [x, w, r64([1])])).toBe(true);
  });
  it('normalize: unit norms, zero vectors, gradcheck', () => {
    const x = tensor([[3, 4], [0, 0]], { dtype: 'float32' });
    expect(normalize(x, { dim: 1 }).tolistSync()).toEqual([[0.6, 0.8].map(Math.fround), [0, 0]]);
    expect(normalize(x, { p: 1, dim: 1 }).tolistSync()).toEqual([[3 / 7, 4 / 7].map(Math.fround), [0, 0]]);
    const z = zeros([2, 2], { requiresGrad: true });
    normalize(z).sum().backward();
    expect((z.grad!.dataSync() as Float32Array).every((v) => Number.isFinite(v))).toBe(true);
    manualSeed(13);
    const xr = r64([3, 4]);
    expect(gradcheck((a) => normalize(a), [xr])).toBe(true);
    expect(gradcheck((a) => normalize(a, { p: 3, dim: 0 }), [xr])).toBe(true);
  });
});

describe('memory', () => {
  it('training steps keep the live-tensor count flat', () => {
    manualSeed(14);
    const x = randn([4, 3, 2, 2]);
    const w = randn([3], { requiresGrad: true }), b = randn([3], { requiresGrad: true });
    const rm = zeros([3]), rv = ones([3]);
    const lw = randn([5, 12], { requiresGrad: true });
    const step = () => tidy(() => {
      const h = batchNorm(x, rm, rv, w, b, true).flatten(1);
      const o = logSoftmax(dropout(linear(layerNorm(h, [12]), lw), 0.1), 1);
      o.sum().backward();
    });
    step();
    const before = memory();
    for (let i = 0; i < 5; i++) step();
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
  });
});
