// The cpu backend's fused scaledDotProductAttention forward (native/attention.cc) against the
// JS backend's composite on the same random data: causal, bool / float / broadcast masks, fully
// masked rows, non-contiguous q/k/v, grouped-query heads, float32 and float64; and its fused
// training path (forward keeping the log-sum-exp + backward kernel) against the composite's gradients.
import '@tensile/cpu';
import { getBackend, gradcheck, gradgradcheck, noGrad, scaledDotProductAttention, tensor, type DType, type Tensor } from '@tensile/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rng } from '../../../config/testing/random.js';

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The same random values on cpu and js. */
function pair(shape: number[], dtype: DType, seed: number, scale = 2): [Tensor, Tensor] {
  const r = rng(seed);
  const v = Array.from({ length: numel(shape) }, () => (r() - 0.5) * 2 * scale);
  return [tensor(v, { dtype, device: 'cpu' }).reshape(shape), tensor(v, { dtype, device: 'js' }).reshape(shape)];
}

/** A bool mask pair (true with probability p). */
function boolPair(shape: number[], seed: number, p = 0.7): [Tensor, Tensor] {
  const r = rng(seed);
  const v = Array.from({ length: numel(shape) }, () => r() < p);
  return [tensor(v, { dtype: 'bool', device: 'cpu' }).reshape(shape), tensor(v, { dtype: 'bool', device: 'js' }).reshape(shape)];
}

const TOL: Record<string, [number, number]> = { float32: [2e-5, 2e-6], float64: [1e-12, 1e-13] };

function close(a: Tensor, b: Tensor, what: string): void {
  expect(a.dtype, what).toBe(b.dtype);
  expect(a.shape, what).toEqual(b.shape);
  const x = Array.from(a.dataSync() as ArrayLike<number>, Number), y = Array.from(b.dataSync() as ArrayLike<number>, Number);
  const [rtol, atol] = TOL[a.dtype]!;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!, q = y[i]!;
    if (!Number.isFinite(q)) {
      expect(Object.is(p, q) || (Number.isNaN(p) && Number.isNaN(q)), `${what}[${i}]: ${p} vs ${q}`).toBe(true);
      continue;
    }
    if (!(Math.abs(p - q) <= atol + rtol * Math.abs(q))) expect.fail(`${what}[${i}]: cpu ${p} vs js ${q} (rtol ${rtol}, atol ${atol})`);
  }
}

const cpu = getBackend('cpu');
const spy = () => vi.spyOn(cpu.overrides!, 'scaledDotProductAttention');
afterEach(() => vi.restoreAllMocks());

type Opts = Parameters<typeof scaledDotProductAttention>[3];

/** Run on cpu (expecting the fused kernel) and js; compare. */
function check(what: string, c: Tensor[], j: Tensor[], opts: (m: Tensor | null) => Opts, mask?: [Tensor, Tensor]): Tensor {
  const s = spy();
  s.mockClear();
  const yc = scaledDotProductAttention(c[0]!, c[1]!, c[2]!, opts(mask ? mask[0] : null));
  expect(s, `${what}: fused kernel used`).toHaveBeenCalledTimes(1);
  const yj = scaledDotProductAttention(j[0]!, j[1]!, j[2]!, opts(mask ? mask[1] : null));
  close(yc, yj, what);
  return yc;
}

function qkv(dtype: DType, seed: number, lead: number[], l: number, s: number, e: number, ev: number) {
  const q = pair([...lead, l, e], dtype, seed), k = pair([...lead, s, e], dtype, seed + 1), v = pair([...lead, s, ev], dtype, seed + 2);
  return { c: [q[0], k[0], v[0]], j: [q[1], k[1], v[1]] };
}

describe('cpu fused scaledDotProductAttention', () => {
  it('has the override', () => {
    expect(typeof cpu.overrides?.scaledDotProductAttention).toBe('function');
  });

  for (const dtype of ['float32', 'float64'] as const) {
    describe(dtype, () => {
      it('no mask, default and explicit scale, 2-D to 4-D', () => {
        for (const [lead, l, s, e, ev] of [[[], 5, 7, 4, 3], [[3], 6, 6, 8, 8], [[2, 3], 9, 17, 16, 5], [[2, 4], 33, 40, 24, 20]] as const) {
          const { c, j } = qkv(dtype, 10 + l, [...lead], l, s, e, ev);
          check(`${lead} ${l}x${s}`, c, j, () => ({}));
          check(`${lead} ${l}x${s} scale`, c, j, () => ({ scale: 0.3 }));
        }
      });

      it('causal (L < S, L = S, L > S)', () => {
        for (const [l, s] of [[4, 9], [8, 8], [9, 4]] as const) {
          const { c, j } = qkv(dtype, 20 + l, [2, 3], l, s, 8, 6);
          check(`causal ${l}x${s}`, c, j, () => ({ isCausal: true }));
        }
      });

      it('bool mask, including fully masked rows', () => {
        const { c, j } = qkv(dtype, 30, [2, 3], 7, 11, 8, 5);
        check('bool mask', c, j, (m) => ({ attnMask: m }), boolPair([2, 3, 7, 11], 31));
        // rows 0 and 4 fully masked -> zeros
        const r = rng(32);
        const mv = Array.from({ length: 2 * 3 * 7 * 11 }, (_, i) => {
          const row = Math.floor(i / 11) % 7;
          return row !== 0 && row !== 4 && r() < 0.6;
        });
        const y = check('bool mask, dead rows', c, j, (m) => ({ attnMask: m }), [
          tensor(mv, { dtype: 'bool', device: 'cpu' }).reshape([2, 3, 7, 11]),
          tensor(mv, { dtype: 'bool', device: 'js' }).reshape([2, 3, 7, 11]),
        ]);
        const d = Array.from(y.dataSync() as ArrayLike<number>, Number);
        for (let b = 0; b < 6; b++) for (const row of [0, 4]) for (let x = 0; x < 5; x++) expect(d[(b * 7 + row) * 5 + x]).toBe(0);
        // everything masked
        check('bool mask, all masked', c, j, (m) => ({ attnMask: m }), boolPair([7, 11], 33, 0));
      });

      it('float mask (with -Infinity entries and fully masked rows), of another float dtype too', () => {
        const { c, j } = qkv(dtype, 40, [2, 2], 6, 9, 4, 7);
        const r = rng(41);
        const mv = Array.from({ length: 6 * 9 }, (_, i) => (Math.floor(i / 9) === 2 || r() < 0.3 ? -Infinity : (r() - 0.5) * 3));
        for (const md of ['float32', 'float64'] as const) {
          check(`float mask ${md}`, c, j, (m) => ({ attnMask: m }), [
            tensor(mv, { dtype: md, device: 'cpu' }).reshape([6, 9]),
            tensor(mv, { dtype: md, device: 'js' }).reshape([6, 9]),
          ]);
        }
      });

      it('broadcast masks and batch shapes', () => {
        const { c, j } = qkv(dtype, 50, [2, 3], 5, 8, 4, 4);
        check('mask [S]', c, j, (m) => ({ attnMask: m }), boolPair([8], 51));
        check('mask [L, S]', c, j, (m) => ({ attnMask: m }), boolPair([5, 8], 52));
        check('mask [2, 1, 1, S]', c, j, (m) => ({ attnMask: m }), boolPair([2, 1, 1, 8], 53));
        check('mask [1, 3, L, 1]', c, j, (m) => ({ attnMask: m }), pair([1, 3, 5, 1], dtype, 54));
        // mask with more leading dims than q/k/v
        check('mask [4, 2, 3, L, S]', c, j, (m) => ({ attnMask: m }), pair([4, 2, 3, 5, 8], dtype, 55));
        // k/v shared over heads: [2, 1, S, E] against q [2, 3, L, E]
        const k = pair([2, 1, 8, 4], dtype, 56), v = pair([1, 8, 6], dtype, 57);
        check('k/v broadcast', [c[0]!, k[0], v[0]], [j[0]!, k[1], v[1]], () => ({ isCausal: true }));
      });

      it('non-contiguous q, k, v', () => {
        // [B, L, H, E] transposed to [B, H, L, E]; k as a transposed [E, S] view; v sliced
        const q = pair([2, 6, 3, 8], dtype, 60), kt = pair([2, 3, 8, 10], dtype, 61), vw = pair([2, 3, 10, 12], dtype, 62);
        const c = [q[0].transpose(1, 2), kt[0].transpose(-2, -1), vw[0].transpose(-2, -1).transpose(-2, -1).narrow(-1, 2, 5)];
        const j = [q[1].transpose(1, 2), kt[1].transpose(-2, -1), vw[1].narrow(-1, 2, 5)];
        expect(c[0]!.isContiguous() || c[1]!.isContiguous() || c[2]!.isContiguous()).toBe(false);
        check('strided', c, j, () => ({}));
        check('strided causal', c, j, () => ({ isCausal: true }));
        check('strided bool mask', c, j, (m) => ({ attnMask: m }), boolPair([6, 10], 63));
        // strided mask
        const mt = boolPair([10, 6], 64);
        check('strided mask', c, j, (m) => ({ attnMask: m }), [mt[0].transpose(0, 1), mt[1].transpose(0, 1)]);
      });

      it('grouped-query heads', () => {
        const q = pair([2, 6, 5, 4], dtype, 70), k = pair([2, 2, 7, 4], dtype, 71), v = pair([2, 3, 7, 3], dtype, 72);
        check('gqa', [q[0], k[0], v[0]], [q[1], k[1], v[1]], () => ({ enableGqa: true, isCausal: true }));
      });

      it('empty sizes', () => {
        for (const [l, s, e] of [[0, 4, 3], [4, 0, 3], [4, 5, 0]] as const) {
          const { c, j } = qkv(dtype, 80, [2], l, s, e, 3);
          close(scaledDotProductAttention(c[0]!, c[1]!, c[2]!), scaledDotProductAttention(j[0]!, j[1]!, j[2]!), `empty ${l} ${s} ${e}`);
        }
      });
    });
  }

  it('uses the fused training path when gradients are needed, and the composite with dropout', () => {
    const { c } = qkv('float32', 90, [2], 5, 6, 4, 3);
    const s = spy();
    const b = vi.spyOn(cpu.overrides!, 'scaledDotProductAttentionBackward');
    s.mockClear();
    const qg = c[0]!.detach().requiresGrad_(true);
    const y = scaledDotProductAttention(qg, c[1]!, c[2]!, { isCausal: true });
    expect(s).toHaveBeenCalledTimes(1);
    y.sum().backward();
    expect(b).toHaveBeenCalledTimes(1);
    expect(qg.grad).toBeTruthy();
    const yf = noGrad(() => scaledDotProductAttention(qg, c[1]!, c[2]!, { isCausal: true }));
    expect(s).toHaveBeenCalledTimes(2);
    const a = Array.from(y.dataSync() as Float32Array), bb = Array.from(yf.dataSync() as Float32Array);
    a.forEach((x, i) => expect(Math.abs(x - bb[i]!)).toBeLessThan(1e-6));
    scaledDotProductAttention(qg, c[1]!, c[2]!, { dropoutP: 0.5 });
    expect(s).toHaveBeenCalledTimes(2);
  });
});

describe('cpu fused scaledDotProductAttention backward', () => {
  /** Gradients of sum(y * w) w.r.t. q, k, v on cpu (fused) and js (composite), compared. */
  function checkGrads(what: string, dtype: DType, shapes: [number[], number[], number[]], opts: (m: Tensor | null) => Opts, mask?: [Tensor, Tensor], nonContiguous = false) {
    const bspy = vi.spyOn(cpu.overrides!, 'scaledDotProductAttentionBackward');
    bspy.mockClear();
    const [q, k, v] = shapes.map((sh, i) => pair(sh, dtype, 200 + i * 7));
    const outs: Tensor[][] = [];
    for (const dev of [0, 1] as const) {
      const leaf = (t: Tensor) => (nonContiguous ? t.transpose(-2, -1).contiguous().transpose(-2, -1) : t).detach().requiresGrad_(true);
      const ins = [q![dev], k![dev], v![dev]].map((t) => leaf(t));
      const y = scaledDotProductAttention(ins[0]!, ins[1]!, ins[2]!, opts(mask ? mask[dev] : null));
      const w = pair(y.shape as number[], dtype, 999)[dev];
      y.mul(w).sum().backward();
      outs.push([y, ...ins.map((t) => t.grad!)]);
    }
    expect(bspy, `${what}: fused backward used`).toHaveBeenCalledTimes(1);
    ['out', 'dq', 'dk', 'dv'].forEach((n, i) => close(outs[0]![i]!, outs[1]![i]!, `${what} ${n}`));
  }
  for (const dtype of ['float32', 'float64'] as DType[]) {
    describe(dtype, () => {
      it('no mask, 3-D and 4-D, custom scale', () => {
        checkGrads('3d', dtype, [[2, 5, 4], [2, 6, 4], [2, 6, 3]], () => ({}));
        checkGrads('4d', dtype, [[2, 3, 7, 8], [2, 3, 7, 8], [2, 3, 7, 8]], () => ({ scale: 0.3 }));
      });
      it('causal', () => {
        checkGrads('causal L<S', dtype, [[2, 4, 4], [2, 6, 4], [2, 6, 5]], () => ({ isCausal: true }));
        checkGrads('causal L>S', dtype, [[2, 6, 4], [2, 4, 4], [2, 4, 5]], () => ({ isCausal: true }));
      });
      it('bool mask with fully masked rows, float mask', () => {
        const m = boolPair([2, 5, 6], 31, 0.6);
        checkGrads('bool', dtype, [[2, 5, 4], [2, 6, 4], [2, 6, 3]], (x) => ({ attnMask: x }), m);
        const v = Array.from({ length: 30 }, (_, i) => (i % 7 === 0 ? -Infinity : (i % 5) * 0.1));
        for (let j = 6; j < 12; j++) v[j] = -Infinity; // row 1 fully masked
        const fm: [Tensor, Tensor] = [tensor(v, { dtype, device: 'cpu' }).reshape([5, 6]), tensor(v, { dtype, device: 'js' }).reshape([5, 6])];
        checkGrads('float', dtype, [[2, 5, 4], [2, 6, 4], [2, 6, 3]], (x) => ({ attnMask: x }), fm);
      });
      it('broadcast batch dims and grouped-query heads sum gradients back', () => {
        checkGrads('broadcast k, v', dtype, [[3, 2, 5, 4], [1, 2, 6, 4], [2, 6, 3]], () => ({}));
        checkGrads('gqa', dtype, [[2, 4, 5, 4], [2, 2, 6, 4], [2, 1, 6, 3]], () => ({ enableGqa: true }));
      });
      it('non-contiguous operands', () => {
        checkGrads('strided', dtype, [[2, 5, 4], [2, 6, 4], [2, 6, 3]], () => ({ isCausal: true }), undefined, true);
      });
    });
  }
  it('gradcheck and gradgradcheck (float64) through the fused path', () => {
    const mk = (sh: number[], seed: number) => pair(sh, 'float64', seed, 1)[0].detach().requiresGrad_(true);
    const q = mk([2, 3, 4], 1), k = mk([2, 5, 4], 2), v = mk([2, 5, 3], 3);
    const f = (a: Tensor, b: Tensor, c: Tensor) => scaledDotProductAttention(a, b, c, { isCausal: true });
    expect(gradcheck(f, [q, k, v])).toBe(true);
    expect(gradgradcheck(f, [q, k, v])).toBe(true);
  });
});
