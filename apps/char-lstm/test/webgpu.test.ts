// The same training code on 'webgpu' (a software Vulkan driver such as Mesa lavapipe when the
// machine has no GPU): a few LSTM steps on a slice of the book, compared with cpu (or js).
// Skipped, with the reason printed and in the test name, when no WebGPU adapter can be had.
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceTestGate, releaseDevices } from '@tensile/app-kit';
import { loadMobyDick } from '../src/data.js';
import { train, type CharLstmOptions } from '../src/train.js';

const { why: gpuWhy, reference } = await deviceTestGate('char-lstm', 'webgpu');
const gpuIt = gpuWhy ? it.skip : it;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensile-char-lstm-webgpu-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  releaseDevices();
});

const small = (device: string): Partial<CharLstmOptions> => ({
  device, text: loadMobyDick().slice(0, 20_000), out: path.join(tmp, device), quiet: true, log: () => {}, batchSize: 8, seqLen: 16,
  hidden: 32, embedding: 16, stepsPerEpoch: 4, epochs: 1, lr: 1e-2, validChars: 400, evalBatch: 4, sampleLength: 10, writeFiles: false,
});

describe('char-lstm on webgpu' + (gpuWhy ? ` (skipped: ${gpuWhy})` : ''), () => {
  gpuIt(`4 LSTM steps (clipped Adam) give finite, falling losses equal to ${reference}'s within rtol 1e-4`, async () => {
    const gpu = await train(small('webgpu'));
    const ref = await train(small(reference));
    expect(gpu.stepLosses).toHaveLength(4);
    for (const [i, l] of gpu.stepLosses.entries()) {
      expect(Number.isFinite(l)).toBe(true);
      expect(Math.abs(l - ref.stepLosses[i]!), `step ${i}: ${l} vs ${ref.stepLosses[i]}`).toBeLessThanOrEqual(1e-4 * ref.stepLosses[i]!);
    }
    expect(gpu.stepLosses.at(-1)!).toBeLessThan(gpu.stepLosses[0]!);
    expect(Math.abs(gpu.final.validBpc! - ref.final.validBpc!)).toBeLessThanOrEqual(1e-4 * ref.final.validBpc!);
    expect(Math.abs(gpu.final.testBpc! - ref.final.testBpc!)).toBeLessThanOrEqual(1e-4 * ref.final.testBpc!);
    expect(gpu.sample.startsWith('Call me Ishmael. ')).toBe(true);
  });
});
