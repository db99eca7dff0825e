// The same training code on 'webgpu' (a software Vulkan driver such as Mesa lavapipe when the
// machine has no GPU), compared with cpu (or js). Skipped, with the reason printed and in the
// test names, when no WebGPU adapter can be had.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceTestGate, releaseDevices, useDevice } from '@tensile/app-kit';
import { trainBoston } from '../src/boston.js';
import { trainSeedExample } from '../src/seed-example.js';

const { why: gpuWhy, reference } = await deviceTestGate('linear-regression', 'webgpu');
const gpuIt = gpuWhy ? it.skip : it;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensile-linreg-webgpu-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  releaseDevices();
});

/** |a - b| <= rtol |b| elementwise, with the index in the message. */
function expectClose(a: number[], b: number[], rtol: number): void {
  expect(a).toHaveLength(b.length);
  for (const [i, v] of a.entries()) {
    expect(Number.isFinite(v), `[${i}] ${v}`).toBe(true);
    expect(Math.abs(v - b[i]!), `[${i}] ${v} vs ${b[i]}`).toBeLessThanOrEqual(rtol * Math.abs(b[i]!) + 1e-7);
  }
}

describe('linear regression on webgpu' + (gpuWhy ? ` (skipped: ${gpuWhy})` : ''), () => {
  gpuIt(`the seed example (20 epochs) gives a falling loss equal to ${reference}'s within rtol 1e-4`, async () => {
    await useDevice('webgpu');
    const gpu = await trainSeedExample({ seed: 0, epochs: 20 });
    await useDevice(reference);
    const ref = await trainSeedExample({ seed: 0, epochs: 20 });
    expect(gpu.losses.at(-1)!).toBeLessThan(gpu.losses[0]!);
    expectClose(gpu.losses, ref.losses, 1e-4);
    expectClose(gpu.predictions, ref.predictions, 1e-4);
  });

  gpuIt(`Boston, 3 epochs of shuffled mini-batches: losses and weights equal to ${reference}'s within rtol 1e-4`, async () => {
    const common = { quiet: true, log: () => {}, epochs: 3, batchSize: 64, lr: 0.01, checkpointEvery: 3, tolerance: Infinity, writeFiles: false };
    const gpu = await trainBoston({ ...common, device: 'webgpu', out: path.join(tmp, 'gpu') });
    const ref = await trainBoston({ ...common, device: reference, out: path.join(tmp, 'ref') });
    expect(gpu.losses.at(-1)!).toBeLessThan(gpu.losses[0]!);
    expectClose(gpu.losses, ref.losses, 1e-4);
    expectClose(gpu.weight, ref.weight, 1e-4);
    expectClose([gpu.final.testRmse], [ref.final.testRmse], 1e-4);
  });
});
