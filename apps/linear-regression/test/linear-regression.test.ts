import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory } from '@tensile/core';
import { useDevice } from '@tensile/app-kit';
import { closedForm, loadBoston, trainBoston } from '../src/boston.js';
import { leastSquares, rmse } from '../src/least-squares.js';
import { trainSeedExample } from '../src/seed-example.js';

// The cpu backend when it loads, else the js reference backend (both are fast for these sizes).
let device = 'cpu';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensile-linreg-'));
beforeAll(async () => {
  try {
    await useDevice('cpu');
  } catch {
    device = 'js';
    await useDevice('js');
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('seed example (x = [1, 2, 3, 4], y = x, SGD lr 0.01, 100 epochs)', () => {
  it('predicts roughly x after 100 epochs, with a falling loss and no leaked tensors', async () => {
    const before = memory().numTensors;
    const r = await trainSeedExample({ seed: 0 });
    expect(r.losses).toHaveLength(100);
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]! / 10);
    for (let i = 1; i < r.losses.length; i++) expect(r.losses[i]!).toBeLessThanOrEqual(r.losses[i - 1]! + 1e-6);
    // lr 0.01 for 100 epochs leaves the slow (intercept) direction partly unconverged: about x
    for (let i = 0; i < 4; i++) expect(Math.abs(r.predictions[i]! - r.x[i]!)).toBeLessThan(0.75);
    expect(r.predictions[3]! - r.predictions[0]!).toBeGreaterThan(1.5);
    expect(new Set(r.liveTensors).size).toBe(1);
    expect(memory().numTensors).toBe(before);
  });

  it('converges to y = x when trained longer', async () => {
    const r = await trainSeedExample({ seed: 0, epochs: 3000 });
    for (let i = 0; i < 4; i++) expect(r.predictions[i]!).toBeCloseTo(r.x[i]!, 2);
    expect(r.weight).toBeCloseTo(1, 2);
    expect(r.bias).toBeCloseTo(0, 2);
  });
});

describe('closed-form least squares', () => {
  it('solves a small system exactly', () => {
    // y = 2 a - 3 b + 1, exactly
    const A = [[1, 0, 1], [0, 1, 1], [1, 1, 1], [2, -1, 1], [3, 5, 1]];
    const y = A.map(([a, b]) => 2 * a! - 3 * b! + 1);
    const w = leastSquares(A, y);
    expect(w[0]).toBeCloseTo(2, 10);
    expect(w[1]).toBeCloseTo(-3, 10);
    expect(w[2]).toBeCloseTo(1, 10);
    expect(rmse([1, 2], [1, 4])).toBeCloseTo(Math.sqrt(2), 12);
  });

  it('splits Boston 405/101 by seed and standardises with the training statistics', () => {
    const d = loadBoston(0);
    expect(d.xTrain).toHaveLength(405);
    expect(d.xTest).toHaveLength(101);
    for (let j = 0; j < 13; j++) {
      const col = d.xTrain.map((r) => r[j]!);
      const mean = col.reduce((s, v) => s + v, 0) / col.length;
      const varc = col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length;
      expect(mean).toBeCloseTo(0, 10);
      expect(varc).toBeCloseTo(1, 10);
    }
    expect(loadBoston(0).yTest).toEqual(d.yTest);
    expect(loadBoston(1).yTest).not.toEqual(d.yTest);
    // the normal equations' solution is a least-squares minimum: perturbing it raises the train RMSE
    const cf = closedForm(d);
    const shifted = d.xTrain.map((r) => r.reduce((s, v, j) => s + v * (cf.weight[j]! + (j === 5 ? 0.1 : 0)), cf.bias));
    expect(rmse(shifted, d.yTrain)).toBeGreaterThan(cf.trainRmse);
  });
});

describe('Boston house prices: Linear(13, 1)', () => {
  it('matches the closed-form test RMSE within 1 % (full-batch SGD), loss falling, tensors flat', async () => {
    const before = memory().numTensors;
    const out = path.join(tmp, 'full');
    const r = await trainBoston({ device, out, quiet: true, log: () => {} });
    expect(r.final.relativeGap).toBeLessThan(0.01);
    expect(r.final.trainRmse).toBeGreaterThanOrEqual(r.final.closedFormTrainRmse * (1 - 1e-4));
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]! / 20);
    for (let i = 10; i < r.losses.length; i += 10) expect(r.losses[i]!).toBeLessThanOrEqual(r.losses[i - 10]! * (1 + 1e-5));
    expect(new Set(r.liveTensors).size).toBe(1);
    expect(memory().numTensors).toBe(before);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { final: { relativeGap: number }; history: unknown[]; wallTimeS: number };
    expect(metrics.final.relativeGap).toBe(r.final.relativeGap);
    expect(metrics.history).toHaveLength(300);
    expect(metrics.wallTimeS).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('testRmse');
  });

  it('resumes from a checkpoint to the same state as an uninterrupted run (mini-batches)', async () => {
    const common = { device, quiet: true, log: () => {}, batchSize: 64, lr: 0.01, checkpointEvery: 5, tolerance: Infinity, writeFiles: false };
    const full = await trainBoston({ ...common, epochs: 20, out: path.join(tmp, 'a') });
    const dir = path.join(tmp, 'b');
    const first = await trainBoston({ ...common, epochs: 10, out: dir });
    const resumed = await trainBoston({ ...common, epochs: 20, out: dir, resume: true });
    expect(first.losses).toEqual(full.losses.slice(0, 10));
    expect(resumed.losses).toEqual(full.losses.slice(10));
    expect(resumed.history).toEqual(full.history);
    expect(resumed.weight).toEqual(full.weight);
    expect(resumed.bias).toBe(full.bias);
  });
});
