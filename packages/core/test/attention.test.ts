import { describe, expect, it } from 'vitest';
import {
  Tensor,
  dropout,
  gradcheck,
  gradgradcheck,
  manualSeed,
  memory,
  randn,
  scaledDotProductAttention as sdpa,
  softmax,
  tensor,
  tidy,
} from '@tensile/core';
import { findFixtureFile, loadFixtures, runFixtureCase } from './support/fixtures.js';

// ---- fixtures (format: shared/fixtures/README.md) ----

const FIXTURE_FILE = findFixtureFile('nn_functional');
const CASES = FIXTURE_FILE ? loadFixtures('nn_functional').filter((c) => c.op === 'torch.nn.functional.scaled_dot_product_attention') : [];

describe('scaled_dot_product_attention fixtures', () => {
  it('fixture cases are present', () => {
    expect(FIXTURE_FILE, 'missing ops/nn_functional.json; set TENSILE_FIXTURES').toBeDefined();
    expect(CASES.length).toBeGreaterThan(0);
  });
  for (const c of CASES) {
    it(c.name, () => runFixtureCase(c, ([q, k, v], kw) => sdpa(q, k, v, {
      attnMask: kw.attn_mask ?? null,
      dropoutP: kw.dropout_p,
      isCausal: kw.is_causal,
      scale: kw.scale ?? null,
    })));
  }
});

// ---- behaviour ----

const r64 = (shape: number[], requiresGrad = true) => randn(shape, { dtype: 'float64', requiresGrad });

/** The explicit reference: softmax(q k^T * scale + additive mask) v. */
function reference(q: Tensor, k: Tensor, v: Tensor, addMask: Tensor | null, scale = 1 / Math.sqrt(q.shape[q.ndim - 1]!)): Tensor {
  let s = q.matmul(k.mT).mul(scale);
  if (addMask) s = s.add(addMask);
  return softmax(s, -1).matmul(v);
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return a.sub(b).abs().amax().itemSync();
}

describe('scaledDotProductAttention', () => {
  it('causal equals an explicit lower-triangular bool mask and an additive -inf mask (L != S too)', () => {
    manualSeed(1);
    for (const [l, s] of [[4, 4], [3, 5], [5, 3]] as const) {
      const q = randn([2, l, 4]), k = randn([2, s, 4]), v = randn([2, s, 3]);
      const tril = tensor(Array.from({ length: l }, (_, i) => Array.from({ length: s }, (_, j) => j <= i)));
      const add = tensor(Array.from({ length: l }, (_, i) => Array.from({ length: s }, (_, j) => (j <= i ? 0 : -Infinity))), { dtype: 'float32' });
      const a = sdpa(q, k, v, { isCausal: true });
      expect(maxAbsDiff(a, sdpa(q, k, v, { attnMask: tril }))).toBeLessThan(1e-6);
      expect(maxAbsDiff(a, reference(q, k, v, add))).toBeLessThan(1e-6);
    }
  });
  it('scale option and broadcasting of a [L, S] mask over batch and heads', () => {
    manualSeed(2);
    const q = randn([2, 3, 4, 8]), k = randn([2, 3, 6, 8]), v = randn([2, 3, 6, 5]);
    const m = randn([4, 6]);
    const out = sdpa(q, k, v, { attnMask: m, scale: 0.3 });
    expect(out.shape).toEqual([2, 3, 4, 5]);
    expect(maxAbsDiff(out, reference(q, k, v, m, 0.3))).toBeLessThan(1e-6);
  });
  it('a fully masked query row gives zeros and finite gradients; other rows are unaffected', () => {
    manualSeed(3);
    const q = randn([1, 3, 4], { requiresGrad: true }), k = randn([1, 5, 4], { requiresGrad: true }), v = randn([1, 5, 2], { requiresGrad: true });
    // row 1 may attend to nothing
    const mask = tensor([[[true, true, false, true, false], [false, false, false, false, false], [true, true, true, true, true]]]);
    const out = sdpa(q, k, v, { attnMask: mask });
    const rows = out.tolistSync() as number[][][];
    expect(rows[0]![1]).toEqual([0, 0]);
    const add = tensor([[[0, 0, -Infinity, 0, -Infinity], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]], { dtype: 'float32' });
    const ref = reference(q, k, v, add).tolistSync() as number[][][];
    for (const r of [0, 2]) rows[0]![r]!.forEach((x, i) => expect(x).toBeCloseTo(ref[0]![r]![i]!, 6));
    out.sum().backward();
    for (const t of [q, k, v]) expect((t.grad!.dataSync() as Float32Array).every((x) => Number.isFinite(x))).toBe(true);
    expect((q.grad!.tolistSync() as number[][][])[0]![1]).toEqual([0, 0, 0, 0]);
    // the same holds for an additive mask that is -inf on a whole row
    const fm = tensor([[[0, -Infinity], [-Infinity, -Infinity]]], { dtype: 'float32' });
    const o2 = sdpa(randn([1, 2, 4]), randn([1, 2, 4]), randn([1, 2, 3]), { attnMask: fm }).tolistSync() as number[][][];
    expect(o2[0]![1]).toEqual([0, 0, 0]);
  });
  it('grouped-query attention repeats key/value heads', () => {
    manualSeed(4);
    const q = randn([2, 4, 3, 8]), k = randn([2, 2, 5, 8]), v = randn([2, 2, 5, 6]);
    const rep = (t: Tensor) => t.unsqueeze(2).expand([2, 2, 2, t.shape[2]!, t.shape[3]!]).reshape([2, 4, t.shape[2]!, t.shape[3]!]);
    expect(maxAbsDiff(sdpa(q, k, v, { enableGqa: true }), sdpa(q, rep(k), rep(v)))).toBeLessThan(1e-6);
  });
  it('dropout on the attention weights follows the seeded generator', () => {
    manualSeed(5);
    const q = randn([2, 4, 8]), k = randn([2, 6, 8]), v = randn([2, 6, 3]);
    manualSeed(6);
    const a = sdpa(q, k, v, { dropoutP: 0.4 });
    manualSeed(6);
    const b = dropout(softmax(q.matmul(k.mT).mul(1 / Math.sqrt(8)), -1), 0.4).matmul(v);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
    expect(maxAbsDiff(a, sdpa(q, k, v))).toBeGreaterThan(1e-3);
  });
  it('rejects bad arguments with clear messages', () => {
    const q = randn([2, 3, 4]), k = randn([2, 5, 4]), v = randn([2, 5, 2]);
    expect(() => sdpa(q, k, v, { isCausal: true, attnMask: tensor([[true]]) })).toThrow(/attnMask should not be set when isCausal=true/);
    expect(() => sdpa(q, randn([2, 5, 3]), v)).toThrow(/same embedding size.*\[2, 3, 4\].*\[2, 5, 3\]/);
    expect(() => sdpa(q, k, randn([2, 4, 2]))).toThrow(/same sequence length/);
    expect(() => sdpa(q, k, v, { attnMask: tensor([[1]], { dtype: 'int64' }) })).toThrow(/attnMask dtype to be bool or floating, but got int64/);
  });
  it('gradcheck (no mask, causal, bool mask, float mask) and gradgradcheck', () => {
    manualSeed(7);
    const q = r64([2, 3, 4]), k = r64([2, 4, 4]), v = r64([2, 4, 2]);
    expect(gradcheck((a, b, c) => sdpa(a, b, c), [q, k, v])).toBe(true);
    expect(gradcheck((a, b, c) => sdpa(a, b, c, { isCausal: true }), [q, k, v])).toBe(true);
    const bm = tensor([[true, false, true, true], [false, false, false, false], [true, true, true, false]]);
    expect(gradcheck((a, b, c) => sdpa(a, b, c, { attnMask: bm }), [q, k, v])).toBe(true);
    const fm = randn([3, 4], { dtype: 'float64' });
    expect(gradcheck((a, b, c) => sdpa(a, b, c, { attnMask: fm, scale: 0.7 }), [q, k, v])).toBe(true);
    const qs = r64([1, 2, 3]), ks = r64([1, 3, 3]), vs = r64([1, 3, 2]);
    expect(gradgradcheck((a, b, c) => sdpa(a, b, c, { isCausal: true }), [qs, ks, vs])).toBe(true);
  });
  it('leaves no tensors behind', () => {
    manualSeed(8);
    const q = randn([2, 3, 4], { requiresGrad: true }), k = randn([2, 4, 4]), v = randn([2, 4, 2]);
    const mask = tensor([[true, false, true, true]]);
    const step = () => tidy(() => sdpa(q, k, v, { attnMask: mask }).sum().backward());
    step();
    const before = memory();
    for (let i = 0; i < 3; i++) step();
    expect(memory().numTensors).toBe(before.numTensors);
    // without tidy and without grad, only the output survives
    const base = memory().numTensors;
    const out = sdpa(k, k, v, { attnMask: mask });
    out.dispose();
    expect(memory().numTensors).toBe(base);
  });
});
