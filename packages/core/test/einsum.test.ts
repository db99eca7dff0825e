import { describe, expect, it } from 'vitest';
import {
  Tensor, arange, bmm, einsum, gradcheck, gradgradcheck, manualSeed, matmul, memory, mm, outer, randn, tensor, tidy,
} from '@tensile/core';
import { fixtureTests, loadFixtures, type FixtureOp } from './support/fixtures.js';

// ---- linalg.json (tril/triu belong to ops/shape.ts and are tested there) ----

const T = (a: unknown) => a as Tensor;
const linalgOps: Record<string, FixtureOp> = {
  'torch.matmul': (a) => matmul(T(a[0]), T(a[1])),
  'torch.mm': (a) => mm(T(a[0]), T(a[1])),
  'torch.bmm': (a) => bmm(T(a[0]), T(a[1])),
  'torch.outer': (a) => outer(T(a[0]), T(a[1])),
  'torch.einsum': (a) => einsum(a[0] as string, ...(a.slice(1) as Tensor[])),
};

describe('fixtures: ops/linalg.json', () => {
  fixtureTests(loadFixtures('linalg').filter((c) => c.op !== 'torch.tril' && c.op !== 'torch.triu'), linalgOps);
});

// ---- einsum behaviour ----

const f64 = (shape: number[], seed: number, requiresGrad = true) => {
  manualSeed(seed);
  return randn(shape, { dtype: 'float64', requiresGrad });
};
const vals = (t: Tensor) => Array.from(t.dataSync() as Float64Array);
function expectAllClose(a: Tensor, b: Tensor, tol = 1e-10): void {
  expect(a.shape).toEqual(b.shape);
  const x = vals(a), y = vals(b);
  x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(y[i]!))));
}

describe('einsum', () => {
  const a = f64([3, 4], 1, false), b = f64([4, 5], 2, false), c = f64([5, 2], 3, false);
  it('explicit and implicit output', () => {
    expectAllClose(einsum('ij,jk->ik', a, b), matmul(a, b));
    expectAllClose(einsum('ij,jk', a, b), matmul(a, b));
    expectAllClose(einsum('ij', a), a); // implicit: labels sorted, i before j
    expectAllClose(einsum('ji', a), a.t()); // implicit output 'ij'
    expectAllClose(einsum(' i j , j k -> i k ', [a, b]), matmul(a, b)); // spaces, array form
  });
  it('full reduction, trace and diagonal', () => {
    const sq = f64([4, 4], 4, false);
    expect(einsum('ij->', a).itemSync()).toBeCloseTo(a.sum().itemSync(), 10);
    const d = vals(sq);
    expect(einsum('ii', sq).itemSync()).toBeCloseTo(d[0]! + d[5]! + d[10]! + d[15]!, 10);
    expect(vals(einsum('ii->i', sq))).toEqual([d[0], d[5], d[10], d[15]]);
    const x = f64([2, 3, 3], 5, false);
    expectAllClose(einsum('bii->b', x), einsum('bij->b', x.mul(tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]], { dtype: 'float64' }))));
  });
  it('three operands, contracted left to right', () => {
    expectAllClose(einsum('ij,jk,kl->il', a, b, c), matmul(matmul(a, b), c));
    expect(einsum('ij,jk,kl->', a, b, c).itemSync()).toBeCloseTo(matmul(matmul(a, b), c).sum().itemSync(), 10);
  });
  it('elementwise, outer, batch and summed-only labels', () => {
    const x = f64([3, 4], 6, false);
    expectAllClose(einsum('ij,ij->ij', a, x), a.mul(x));
    expectAllClose(einsum('ij,ij->i', a, x), a.mul(x).sum(1));
    expectAllClose(einsum('i,j', a.select(1, 0), b.select(0, 0)), outer(a.select(1, 0), b.select(0, 0)));
    expectAllClose(einsum('ij,kl->ik', a, c), a.sum(1).reshape([3, 1]).mul(c.sum(1).reshape([1, 5])));
  });
  it('ellipsis and broadcasting', () => {
    const x = f64([2, 3, 4], 7, false), y = f64([4, 5], 8, false);
    expectAllClose(einsum('...ij,jk->...ik', x, y), matmul(x, y));
    expectAllClose(einsum('...j,jk', x, y), matmul(x, y));
    const p = f64([2, 1, 3, 4], 9, false), q = f64([5, 4, 2], 10, false);
    expectAllClose(einsum('...ij,...jk->...ik', p, q), matmul(p, q));
    expectAllClose(einsum('b...->...', x), x.sum(0));
    // size-1 label broadcasting
    const r = f64([1, 4], 11, false);
    expectAllClose(einsum('ij,ij->ij', r, a), r.mul(a));
  });
  it('errors name the equation and shapes', () => {
    expect(() => einsum('ij,jk->ik', a)).toThrow(/2 operand/);
    expect(() => einsum('ijk', a)).toThrow(/2 dimension/);
    expect(() => einsum('ij,jk->ik', a, c)).toThrow(/'j'/);
    expect(() => einsum('ij->ix', a)).toThrow(/'x'/);
    expect(() => einsum('i1->i', a)).toThrow(/letters/);
    expect(() => einsum('ij,jk', a, b.float())).toThrow(/dtype/);
  });
  it('works with int64 operands', () => {
    const x = arange(6).reshape([2, 3]), y = arange(3);
    expect(einsum('ij,j->i', x, y).tolistSync()).toEqual([5, 14]);
  });
  it('gradcheck', () => {
    const x = f64([2, 3, 4], 12), y = f64([2, 4, 3], 13), z = f64([3, 3], 14), v = f64([4], 15);
    expect(gradcheck((p, q) => einsum('bij,bjk->bik', p, q), [x, y])).toBe(true);
    expect(gradcheck((p, q) => einsum('bij,bjk->', p, q), [x, y])).toBe(true);
    expect(gradcheck((p, w) => einsum('bij,j->bi', p, w), [x, v])).toBe(true);
    expect(gradcheck((p, q, r) => einsum('bij,bjk,kl->bl', p, q, r), [x, y, z])).toBe(true);
    expect(gradcheck((r) => einsum('ii->i', r), [z])).toBe(true);
    expect(gradcheck((r) => einsum('ii', r), [z])).toBe(true);
    expect(gradcheck((p, w) => einsum('...j,j->...', p, w), [x, v])).toBe(true);
    expect(gradcheck((p) => einsum('bij->jb', p), [x])).toBe(true);
    expect(gradgradcheck((p, q) => einsum('bij,bjk->bik', p, q), [x, y])).toBe(true);
  });
  it('frees its intermediates', () => {
    const x = randn([2, 3, 4], { requiresGrad: true }), y = randn([4, 5]);
    tidy(() => { einsum('bij,jk->bik', x, y).sum().backward(); });
    const before = memory().numTensors;
    tidy(() => { einsum('bij,jk,kl->il', x, y, randn([5, 2])).sum().backward(); });
    expect(memory().numTensors).toBe(before);
    // without a graph, only the result (and the randn operand) stay alive
    const z = randn([5, 2]), xd = x.detach();
    const n0 = memory().numTensors;
    const r = einsum('bij,jk,kl->il', xd, y, z);
    expect(memory().numTensors).toBe(n0 + 1);
    r.dispose();
  });
});
