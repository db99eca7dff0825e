/** Training loops hold memory() flat: optimizer state is kept, every step's temporaries are freed. */
import { describe, expect, it } from 'vitest';
import { memory, tidy, type Tensor } from '@tensile/core';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer } from '@tensile/optim';
import { decodeTensor, loadOptimFixture, testDevices, TinyMLP, type FixtureTensor } from './support.js';

interface OptimFixture {
  model: { state_dict: Record<string, FixtureTensor> };
  batches: { x: FixtureTensor; y: FixtureTensor }[];
}
const fixture = loadOptimFixture<OptimFixture>('optimizers');
const { devices, skipped } = await testDevices();

function snapshot(): { tensors: number; bytes: number } {
  const m = memory();
  return { tensors: m.numTensors, bytes: m.numBytes };
}

for (const device of devices) {
  describe(`memory on ${device}`, () => {
    it('1,000 Adam steps of a small model inside tidy keep memory() flat', () => {
      const model = new TinyMLP(fixture.model.state_dict, device);
      const opt = new Adam(model.ordered(), { lr: 1e-3, amsgrad: true, weightDecay: 1e-4 });
      const batches = fixture.batches.map((b) => [decodeTensor(b.x, device), decodeTensor(b.y, device)] as [Tensor, Tensor]);
      const trainStep = (i: number): number =>
        tidy(() => {
          const [x, y] = batches[i % batches.length]!;
          opt.zeroGrad();
          const loss = model.loss(x, y);
          loss.backward();
          opt.step();
          return i % 100 === 0 ? loss.itemSync() : 0;
        });
      try {
        for (let i = 0; i < 5; i++) trainStep(i); // state is created at the first step
        const before = snapshot();
        const first = trainStep(0);
        for (let i = 1; i < 1000; i++) trainStep(i);
        const after = snapshot();
        expect(after).toEqual(before);
        const last = tidy(() => model.loss(batches[0]![0], batches[0]![1]).itemSync());
        expect(last).toBeLessThan(first); // it trained
      } finally {
        opt.dispose();
        model.dispose();
        for (const [x, y] of batches) {
          x.dispose();
          y.dispose();
        }
      }
    });

    it('optimizer.step() outside any tidy scope frees its own temporaries (every optimizer)', () => {
      const model = new TinyMLP(fixture.model.state_dict, device);
      const params = model.ordered();
      const opts: Optimizer<object>[] = [
        new SGD(params, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.1, maximize: true }) as never,
        new Adam(params, { lr: 0.01, amsgrad: true, weightDecay: 0.1 }) as never,
        new AdamW(params, { lr: 0.01 }) as never,
        new RMSprop(params, { momentum: 0.9, centered: true, weightDecay: 0.1 }) as never,
        new Adagrad(params, { lrDecay: 0.1, weightDecay: 0.1, initialAccumulatorValue: 0.1 }) as never,
      ];
      const [x, y] = [decodeTensor(fixture.batches[0]!.x, device), decodeTensor(fixture.batches[0]!.y, device)];
      try {
        tidy(() => model.loss(x, y).backward());
        for (const opt of opts) opt.step(); // creates the state
        const before = snapshot();
        for (let i = 0; i < 20; i++) for (const opt of opts) opt.step();
        expect(snapshot()).toEqual(before);
        // zeroGrad frees the gradients it drops
        const withGrads = snapshot().tensors;
        opts[0]!.zeroGrad();
        expect(snapshot().tensors).toBe(withGrads - params.length);
      } finally {
        for (const o of opts) o.dispose();
        model.dispose();
        x.dispose();
        y.dispose();
      }
    });
  });
}
if (skipped) describe('memory', () => it.skip(skipped, () => {}));
