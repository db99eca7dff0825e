import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSync } from '@tensile/nn';
import { train, type TrainOptions } from '../src/train.js';

// The CNN is too slow on the pure-JS reference device for a unit test: use the C++ backend.
let cpuError: string | null = null;
try {
  const name = '@tensile/cpu';
  await import(/* @vite-ignore */ name);
} catch (e) {
  cpuError = (e as Error).message.split('\n')[0]!;
}
const cpuIt = cpuError ? it.skip : it;
const why = cpuError ? ` (skipped: @tensile/cpu unavailable: ${cpuError})` : '';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-cnn-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const base = (out: string): TrainOptions => ({
  device: 'cpu', epochs: 2, batchSize: 32, lr: 1e-3, seed: 3, out, resume: false, quiet: true,
  trainLimit: 256, testLimit: 200, log: () => {},
});

/** All tensors of a checkpoint's safetensors file as plain arrays, by name. */
function checkpointTensors(dir: string): Record<string, number[]> {
  const sd = loadSync(path.join(dir, 'checkpoint.safetensors'));
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(sd)) {
    out[k] = Array.from(t.dataSync() as Float32Array);
    t.dispose();
  }
  return out;
}

const withoutTimes = (h: Record<string, number>[]) => h.map(({ epochTimeS: _t, ...rest }) => rest);

describe('mnist-cnn training' + why, () => {
  cpuIt('the loss falls, live tensors stay flat across epochs, metrics.json and report.html are written', async () => {
    const out = tmp();
    const r = await train(base(out));
    expect(r.stepLosses).toHaveLength(16);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(r.stepLosses[0]).toBeGreaterThan(2); // ~ln 10 at the start
    expect(mean(r.stepLosses.slice(-4))).toBeLessThan(mean(r.stepLosses.slice(0, 4)) - 0.15);
    expect(r.history[1]!.trainLoss).toBeLessThan(r.history[0]!.trainLoss!);
    expect(r.liveTensors).toHaveLength(2);
    expect(r.liveTensors[1]).toBe(r.liveTensors[0]);

    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(m.app).toBe('mnist-cnn');
    expect(m.device).toBe('cpu');
    expect(m.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2]);
    expect(m.final.testAccuracy).toBe(r.history[1]!.testAccuracy);
    expect(m.wallTimeS).toBeGreaterThan(0);
    expect(m.config.trainDigits).toBe(256);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('new Chart(');
    expect(html).toContain('aria-label="testAccuracy per epoch"');
    expect(fs.existsSync(path.join(out, 'checkpoint.json'))).toBe(true);
  });

  cpuIt('--resume after epoch 1 gives the same losses and final state as 2 epochs straight', async () => {
    const straightDir = tmp(), resumedDir = tmp();
    const small = (out: string): TrainOptions => ({ ...base(out), batchSize: 16, trainLimit: 96, testLimit: 50 });
    const straight = await train(small(straightDir));
    const first = await train({ ...small(resumedDir), epochs: 2, stopAfterEpoch: 1 });
    const second = await train({ ...small(resumedDir), epochs: 2, resume: true });
    expect(second.startEpoch).toBe(1);
    expect([...first.stepLosses, ...second.stepLosses]).toEqual(straight.stepLosses);
    expect(withoutTimes(second.history)).toEqual(withoutTimes(straight.history));
    // parameters and Adam's moments, bit for bit
    const a = checkpointTensors(straightDir), b = checkpointTensors(resumedDir);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(Object.keys(a).some((k) => k.endsWith('exp_avg_sq'))).toBe(true);
    for (const k of Object.keys(a)) expect(b[k], k).toEqual(a[k]);
    const ja = JSON.parse(fs.readFileSync(path.join(straightDir, 'checkpoint.json'), 'utf8'));
    const jb = JSON.parse(fs.readFileSync(path.join(resumedDir, 'checkpoint.json'), 'utf8'));
    expect(jb.rng).toEqual(ja.rng);
    expect(jb.scheduler).toEqual(ja.scheduler);
    expect(jb.step).toBe(12);
    // cosine schedule over the 2 epochs: full lr, then half
    expect(straight.history[0]!.lr).toBeCloseTo(1e-3, 12);
    expect(straight.history[1]!.lr).toBeCloseTo(5e-4, 12);
  });
});
