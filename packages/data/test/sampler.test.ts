import { describe, expect, it } from 'vitest';
import { Generator, manualSeed, tensor } from '@tensile/core';
import { BatchSampler, RandomSampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler } from '../src/index.js';
import { randperm, uniforms } from '../src/random.js';

const sorted = (a: number[]) => [...a].sort((p, q) => p - q);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('random helpers', () => {
  it('uniforms are in [0, 1), seeded, and advance the generator', () => {
    const g = new Generator(5);
    const a = uniforms(1000, g);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
    expect(g.offset).toBe(1000);
    expect(uniforms(1000, new Generator(5))).toEqual(a);
  });
  it('randperm is a permutation with uniform positions', () => {
    const g = new Generator(9);
    const counts = Array.from({ length: 4 }, () => [0, 0, 0, 0]);
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const p = randperm(4, g);
      expect(sorted(p)).toEqual([0, 1, 2, 3]);
      p.forEach((v, pos) => counts[v]![pos]!++);
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c / trials - 0.25)).toBeLessThan(0.03);
  });
});

describe('samplers', () => {
  it('SequentialSampler', () => {
    const s = new SequentialSampler(5);
    expect([...s]).toEqual([0, 1, 2, 3, 4]);
    expect(s.length).toBe(5);
    expect([...new SequentialSampler(['a', 'b'])]).toEqual([0, 1]);
  });
  it('RandomSampler: permutations, seeded, fresh each epoch', () => {
    const s = new RandomSampler(10, { generator: new Generator(1) });
    const e1 = [...s], e2 = [...s];
    expect(sorted(e1)).toEqual(range(10));
    expect(sorted(e2)).toEqual(range(10));
    expect(e1).not.toEqual(e2);
    const again = new RandomSampler(10, { generator: new Generator(1) });
    expect([...again]).toEqual(e1);
    expect([...again]).toEqual(e2);
    expect(s.length).toBe(10);
  });
  it('RandomSampler: default generator follows manualSeed', () => {
    manualSeed(123);
    const a = [...new RandomSampler(20)];
    manualSeed(123);
    expect([...new RandomSampler(20)]).toEqual(a);
  });
  it('RandomSampler: numSamples without replacement repeats whole permutations', () => {
    const s = new RandomSampler(4, { numSamples: 10, generator: new Generator(2) });
    const v = [...s];
    expect(v.length).toBe(10);
    expect(sorted(v.slice(0, 4))).toEqual([0, 1, 2, 3]);
    expect(sorted(v.slice(4, 8))).toEqual([0, 1, 2, 3]);
    expect(new Set(v.slice(8)).size).toBe(2);
    expect(s.length).toBe(10);
  });
  it('RandomSampler: with replacement is uniform', () => {
    const s = new RandomSampler(5, { replacement: true, numSamples: 10000, generator: new Generator(3) });
    const v = [...s];
    expect(v.length).toBe(10000);
    const counts = [0, 0, 0, 0, 0];
    v.forEach((i) => counts[i]!++);
    for (const c of counts) expect(Math.abs(c / 10000 - 0.2)).toBeLessThan(0.02);
    expect(() => new RandomSampler(5, { numSamples: 0 })).toThrow(/numSamples should be a positive integer/);
  });
  it('SubsetRandomSampler permutes the given indices', () => {
    const s = new SubsetRandomSampler([10, 20, 30, 40], { generator: new Generator(4) });
    const v = [...s];
    expect(sorted(v)).toEqual([10, 20, 30, 40]);
    expect(s.length).toBe(4);
    expect([...new SubsetRandomSampler([10, 20, 30, 40], { generator: new Generator(4) })]).toEqual(v);
  });
  it('WeightedRandomSampler: frequencies follow the weights', () => {
    const w = [1, 0, 3, 6];
    const n = 20000;
    const s = new WeightedRandomSampler(w, n, { generator: new Generator(5) });
    const counts = [0, 0, 0, 0];
    for (const i of s) counts[i]!++;
    expect(counts[1]).toBe(0);
    const total = 10;
    w.forEach((wi, i) => expect(Math.abs(counts[i]! / n - wi / total)).toBeLessThan(0.015));
    expect(s.length).toBe(n);
    // Tensor weights, reproducible.
    const wt = tensor(w);
    const a = [...new WeightedRandomSampler(wt, 50, { generator: new Generator(6) })];
    const b = [...new WeightedRandomSampler(w, 50, { generator: new Generator(6) })];
    expect(a).toEqual(b);
    wt.dispose();
  });
  it('WeightedRandomSampler without replacement: distinct, first draw proportional to weight', () => {
    const w = [1, 2, 3, 4, 0];
    const g = new Generator(7);
    const first = [0, 0, 0, 0, 0];
    const trials = 8000;
    for (let t = 0; t < trials; t++) {
      const v = [...new WeightedRandomSampler(w, 4, { replacement: false, generator: g })];
      expect(sorted(v)).toEqual([0, 1, 2, 3]);
      first[v[0]!]!++;
    }
    w.forEach((wi, i) => expect(Math.abs(first[i]! / trials - wi / 10)).toBeLessThan(0.02));
    expect(() => new WeightedRandomSampler(w, 5, { replacement: false })).toThrow(/cannot draw 5 samples without replacement from 4/);
  });
  it('WeightedRandomSampler validates weights', () => {
    expect(() => new WeightedRandomSampler([1, -1], 2)).toThrow(/non-negative.*index 1/);
    expect(() => new WeightedRandomSampler([0, 0], 2)).toThrow(/positive value/);
    expect(() => new WeightedRandomSampler([1], 0)).toThrow(/numSamples should be a positive integer/);
  });
  it('BatchSampler', () => {
    expect([...new BatchSampler(new SequentialSampler(7), 3)]).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect([...new BatchSampler(new SequentialSampler(7), 3, true)]).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(new BatchSampler(new SequentialSampler(7), 3).length).toBe(3);
    expect(new BatchSampler(new SequentialSampler(7), 3, true).length).toBe(2);
    expect(new BatchSampler([4, 2, 0], 2).length).toBe(2);
    expect(() => new BatchSampler(new SequentialSampler(7), 0)).toThrow(/batchSize should be a positive integer/);
  });
});
