// The same seeded training loop on 'cpu' and on 'webgpu' gives the same losses, and the device's
// live tensors and GPU buffers stay flat across steps (no leak).
import { crossEntropy, manualSeed, memory, randint, randn, Tensor, tidy } from '@tensile/core';
import '@tensile/cpu';
import { Linear, Module, ReLU } from '@tensile/nn';
import { Adam, SGD } from '@tensile/optim';
import { destroyWebGPU, webgpuStats } from '@tensile/webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { initGpu } from './gpu.js';

const gpu = await initGpu();

/** Relative tolerance between the cpu and webgpu losses (float32, different summation orders). */
const RTOL = 1e-4;
const STEPS = 20;

class Mlp extends Module<[Tensor], Tensor> {
  fc1: Linear;
  act = new ReLU();
  fc2: Linear;
  constructor(device: string) {
    super();
    this.fc1 = new Linear(8, 32, { device });
    this.fc2 = new Linear(32, 4, { device });
  }
  forward(x: Tensor): Tensor {
    return this.fc2.call(this.act.call(this.fc1.call(x)));
  }
}

/** 20 steps of Linear-ReLU-Linear + crossEntropy on fixed seeded data; returns the losses. */
async function train(device: string, opt: 'sgd' | 'adam'): Promise<{ losses: number[]; tensors: number[]; buffers: number[] }> {
  manualSeed(0);
  const model = new Mlp(device);
  // data made on cpu and moved, so both devices train on the same tensors
  const xc = randn([64, 8], { device: 'cpu' });
  const yc = randint(0, 4, [64], { device: 'cpu' });
  const x = xc.to(device);
  const y = yc.to(device);
  if (x !== xc) xc.dispose();
  if (y !== yc) yc.dispose();
  const optim = opt === 'sgd' ? new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }) : new Adam(model.parameters(), { lr: 0.01 });
  const losses: number[] = [], tensors: number[] = [], buffers: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    optim.zeroGrad();
    const loss = tidy(() => {
      const l = crossEntropy(model.call(x), y);
      l.backward();
      return l;
    });
    optim.step();
    losses.push(await loss.item());
    loss.dispose();
    tensors.push(memory().devices[device]?.tensors ?? 0);
    buffers.push(device === 'webgpu' ? webgpuStats().liveBuffers : 0);
  }
  x.dispose();
  y.dispose();
  for (const p of model.parameters()) p.dispose();
  optim.zeroGrad({ setToNone: true });
  for (const st of optim.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
  return { losses, tensors, buffers };
}

if (gpu.ok) {
  describe('training on webgpu matches cpu', () => {
    afterAll(() => destroyWebGPU());
    for (const opt of ['sgd', 'adam'] as const) {
      it(`${opt}: the same seeded MLP loop gives the same 20 losses on cpu and webgpu (rtol ${RTOL})`, async () => {
        const cpu = await train('cpu', opt);
        const wg = await train('webgpu', opt);
        console.log(`${opt} losses cpu:    ${cpu.losses.map((l) => l.toFixed(6)).join(' ')}`);
        console.log(`${opt} losses webgpu: ${wg.losses.map((l) => l.toFixed(6)).join(' ')}`);
        const rel = wg.losses.map((l, i) => Math.abs(l - cpu.losses[i]!) / Math.abs(cpu.losses[i]!));
        console.log(`${opt} max relative difference: ${Math.max(...rel).toExponential(2)}`);
        expect(wg.losses[STEPS - 1]).toBeLessThan(wg.losses[0]!);
        for (let i = 0; i < STEPS; i++) expect(rel[i]).toBeLessThan(RTOL);
        console.log(`${opt} live tensors per step: ${wg.tensors.join(" ")}; gpu buffers: ${wg.buffers.join(" ")}`);
        // no leak: live tensors and GPU buffers flat after the first steps (optimizer state created at step 1)
        expect(new Set(wg.tensors.slice(2)).size).toBe(1);
        expect(new Set(wg.buffers.slice(2)).size).toBe(1);
      });
    }
  });
} else {
  describe.skip(`training on webgpu skipped: ${gpu.reason}`, () => {
    it('cpu and webgpu losses match', () => {});
  });
}
