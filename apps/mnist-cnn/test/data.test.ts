import { describe, expect, it } from 'vitest';
import { IMAGE_SIZE, loadAllDigits, loadSplit, PIXELS, shiftInto, splitIndices } from '../src/data.js';

describe('mnist data', () => {
  it('loads the 10,000 digits of the mnist package, 784 pixels in [0, 1] each', () => {
    const all = loadAllDigits();
    expect(all.length).toBe(10000);
    expect(all.images.length).toBe(10000 * PIXELS);
    let min = Infinity, max = -Infinity;
    for (const v of all.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
    expect(new Set(all.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  });

  it('splits 8,000 / 2,000, disjoint, stratified (20 % of each class), the same every time', () => {
    const all = loadAllDigits();
    const { train, test } = splitIndices(all);
    expect(train.length).toBe(8000);
    expect(test.length).toBe(2000);
    expect(new Set([...train, ...test]).size).toBe(10000);
    for (let d = 0; d < 10; d++) {
      const n = all.labels.filter((l) => l === d).length;
      expect(test.filter((i) => all.labels[i] === d).length).toBe(Math.round(n * 0.2));
    }
    expect(splitIndices(all)).toEqual({ train, test });
    // prefixes are stratified too: the first 100 training digits hold 10 of each class
    const { train: small } = loadSplit({ trainLimit: 100 });
    for (let d = 0; d < 10; d++) expect(small.labels.filter((l) => l === d).length).toBe(10);
  });

  it('shiftInto moves the image by (dx, dy) with zero fill', () => {
    const src = new Float32Array(PIXELS).map((_, i) => i + 1);
    const out = new Float32Array(PIXELS);
    shiftInto(src, 0, out, 0, 2, -1);
    const at = (a: Float32Array, x: number, y: number) => a[y * IMAGE_SIZE + x];
    expect(at(out, 5, 5)).toBe(at(src, 3, 6));
    expect(at(out, 0, 5)).toBe(0);
    expect(at(out, 1, 5)).toBe(0);
    expect(at(out, 5, IMAGE_SIZE - 1)).toBe(0);
    shiftInto(src, 0, out, 0, 0, 0);
    expect(out).toEqual(src);
  });
});
