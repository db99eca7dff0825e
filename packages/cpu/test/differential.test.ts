// Differential test at the Backend level: every primitive, every dtype, on random strided views
// (permuted, sliced with steps, flipped with negative strides, broadcast with stride 0), run on
// 'cpu' and on the JS reference backend from the same data, compared bit for bit (NaN == NaN)
// where the JS backend's semantics are exact, within a few ulps for libm functions and sums.
import '@tensile/cpu';
import {
  BOOL_BINARY,
  DTYPES,
  getBackend,
  JsBackend,
  type Backend,
  type BackendBuffer,
  type BinaryOp,
  type DType,
  type ReduceOp,
  type TypedArray,
  type UnaryOp,
  type View,
} from '@tensile/core';
import { describe, expect, it } from 'vitest';
import { rng as seeded } from '../../../config/testing/random.js';

const js = new JsBackend();
const cpu = getBackend('cpu');

// TENSILE_FUZZ_SEED=n shifts every stream (for longer fuzzing runs by hand).
const SEED_SHIFT = Number(process.env.TENSILE_FUZZ_SEED ?? 0) * 7919;

const rng = (seed: number): (() => number) => seeded(seed + SEED_SHIFT);

const FLOATS: DType[] = ['float32', 'float64', 'float16', 'bfloat16'];
const isFloat = (d: DType) => FLOATS.includes(d);

/** Host values for a dtype: specials for floats, small signed ints, 0/1 for bool. */
function values(dtype: DType, n: number, r: () => number, opts: { nonzero?: boolean; small?: boolean; range?: number } = {}): number[] {
  const out: number[] = [];
  const specials = [NaN, Infinity, -Infinity, -0, 0, 0.5, -0.5, 1.5, 2.5, -2.5, 65519, 65521, 1e-8, 6e-8, 3e-5, 1e30];
  for (let i = 0; i < n; i++) {
    let v: number;
    if (dtype === 'bool') v = r() < 0.5 ? 0 : 1;
    else if (dtype === 'uint8') v = Math.floor(r() * (opts.small ? 6 : 256));
    else if (dtype === 'int32' || dtype === 'int64') v = Math.floor((r() - 0.5) * (opts.small ? 8 : opts.range ?? 2000));
    else if (!opts.small && r() < 0.08) v = specials[Math.floor(r() * specials.length)]!;
    else v = (r() - 0.5) * (opts.range ?? 8);
    if (opts.nonzero && v === 0) v = 1;
    out.push(v);
  }
  return out;
}

function typed(dtype: DType, vals: number[]): TypedArray {
  switch (dtype) {
    case 'float64': return Float64Array.from(vals);
    case 'int32': return Int32Array.from(vals);
    case 'int64': return BigInt64Array.from(vals.map((v) => BigInt(v)));
    case 'uint8':
    case 'bool': return Uint8Array.from(vals);
    default: return Float32Array.from(vals);
  }
}

interface Pair {
  j: BackendBuffer;
  c: BackendBuffer;
  numel: number;
  dtype: DType;
}
const live: Pair[] = [];

function pair(dtype: DType, vals: number[]): Pair {
  const j = js.alloc(vals.length, dtype), c = cpu.alloc(vals.length, dtype);
  if (vals.length) {
    js.write(j, dtype, typed(dtype, vals));
    cpu.write(c, dtype, typed(dtype, vals));
  }
  const p = { j, c, numel: vals.length, dtype };
  live.push(p);
  return p;
}
function empty(dtype: DType, numel: number): Pair {
  return pair(dtype, new Array<number>(numel).fill(0));
}
function freeAll(): void {
  for (const p of live.splice(0)) {
    js.free(p.j);
    cpu.free(p.c);
  }
}

interface Layout {
  shape: number[];
  strides: number[];
  offset: number;
  storage: number;
}

/** A random strided layout of `shape`: permuted, stepped, flipped, maybe broadcast. */
function layout(shape: number[], r: () => number, opts: { broadcast?: boolean } = {}): Layout {
  const rank = shape.length;
  const steps = shape.map(() => (r() < 0.3 ? 2 : 1));
  const perm = [...shape.keys()];
  if (r() < 0.5) perm.sort(() => r() - 0.5);
  const strides = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    const d = perm[i]!;
    strides[d] = acc * steps[d]!;
    acc *= Math.max(1, shape[d]! * steps[d]!);
  }
  let offset = Math.floor(r() * 3);
  for (let d = 0; d < rank; d++) {
    if (opts.broadcast && r() < 0.15) strides[d] = 0;
    else if (r() < 0.2 && shape[d]! > 1) {
      offset += (shape[d]! - 1) * strides[d]!;
      strides[d] = -strides[d]!;
    }
  }
  let max = offset;
  for (let d = 0; d < rank; d++) if (shape[d]! > 0 && strides[d]! > 0) max += (shape[d]! - 1) * strides[d]!;
  return { shape, strides, offset, storage: shape.includes(0) ? offset + 1 : max + 1 };
}

function views(p: Pair, l: Layout): [View, View] {
  const v = { dtype: p.dtype, shape: l.shape, strides: l.strides, offset: l.offset };
  return [{ ...v, buf: p.j }, { ...v, buf: p.c }];
}

function randShape(r: () => number, maxRank = 4): number[] {
  const rank = Math.floor(r() * (maxRank + 1));
  return Array.from({ length: rank }, () => (r() < 0.05 ? 0 : 1 + Math.floor(r() * 5)));
}

function read(b: Backend, buf: BackendBuffer, dtype: DType, numel: number): number[] {
  return Array.from(b.readSync!(buf, dtype, numel) as ArrayLike<number | bigint>, Number);
}

/**
 * Compare; ulps > 0 allows a relative error of ulps * eps(dtype) for finite values, atol an
 * absolute one (sums whose terms cancel).
 */
function compare(what: string, dtype: DType, p: Pair, ulps = 0, atol = 0): void {
  const a = read(cpu, p.c, dtype, p.numel), e = read(js, p.j, dtype, p.numel);
  const eps = dtype === 'float64' ? 2 ** -52 : dtype === 'float16' ? 2 ** -10 : dtype === 'bfloat16' ? 2 ** -7 : 2 ** -23;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!, y = e[i]!;
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (x === y && ulps > 0) continue; // +0 / -0 within tolerance
    if (ulps > 0 && Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= ulps * eps * Math.max(Math.abs(y), 1e-30)) continue;
    if (ulps > 0 && Math.abs(x - y) < 1e-300) continue;
    if (atol > 0 && Math.abs(x - y) <= atol) continue;
    throw new Error(`${what}: element ${i} cpu ${x} != js ${y} (dtype ${dtype})`);
  }
  expect(a.length).toBe(e.length);
}

const numelOf = (s: number[]) => s.reduce((p, d) => p * d, 1);

const UNARY: UnaryOp[] = [
  'neg', 'exp', 'log', 'sqrt', 'rsqrt', 'abs', 'sign', 'sin', 'cos', 'tan', 'tanh', 'sigmoid', 'erf', 'floor', 'ceil',
  'round', 'trunc', 'reciprocal', 'log1p', 'expm1', 'logicalNot', 'isnan', 'asin', 'acos', 'atan',
];
const EXACT_UNARY = new Set<UnaryOp>(['neg', 'abs', 'sign', 'floor', 'ceil', 'round', 'trunc', 'sqrt', 'reciprocal', 'logicalNot', 'isnan']);
const BINARY: BinaryOp[] = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'remainder', 'floorDivide', 'atan2',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor',
];

describe('cpu matches the JS reference backend', () => {
  it('unary ops on strided views, every dtype', () => {
    const r = rng(1);
    for (const dtype of DTYPES) {
      for (const op of UNARY) {
        // Ops core only sends floats; on ints/bools only neg/abs/sign/logicalNot/isnan arrive
        // (and on bool, the JS backend keeps raw wrapped bytes where cpu stores 0/1).
        const boolOut = op === 'logicalNot' || op === 'isnan';
        const intOps = dtype === 'int64' ? ['neg', 'abs', 'sign'] : ['neg', 'abs', 'sign', 'sqrt'];
        if (!isFloat(dtype) && !boolOut && !(dtype !== 'bool' && intOps.includes(op))) continue;
        for (let t = 0; t < 4; t++) {
          const shape = randShape(r);
          const l = layout(shape, r, { broadcast: true });
          const x = pair(dtype, values(dtype, l.storage, r));
          const out = empty(boolOut ? 'bool' : dtype, numelOf(shape));
          const [xj, xc] = views(x, l);
          js.unary(op, xj, out.j);
          cpu.unary(op, xc, out.c);
          // core's JS erf (series + continued fraction) is ~1e-15 off near |x| = 2; glibc's is within 1 ulp
          compare(`${op} ${dtype} ${JSON.stringify(l)}`, out.dtype, out, EXACT_UNARY.has(op) ? 0 : op === 'erf' ? 64 : 2);
          freeAll();
        }
      }
    }
  });

  it('binary ops on strided and broadcast views, every dtype', () => {
    const r = rng(2);
    for (const dtype of DTYPES) {
      for (const op of BINARY) {
        const intDivision = !isFloat(dtype) && dtype !== 'bool' && ['div', 'remainder', 'floorDivide'].includes(op);
        for (let t = 0; t < 4; t++) {
          const shape = randShape(r);
          const la = layout(shape, r, { broadcast: true }), lb = layout(shape, r, { broadcast: true });
          const small = op === 'pow';
          const a = pair(dtype, values(dtype, la.storage, r, { small }));
          const b = pair(dtype, values(dtype, lb.storage, r, { small, nonzero: intDivision }));
          const out = empty(BOOL_BINARY.has(op) ? 'bool' : dtype, numelOf(shape));
          const [aj, ac] = views(a, la), [bj, bc] = views(b, lb);
          js.binary(op, aj, bj, out.j);
          cpu.binary(op, ac, bc, out.c);
          compare(`${op} ${dtype}`, out.dtype, out, op === 'pow' || op === 'atan2' ? 2 : 0);
          freeAll();
        }
      }
    }
  });

  it('integer division by zero throws a RangeError naming the op', () => {
    for (const op of ['remainder', 'floorDivide'] as BinaryOp[]) {
      for (const dtype of ['int32', 'int64', 'uint8'] as DType[]) {
        const a = pair(dtype, [1, 2, 3]), b = pair(dtype, [1, 0, 1]), out = empty(dtype, 3);
        const [, ac] = views(a, { shape: [3], strides: [1], offset: 0, storage: 3 });
        const [, bc] = views(b, { shape: [3], strides: [1], offset: 0, storage: 3 });
        expect(() => js.binary(op, views(a, { shape: [3], strides: [1], offset: 0, storage: 3 })[0], views(b, { shape: [3], strides: [1], offset: 0, storage: 3 })[0], out.j)).toThrow(RangeError);
        expect(() => cpu.binary(op, ac, bc, out.c)).toThrow(new RangeError(`${op}: ZeroDivisionError (integer division by zero)`));
        freeAll();
      }
    }
  });

  it('cast between every pair of dtypes', () => {
    const r = rng(3);
    for (const from of DTYPES) {
      for (const to of DTYPES) {
        for (let t = 0; t < 3; t++) {
          const shape = randShape(r);
          const l = layout(shape, r, { broadcast: true });
          // int64 beyond 2^53 is not exact in the JS backend; non-finite floats to int64 are NaN there
          const vals = values(from, l.storage, r, { range: 1e6 }).map((v) => (to === 'int64' && !(Math.abs(v) < 6e4) ? 7 : v));
          const x = pair(from, vals);
          const out = empty(to, numelOf(shape));
          const [xj, xc] = views(x, l);
          js.cast(xj, out.j, to);
          cpu.cast(xc, out.c, to);
          compare(`cast ${from} -> ${to}`, to, out);
          freeAll();
        }
      }
    }
  });

  it('copy into strided destinations, where, fill, arange', () => {
    const r = rng(4);
    for (const dtype of DTYPES) {
      for (let t = 0; t < 6; t++) {
        const shape = randShape(r);
        const ls = layout(shape, r, { broadcast: true }), ld = layout(shape, r);
        const src = pair(dtype, values(dtype, ls.storage, r));
        const dst = pair(dtype, values(dtype, ld.storage, r));
        const [sj, sc] = views(src, ls), [dj, dc] = views(dst, ld);
        js.copy(sj, dj);
        cpu.copy(sc, dc);
        compare(`copy ${dtype}`, dtype, dst);

        const lc = layout(shape, r, { broadcast: true }), la = layout(shape, r, { broadcast: true }), lb = layout(shape, r, { broadcast: true });
        const c = pair('bool', values('bool', lc.storage, r));
        const a = pair(dtype, values(dtype, la.storage, r));
        const b = pair(dtype, values(dtype, lb.storage, r));
        const out = empty(dtype, numelOf(shape));
        js.where(views(c, lc)[0], views(a, la)[0], views(b, lb)[0], out.j);
        cpu.where(views(c, lc)[1], views(a, la)[1], views(b, lb)[1], out.c);
        compare(`where ${dtype}`, dtype, out);

        const n = 1 + Math.floor(r() * 50);
        const f = empty(dtype, n);
        const value = [3.7, -2.5, NaN, 1e10, 0.1, -0.0, 300][t % 7]!;
        if (!(dtype === 'int64' && (Number.isNaN(value) || value === 1e10))) {
          js.fill(f.j, dtype, n, value);
          cpu.fill(f.c, dtype, n, value);
          compare(`fill ${dtype} ${value}`, dtype, f);
        }
        if (dtype !== 'bool') {
          // (arange of bools is not a torch op; the JS backend would keep raw bytes)
          const g = empty(dtype, n);
          const [start, step] = [[0, 1], [-3.5, 0.25], [10, -3], [0.1, 0.1], [1, 1e-3], [-7, 2]][t]!;
          js.arange(g.j, dtype, n, start, step);
          cpu.arange(g.c, dtype, n, start, step);
          compare(`arange ${dtype} ${start} ${step}`, dtype, g);
        }
        freeAll();
      }
    }
  });

  it('transposing copies of larger tensors (tiled path)', () => {
    const r = rng(10);
    const cases: [number[], number[]][] = [
      [[70, 90], [1, 0]],
      [[3, 40, 50], [2, 0, 1]],
      [[4, 33, 65], [0, 2, 1]],
      [[2, 3, 30, 40], [0, 3, 1, 2]],
    ];
    for (const dtype of ['float32', 'float16', 'int64', 'uint8', 'float64'] as DType[]) {
      for (const [base, perm] of cases) {
        // a contiguous base, permuted (and sometimes flipped) as a view, copied into a contiguous tensor
        const shape = perm.map((p) => base[p]!);
        const baseStrides: number[] = [];
        let acc = 1;
        for (let d = base.length - 1; d >= 0; d--) {
          baseStrides[d] = acc;
          acc *= base[d]!;
        }
        const strides = perm.map((p) => baseStrides[p]!);
        let offset = 0;
        if (r() < 0.5) {
          offset += (shape[0]! - 1) * strides[0]!;
          strides[0] = -strides[0]!;
        }
        const x = pair(dtype, values(dtype, acc, r));
        const n = numelOf(shape);
        const out = empty(dtype, n);
        const cs: number[] = [];
        let c = 1;
        for (let d = shape.length - 1; d >= 0; d--) {
          cs[d] = c;
          c *= shape[d]!;
        }
        const dstJ = { buf: out.j, dtype, shape, strides: cs, offset: 0 }, dstC = { ...dstJ, buf: out.c };
        js.copy({ buf: x.j, dtype, shape, strides, offset }, dstJ);
        cpu.copy({ buf: x.c, dtype, shape, strides, offset }, dstC);
        compare(`copy ${dtype} ${base} perm ${perm}`, dtype, out);
        freeAll();
      }
    }
  });

  it('large gather and scatterAdd (threaded lanes, duplicate indices)', () => {
    const r = rng(11);
    for (const dtype of ['float32', 'float64', 'int64', 'int32'] as DType[]) {
      for (const [shape, ishape, dim] of [[[64, 600], [200, 600], 0], [[300, 50], [300, 400], 1], [[8, 30, 40], [8, 500, 40], 1]] as [number[], number[], number][]) {
        const lx = layout(shape, r), li = layout(ishape, r), ls = layout(ishape, r);
        const x = pair(dtype, values(dtype, lx.storage, r, { range: 4 }).map((v) => (Number.isFinite(v) && Math.abs(v) < 100 ? v : 1)));
        const idx = pair('int64', Array.from({ length: li.storage }, () => Math.floor((r() * 2 - 1) * shape[dim]!)));
        const out = empty(dtype, numelOf(ishape));
        js.gather(views(x, lx)[0], dim, views(idx, li)[0], out.j);
        cpu.gather(views(x, lx)[1], dim, views(idx, li)[1], out.c);
        compare(`gather ${dtype} ${shape}`, dtype, out);
        const src = pair(dtype, values(dtype, ls.storage, r, { range: 4 }).map((v) => (Number.isFinite(v) && Math.abs(v) < 100 ? v : 1)));
        const target = pair(dtype, values(dtype, numelOf(shape), r, { range: 4 }).map((v) => (Number.isFinite(v) && Math.abs(v) < 100 ? v : 1)));
        js.scatterAdd(target.j, shape, dim, views(idx, li)[0], views(src, ls)[0]);
        cpu.scatterAdd(target.c, shape, dim, views(idx, li)[1], views(src, ls)[1]);
        compare(`scatterAdd ${dtype} ${shape}`, dtype, target);
        freeAll();
      }
    }
  });

  it('random: bit-identical Philox streams for every float dtype', () => {
    for (const dtype of FLOATS) {
      for (const kind of ['uniform', 'normal'] as const) {
        for (const [key, offset] of [[[0, 0], 0], [[12345, 7], 1000], [[0xffffffff, 1], 2 ** 32 - 5]] as [[number, number], number][]) {
          const n = 5000;
          const o = empty(dtype, n);
          js.random(o.j, dtype, n, kind, key, offset);
          cpu.random(o.c, dtype, n, kind, key, offset);
          compare(`random ${kind} ${dtype}`, dtype, o);
          freeAll();
        }
      }
    }
  });

  it('reductions over every subset of axes, every dtype', () => {
    const r = rng(5);
    const OPS: ReduceOp[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'];
    for (const dtype of DTYPES) {
      for (const op of OPS) {
        for (let t = 0; t < 8; t++) {
          const shape = randShape(r, 4).map((d) => (d === 0 && op.startsWith('arg') ? 1 : d));
          const rank = shape.length;
          let axes: number[];
          if (op === 'argmax' || op === 'argmin') {
            if (rank === 0) continue;
            axes = [Math.floor(r() * rank)];
            if (shape[axes[0]!] === 0) continue;
          } else axes = [...Array(rank).keys()].filter(() => r() < 0.5);
          if ((op === 'max' || op === 'min') && axes.some((a) => shape[a] === 0)) continue;
          const l = layout(shape, r, { broadcast: true });
          const x = pair(dtype, values(dtype, l.storage, r, { small: op === 'prod' }));
          const outShape = shape.filter((_, d) => !axes.includes(d));
          const outDtype = op.startsWith('arg') ? 'int64' : dtype;
          const out = empty(outDtype, numelOf(outShape));
          const [xj, xc] = views(x, l);
          js.reduce(op, xj, axes, out.j);
          cpu.reduce(op, xc, axes, out.c);
          compare(`${op} ${dtype} axes ${axes} of ${JSON.stringify(l)}`, outDtype, out, (op === 'sum' || op === 'prod') && isFloat(dtype) ? 4 : 0);
          freeAll();
        }
      }
    }
  });

  it('long reductions take the split and row-accumulate schedules', () => {
    const r = rng(6);
    for (const dtype of ['float32', 'int64'] as DType[]) {
      for (const [shape, axes] of [[[140000], [0]], [[3, 70000], [1]], [[2000, 33], [0]], [[40, 30, 20], [0, 2]], [[300, 2, 100], [0]]] as [number[], number[]][]) {
        for (const op of ['sum', 'max', 'argmax', 'min'] as ReduceOp[]) {
          if (op === 'argmax' && axes.length !== 1) continue;
          const l = layout(shape, r);
          const x = pair(dtype, values(dtype, l.storage, r, { range: 100 }));
          const outShape = shape.filter((_, d) => !axes.includes(d));
          const outDtype = op === 'argmax' ? 'int64' : dtype;
          const out = empty(outDtype, numelOf(outShape));
          const [xj, xc] = views(x, l);
          js.reduce(op, xj, axes, out.j);
          cpu.reduce(op, xc, axes, out.c);
          compare(`${op} ${dtype} ${shape} axes ${axes}`, outDtype, out, op === 'sum' && isFloat(dtype) ? 64 : 0);
          freeAll();
        }
      }
    }
  });

  it('cumsum along every dim', () => {
    const r = rng(7);
    for (const dtype of DTYPES) {
      if (dtype === 'bool') continue; // core casts bools before cumsum; the JS backend keeps raw counts
      for (let t = 0; t < 10; t++) {
        const shape = randShape(r);
        if (shape.length === 0) continue;
        const dim = Math.floor(r() * shape.length);
        const l = layout(shape, r, { broadcast: true });
        const x = pair(dtype, values(dtype, l.storage, r));
        const out = empty(dtype, numelOf(shape));
        const [xj, xc] = views(x, l);
        js.cumsum(xj, dim, out.j);
        cpu.cumsum(xc, dim, out.c);
        compare(`cumsum ${dtype} dim ${dim}`, dtype, out, dtype === 'float64' ? 0 : 0);
        freeAll();
      }
    }
  });

  it('batched matmul with transposed, sliced and broadcast operands', () => {
    const r = rng(8);
    for (const dtype of DTYPES) {
      if (dtype === 'bool') continue; // the JS backend keeps raw counts, cpu stores any-of-ands
      for (let t = 0; t < 12; t++) {
        const batch = randShape(r, 2);
        const m = 1 + Math.floor(r() * 9), k = Math.floor(r() * 9), n = 1 + Math.floor(r() * 9);
        const big = t === 0;
        const M = big ? 70 : m, K = big ? 65 : k, N = big ? 90 : n;
        const la = layout([...batch, M, K], r, { broadcast: true }), lb = layout([...batch, K, N], r, { broadcast: true });
        // no special values: with terms of 1e30 the result is the cancellation error of either order
        const finite = (v: number) => (Number.isFinite(v) && Math.abs(v) < 100 ? v : 1);
        const a = pair(dtype, values(dtype, la.storage, r, { small: !isFloat(dtype), range: 4 }).map(finite));
        const b = pair(dtype, values(dtype, lb.storage, r, { small: !isFloat(dtype), range: 4 }).map(finite));
        const out = empty(dtype, numelOf([...batch, M, N]));
        js.matmul(views(a, la)[0], views(b, lb)[0], out.j);
        cpu.matmul(views(a, la)[1], views(b, lb)[1], out.c);
        // float32 gemm accumulates in float (the JS backend in double); half results round once more
        const eps = { float64: 2 ** -52, float32: 2 ** -23, float16: 2 ** -10, bfloat16: 2 ** -7 }[dtype as string] ?? 0;
        compare(`matmul ${dtype} ${batch} ${M}x${K}x${N} ${JSON.stringify([la, lb])}`, dtype, out, isFloat(dtype) ? 2 : 0, 4 * K * 4 * eps * 4);
        freeAll();
      }
    }
  });

  it('gather and scatterAdd with negative indices, and their bounds errors', () => {
    const r = rng(9);
    for (const dtype of DTYPES) {
      for (let t = 0; t < 8; t++) {
        const shape = randShape(r, 3).map((d) => Math.max(d, 1));
        if (shape.length === 0) continue;
        const dim = Math.floor(r() * shape.length);
        const ishape = shape.map((s, d) => (d === dim ? 1 + Math.floor(r() * 6) : 1 + Math.floor(r() * s)));
        const lx = layout(shape, r, { broadcast: true }), li = layout(ishape, r);
        const x = pair(dtype, values(dtype, lx.storage, r));
        const idx = pair('int64', Array.from({ length: li.storage }, () => Math.floor((r() * 2 - 1) * shape[dim]!)));
        const out = empty(dtype, numelOf(ishape));
        js.gather(views(x, lx)[0], dim, views(idx, li)[0], out.j);
        cpu.gather(views(x, lx)[1], dim, views(idx, li)[1], out.c);
        compare(`gather ${dtype}`, dtype, out);

        if (dtype !== 'bool') {
          const ls = layout(ishape, r, { broadcast: true });
          const finite = (v: number) => (Number.isFinite(v) && Math.abs(v) < 100 ? v : 3);
          const src = pair(dtype, values(dtype, ls.storage, r, { range: 4 }).map(finite));
          const target = pair(dtype, values(dtype, numelOf(shape), r, { range: 4 }).map(finite));
          js.scatterAdd(target.j, shape, dim, views(idx, li)[0], views(src, ls)[0]);
          cpu.scatterAdd(target.c, shape, dim, views(idx, li)[1], views(src, ls)[1]);
          // the JS backend does not round float16/bfloat16 sums between additions
          compare(`scatterAdd ${dtype}`, dtype, target, 0, dtype === 'float16' ? 0.02 : dtype === 'bfloat16' ? 0.1 : 0);
        }
        freeAll();
      }
    }
    const x = pair('float32', [1, 2, 3, 4, 5, 6]);
    const idx = pair('int64', [0, 2, 5, -4, 1, 1]);
    const out = empty('float32', 6);
    const xv = views(x, { shape: [2, 3], strides: [3, 1], offset: 0, storage: 6 });
    const iv = views(idx, { shape: [2, 3], strides: [3, 1], offset: 0, storage: 6 });
    expect(() => js.gather(xv[0], 1, iv[0], out.j)).toThrow('gather: index 5 is out of bounds for dimension 1 with size 3');
    expect(() => cpu.gather(xv[1], 1, iv[1], out.c)).toThrow(new RangeError('gather: index 5 is out of bounds for dimension 1 with size 3'));
    const target = pair('float32', [0, 0, 0, 0, 0, 0]);
    expect(() => cpu.scatterAdd(target.c, [2, 3], 1, iv[1], xv[1])).toThrow(new RangeError('scatterAdd: index 5 is out of bounds for dimension 1 with size 3'));
    // nothing was written before the check failed
    expect(read(cpu, target.c, 'float32', 6)).toEqual([0, 0, 0, 0, 0, 0]);
    freeAll();
  });
});
