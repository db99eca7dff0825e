// The same training code on 'webgpu' (a software Vulkan driver such as Mesa lavapipe when the
// machine has no GPU): a couple of steps on a tiny subset, losses compared with cpu (or js).
// Skipped, with the reason printed and in the test name, when no WebGPU adapter can be had.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceTestGate, releaseDevices } from '@tensile/app-kit';
import { train, type TrainOptions } from '../src/train.js';

const { why: gpuWhy, reference } = await deviceTestGate('mnist-cnn', 'webgpu');
const gpuIt = gpuWhy ? it.skip : it;

const dirs: string[] = [];
afterAll(() => {
  dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  releaseDevices();
});
const opts = (device: string): TrainOptions => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `mnist-cnn-${device}-`));
  dirs.push(out);
  // 2 steps of 8 digits (dropout and augmentation on: the same random draws on both devices)
  return { device, epochs: 1, batchSize: 8, lr: 1e-3, seed: 3, out, resume: false, quiet: true, trainLimit: 16, testLimit: 8, log: () => {} };
};

describe('mnist-cnn on webgpu' + (gpuWhy ? ` (skipped: ${gpuWhy})` : ''), () => {
  gpuIt(`trains 2 steps with finite losses equal to ${reference}'s within rtol 1e-4`, async () => {
    const gpu = await train(opts('webgpu'));
    const ref = await train(opts(reference));
    expect(gpu.stepLosses).toHaveLength(2);
    for (const [i, l] of gpu.stepLosses.entries()) {
      expect(Number.isFinite(l)).toBe(true);
      expect(Math.abs(l - ref.stepLosses[i]!), `step ${i}: ${l} vs ${ref.stepLosses[i]}`).toBeLessThanOrEqual(1e-4 * Math.abs(ref.stepLosses[i]!));
    }
    const [g, r] = [gpu.history[0]!, ref.history[0]!];
    expect(Math.abs(g.testLoss! - r.testLoss!)).toBeLessThanOrEqual(1e-4 * r.testLoss!);
    expect(g.testAccuracy).toBe(r.testAccuracy);
    const m = JSON.parse(fs.readFileSync(path.join(dirs[0]!, 'metrics.json'), 'utf8')) as { device: string };
    expect(m.device).toBe('webgpu');
  });
});
