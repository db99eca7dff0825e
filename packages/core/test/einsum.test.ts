import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  Tensor, arange, bmm, einsum, gradcheck, gradgradcheck, manualSeed, matmul, memory, mm, outer, randn, tensor, tidy, type DType,
} from '@tensile/core';

// ---- golden-fixture harness (ops/<family>.json, see fixtures/README.md) ----

interface FT { shape: number[]; dtype: string; data: (number | boolean)[] }
interface Case {
  name: string; op: string; args: unknown[]; kwargs?: Record<string, unknown>;
  input_layout?: { arg: number; transform: string };
  output: FT | FT[]; grad_output?: (FT | null) | (FT | null)[]; grads?: (FT | null)[]; rtol: number; atol: number;
}

function fixtureFile(family: string): { cases: Case[] } {
  const dirs = [
    process.env.TENSILE_FIXTURES,
    fileURLToPath(new URL('../../conformance/fixtures/', import.meta.url)),
    fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url)),
  ].filter((d): d is string => !!d);
  const dir = dirs.find((d) => existsSync(`${d}/ops/${family}.json`));
  if (!dir) throw new Error(`fixtures ops/${family}.json not found in ${dirs.join(', ')}`);
  return JSON.parse(readFileSync(`${dir}/ops/${family}.json`, 'utf8'));
}

const isFT = (v: unknown): v is FT => typeof v === 'object' && v !== null && 'shape' in v && 'data' in v;

function fromFT(f: FT, requiresGrad = false): Tensor {
  const dtype = f.dtype as DType;
  const data = dtype === 'int64' ? BigInt64Array.from(f.data.map((v) => BigInt(v as number)))
    : dtype === 'bool' ? Uint8Array.from(f.data.map((v) => (v ? 1 : 0)))
      : Float32Array.from(f.data as number[]);
  return tensor(data, { dtype, shape: f.shape, requiresGrad });
}

function applyLayout(t: Tensor, transform: string): Tensor {
  let r = t;
  for (const m of transform.matchAll(/(\w+)\(([^)]*)\)/g)) {
    const nums = m[2]!.split(',').filter((s) => s.trim() !== '').map(Number);
    if (m[1] === 'transpose') r = r.transpose(nums[0]!, nums[1]!);
    else if (m[1] === 'permute') r = r.permute(nums);
    else if (m[1] === 'narrow') r = r.narrow(nums[0]!, nums[1]!, nums[2]!);
    else if (m[1] === 'expand') r = r.expand(nums);
    else throw new Error(`unknown transform ${m[1]}`);
  }
  return r;
}

function expectClose(name: string, actual: Tensor, expected: FT, rtol: number, atol: number): void {
  expect(actual.shape, `${name}: shape`).toEqual(expected.shape);
  const a = Array.from(actual.dataSync() as ArrayLike<number | bigint>, Number);
  if (expected.dtype === 'int64' || expected.dtype === 'bool') {
    expect(a, `${name}: values`).toEqual(expected.data.map(Number));
    return;
  }
  const e = Float32Array.from(expected.data as number[]);
  for (let i = 0; i < e.length; i++) {
    const ok = Math.abs(a[i]! - e[i]!) <= atol + rtol * Math.abs(e[i]!) || (Number.isNaN(e[i]) && Number.isNaN(a[i]));
    if (!ok) throw new Error(`${name}: element ${i}: got ${a[i]}, expected ${e[i]} (rtol ${rtol}, atol ${atol})`);
  }
}

type OpFn = (args: unknown[], kw: Record<string, unknown>) => Tensor | Tensor[];

/** Run every case: build inputs (with layouts), check outputs, backprop grad_output and check grads. */
function runFixtures(family: string, ops: Record<string, OpFn>, skip: (c: Case) => boolean = () => false): void {
  const { cases } = fixtureFile(family);
  for (const c of cases) {
    if (skip(c)) continue;
    it(c.name, () => {
      const fn = ops[c.op];
      if (!fn) throw new Error(`no mapping for ${c.op}`);
      tidy(() => {
        const base = c.args.map((a, i) => (isFT(a) ? fromFT(a, !!c.grads?.[i] && a.dtype === 'float32') : a));
        const args = base.map((a, i) => (c.input_layout?.arg === i ? applyLayout(a as Tensor, c.input_layout.transform) : a));
        const kw: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(c.kwargs ?? {})) kw[k] = isFT(v) ? fromFT(v) : v;
        const out = fn(args, kw);
        const outs = Array.isArray(out) ? out : [out];
        const exp = Array.isArray(c.output) ? c.output : [c.output];
        expect(outs.length).toBe(exp.length);
        outs.forEach((o, i) => expectClose(`${c.name} output ${i}`, o, exp[i]!, c.rtol, c.atol));
        if (!c.grads) return;
        const gos = (Array.isArray(c.grad_output) ? c.grad_output : [c.grad_output]) as (FT | null)[];
        let loss: Tensor | null = null;
        gos.forEach((g, i) => {
          if (!g) return;
          const term = outs[i]!.mul(fromFT(g)).sum();
          loss = loss ? loss.add(term) : term;
        });
        (loss as Tensor | null)!.backward();
        c.grads.forEach((g, i) => {
          if (!g) return;
          const t = base[i] as Tensor;
          expect(t.grad, `${c.name}: grad of arg ${i}`).not.toBeNull();
          expectClose(`${c.name} grad ${i}`, t.grad!, g, c.rtol, c.atol);
        });
      });
    });
  }
}

// ---- linalg.json (tril/triu belong to ops/shape.ts and are tested there) ----

const T = (a: unknown) => a as Tensor;
const linalgOps: Record<string, OpFn> = {
  'torch.matmul': (a) => matmul(T(a[0]), T(a[1])),
  'torch.mm': (a) => mm(T(a[0]), T(a[1])),
  'torch.bmm': (a) => bmm(T(a[0]), T(a[1])),
  'torch.outer': (a) => outer(T(a[0]), T(a[1])),
  'torch.einsum': (a) => einsum(a[0] as string, ...(a.slice(1) as Tensor[])),
};

describe('fixtures: ops/linalg.json', () => {
  runFixtures('linalg', linalgOps, (c) => c.op === 'torch.tril' || c.op === 'torch.triu');
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
