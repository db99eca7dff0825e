/**
 * Golden-fixture harness shared by the core tests: ops/<family>.json files in the format of
 * shared/fixtures/README.md (copied as packages/conformance/fixtures/FORMAT.md).
 *
 * @tensile/conformance has its own runner, but it depends on @tensile/core, so core's tests
 * cannot import it; this module is the one copy the core tests use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { Tensor, sl, tensor, tidy, type IndexItem } from '@tensile/core';

/** A tensor as the fixtures store it: flat row-major `data` (float32 values as shortest round-trip decimals). */
export interface FixtureTensor { shape: number[]; dtype: 'float32' | 'int64' | 'bool'; data: (number | boolean)[] }

/** One case of an ops/<family>.json file. */
export interface FixtureCase {
  name: string;
  op: string;
  args: unknown[];
  kwargs?: Record<string, unknown>;
  input_layout?: { arg: number; transform: string };
  output: FixtureTensor | FixtureTensor[];
  grad_output?: FixtureTensor | (FixtureTensor | null)[];
  /** Per arg: a gradient, a list of them for a list-of-tensors arg, or null (not differentiated). */
  grads?: (FixtureTensor | (FixtureTensor | null)[] | null)[];
  mutated_args?: Record<string, FixtureTensor>;
  rtol: number;
  atol: number;
  note?: string;
}

/** Maps a case's decoded (args, kwargs) to the op's output(s). Fixture args are loosely typed JSON. */
export type FixtureOp = (args: any[], kw: Record<string, any>) => Tensor | Tensor[]; // eslint-disable-line @typescript-eslint/no-explicit-any

// ---- locating and loading ----

const here = fileURLToPath(new URL('.', import.meta.url)); // packages/core/test/support/

/** Folders searched for ops/<family>.json, in order: $TENSILE_FIXTURES, the conformance copy, ../shared/fixtures. */
export function fixtureDirs(): string[] {
  return [
    process.env.TENSILE_FIXTURES,
    join(here, '../../../conformance/fixtures'),
    join(here, '../../../../../shared/fixtures'),
  ].filter((d): d is string => !!d);
}

/** Path of ops/<family>.json in the first folder of fixtureDirs() that has it, or undefined. */
export function findFixtureFile(family: string): string | undefined {
  return fixtureDirs().map((d) => join(d, 'ops', `${family}.json`)).find((f) => existsSync(f));
}

/** Every case of ops/<family>.json; throws when no folder has it. */
export function loadFixtures(family: string): FixtureCase[] {
  const file = findFixtureFile(family);
  if (!file) throw new Error(`fixtures ops/${family}.json not found in ${fixtureDirs().join(', ')} (set TENSILE_FIXTURES)`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: FixtureCase[] }).cases;
}

// ---- decoding ----

export const isFixtureTensor = (v: unknown): v is FixtureTensor =>
  typeof v === 'object' && v !== null && 'shape' in v && 'dtype' in v && 'data' in v;

/** Build a tensor from its fixture form; `requiresGrad` applies to float tensors only. */
export function decodeTensor(f: FixtureTensor, requiresGrad = false): Tensor {
  const shape = [...f.shape];
  switch (f.dtype) {
    case 'float32':
      return tensor(Float32Array.from(f.data as number[]), { dtype: 'float32', shape, requiresGrad });
    case 'int64':
      return tensor(BigInt64Array.from(f.data as number[], (v) => BigInt(v)), { dtype: 'int64', shape });
    case 'bool':
      return tensor(Uint8Array.from(f.data, (v) => (v ? 1 : 0)), { dtype: 'bool', shape });
  }
  throw new Error(`fixture tensor: unknown dtype ${String((f as { dtype: unknown }).dtype)}`);
}

/** Decode an index item of `Tensor.__getitem__`: int, null, "...", {slice: [start, stop, step]} or a tensor. */
export function decodeIndexItem(v: unknown): IndexItem {
  if (v instanceof Tensor) return v;
  if (isFixtureTensor(v)) return decodeTensor(v);
  if (v && typeof v === 'object' && 'slice' in v) {
    const [a, b, c] = (v as { slice: (number | null)[] }).slice;
    return sl(a, b, c);
  }
  return v as IndexItem;
}

/** Apply an input_layout transform chain such as "permute(2,1,0).narrow(1,1,3)". */
export function applyLayout(t: Tensor, transform: string): Tensor {
  let cur = t;
  for (const m of transform.matchAll(/(\w+)\(([^)]*)\)/g)) {
    const a = m[2]!.split(',').filter((s) => s.trim() !== '').map(Number);
    if (m[1] === 'transpose') cur = cur.transpose(a[0]!, a[1]!);
    else if (m[1] === 'permute') cur = cur.permute(a);
    else if (m[1] === 'narrow') cur = cur.narrow(a[0]!, a[1]!, a[2]!);
    else if (m[1] === 'expand') cur = cur.expand(a);
    else throw new Error(`unknown layout transform ${m[1]}`);
  }
  return cur;
}

// ---- comparing ----

/**
 * Assert `actual` matches a fixture tensor: same shape; int64/bool same dtype and exact values;
 * float elements within atol + rtol * |expected| (expected rounded to float32; NaN matches NaN).
 */
export function expectClose(actual: Tensor, expected: FixtureTensor, rtol: number, atol: number, what: string): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const got = Array.from(actual.dataSync() as ArrayLike<number | bigint>, Number);
  if (expected.dtype === 'int64' || expected.dtype === 'bool') {
    expect(actual.dtype, `${what}: dtype`).toBe(expected.dtype);
    expect(got, `${what}: values`).toEqual(expected.data.map(Number));
    return;
  }
  const want = Float32Array.from(expected.data as number[]);
  const bad: string[] = [];
  let nBad = 0;
  want.forEach((w, i) => {
    const g = got[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok && nBad++ < 10) bad.push(`[${i}] got ${g}, expected ${w}`);
  });
  expect(bad, `${what}: ${nBad} of ${want.length} elements out of tolerance (rtol ${rtol}, atol ${atol})`).toEqual([]);
}

// ---- running ----

/**
 * Run one case: decode args (float args with an expected gradient require grad; lists of tensors
 * become Tensor[]), apply input_layout, call `run`, check the output(s), backprop
 * sum(output * grad_output) and check each expected gradient of the stored (pre-layout) args,
 * then check mutated_args.
 */
export function runFixtureCase(c: FixtureCase, run: FixtureOp): void {
  tidy(() => {
    const leaves = c.args.map((a, i) => {
      const g = c.grads?.[i] ?? null;
      if (isFixtureTensor(a)) return decodeTensor(a, g !== null);
      if (Array.isArray(a) && a.length > 0 && a.every(isFixtureTensor)) {
        return a.map((x, j) => decodeTensor(x, Array.isArray(g) && g[j] != null));
      }
      return a;
    });
    const args = leaves.map((a, i) => (c.input_layout?.arg === i ? applyLayout(a as Tensor, c.input_layout.transform) : a));
    const kw = Object.fromEntries(Object.entries(c.kwargs ?? {}).map(([k, v]) => [k, isFixtureTensor(v) ? decodeTensor(v) : v]));
    const out = run(args, kw);
    const outs = Array.isArray(out) ? out : [out];
    const expOuts = Array.isArray(c.output) ? c.output : [c.output];
    expect(outs.length, `${c.name}: number of outputs`).toBe(expOuts.length);
    outs.forEach((o, i) => expectClose(o, expOuts[i]!, c.rtol, c.atol, `${c.name} output ${i}`));
    if (c.grad_output && c.grads) {
      const gos = Array.isArray(c.grad_output) ? c.grad_output : [c.grad_output];
      let loss: Tensor | null = null;
      for (const [i, o] of outs.entries()) {
        const go = gos[i];
        if (!go || !o.requiresGrad) continue;
        const term = o.mul(decodeTensor(go)).sum();
        loss = loss ? loss.add(term) : term;
      }
      loss?.backward();
      c.grads.forEach((g, i) => {
        if (g === null) return;
        const pairs: [Tensor, FixtureTensor | null, string][] = Array.isArray(g)
          ? g.map((gg, j) => [(leaves[i] as Tensor[])[j]!, gg, `${i}[${j}]`])
          : [[leaves[i] as Tensor, g, `${i}`]];
        for (const [leaf, e, label] of pairs) {
          if (!e) continue;
          expect(leaf.grad, `${c.name}: grad of arg ${label}`).not.toBeNull();
          expectClose(leaf.grad!, e, c.rtol, c.atol, `${c.name} grad of arg ${label}`);
        }
      });
    }
    for (const [i, m] of Object.entries(c.mutated_args ?? {})) {
      expectClose(leaves[Number(i)] as Tensor, m, c.rtol, c.atol, `${c.name} mutated arg ${i}`);
    }
  });
}

/** One `it` per case, running it with `ops[case.op]` (a case whose op is not mapped fails). */
export function fixtureTests(cases: FixtureCase[], ops: Record<string, FixtureOp>): void {
  for (const c of cases) {
    it(c.name, () => {
      const fn = ops[c.op];
      expect(fn, `op ${c.op} is mapped`).toBeDefined();
      runFixtureCase(c, fn!);
    });
  }
}
