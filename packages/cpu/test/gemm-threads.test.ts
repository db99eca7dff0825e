// GEMM's multi-threaded paths against a float64 reference: with enough rows the B block of each
// depth step is packed once by all threads and the row blocks are handed out dynamically; with
// few rows C is split by columns. Shapes cross every blocking edge (several depth blocks, more
// columns than one B block holds, rows that are not a multiple of the micro-tile), with
// transposed operands, on 1, 2 and 3 threads (3 on 2 cores still has to be right).
import { cpuInfo, setNumThreads } from '@tensile/cpu';
import { matmul, tensor, type Tensor } from '@tensile/core';
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../../../config/testing/random.js';

const threadsBefore = cpuInfo().threads;
afterAll(() => setNumThreads(threadsBefore));

function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = ta ? a[p * m + i]! : a[i * k + p]!;
      const row = i * n;
      for (let j = 0; j < n; j++) out[row + j]! += av * (tb ? b[j * k + p]! : b[p * n + j]!);
    }
  }
  return out;
}

function check(m: number, k: number, n: number, ta: boolean, tb: boolean, seed: number): void {
  const r = rng(seed);
  const a = Float32Array.from({ length: m * k }, () => r() * 2 - 1);
  const b = Float32Array.from({ length: k * n }, () => r() * 2 - 1);
  // Transposed operands are views (a.t()), so the kernels read them with swapped strides.
  const ta0 = tensor(a, { shape: ta ? [k, m] : [m, k], device: 'cpu' });
  const tb0 = tensor(b, { shape: tb ? [n, k] : [k, n], device: 'cpu' });
  const A: Tensor = ta ? ta0.t() : ta0;
  const B: Tensor = tb ? tb0.t() : tb0;
  const c = matmul(A, B);
  const got = c.dataSync() as Float32Array;
  const want = reference(a, b, m, k, n, ta, tb);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  // float32 accumulation over k terms of magnitude < 1
  expect(worst, `${m}x${k}x${n} ta=${ta} tb=${tb}`).toBeLessThan(k * 2 ** -22);
  for (const t of [c, ta0, tb0]) t.dispose();
}

const shapes: [number, number, number][] = [
  [256, 256, 256], // row blocks, one depth block
  [203, 1100, 301], // three depth blocks, ragged rows and columns
  [77, 40, 4200], // more columns than one B block (NC = 4096 on AVX-512)
  [40, 700, 900], // few rows: split by columns
  [1030, 96, 97], // many small row blocks, a ragged last one
];

describe('gemm on several threads', () => {
  for (const threads of [1, 2, 3]) {
    for (const [m, k, n] of shapes) {
      it(`${threads} thread(s): ${m}x${k} @ ${k}x${n}, plain and transposed operands`, () => {
        setNumThreads(threads);
        check(m, k, n, false, false, m + k + n);
        check(m, k, n, true, false, m + k + n + 1);
        check(m, k, n, false, true, m + k + n + 2);
      });
    }
  }

  it('gives the same bits on 1 and 2 threads (each C element is summed in one fixed order)', () => {
    const r = rng(7);
    const m = 300, k = 1200, n = 257;
    const a = tensor(Float32Array.from({ length: m * k }, () => r() - 0.5), { shape: [m, k], device: 'cpu' });
    const b = tensor(Float32Array.from({ length: k * n }, () => r() - 0.5), { shape: [k, n], device: 'cpu' });
    setNumThreads(1);
    const one = matmul(a, b);
    setNumThreads(2);
    const two = matmul(a, b);
    expect(Array.from(two.dataSync() as Float32Array)).toEqual(Array.from(one.dataSync() as Float32Array));
    for (const t of [a, b, one, two]) t.dispose();
  });
});
