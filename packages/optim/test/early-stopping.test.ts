/** EarlyStopping: patience, minDelta, modes, and restoring the best weights. */
import { describe, expect, it } from 'vitest';
import { memory, noGrad, tensor, type Tensor } from '@tensile/core';
import { EarlyStopping } from '@tensile/optim';
import { param } from './support.js';

/** A one-parameter model with PyTorch-like stateDict/loadStateDict. */
class Tiny {
  w: Tensor = param(tensor([0]));
  stateDict(): Record<string, Tensor> {
    return { w: this.w };
  }
  loadStateDict(sd: Record<string, Tensor>): void {
    noGrad(() => this.w.copy_(sd.w!));
  }
  set(v: number): void {
    noGrad(() => this.w.fill_(v));
  }
  get value(): number {
    return this.w.itemSync();
  }
}

describe('EarlyStopping', () => {
  it('stops after patience epochs without improvement (min mode)', () => {
    const es = new EarlyStopping({ patience: 2 });
    const out = [1, 0.9, 0.95, 0.85, 0.85, 0.86].map((m) => es.step(m));
    expect(out).toEqual([false, false, false, false, false, true]); // an equal metric is no improvement
    expect(es.bestScore).toBe(0.85);
    expect(es.bestEpoch).toBe(3);
    expect(es.step(0.1)).toBe(true); // stays stopped
  });

  it('minDelta: smaller changes are not improvements; max mode', () => {
    const es = new EarlyStopping({ patience: 2, minDelta: 0.05, mode: 'max' });
    expect([0.5, 0.52, 0.6, 0.62, 0.64].map((m) => es.step(m))).toEqual([false, false, false, false, true]);
    expect(es.bestScore).toBe(0.6);
    es.reset();
    expect(es.bestScore).toBeNull();
    expect(es.step(0.1)).toBe(false);
  });

  it('restoreBest keeps a copy of the best weights and loads them back when stopping', () => {
    const model = new Tiny();
    const es = new EarlyStopping({ patience: 2, restoreBest: true });
    const before = memory().numTensors;
    const metrics = [3, 2, 2.5, 2.7];
    let stop = false;
    metrics.forEach((m, epoch) => {
      model.set(epoch + 10); // "training" changes the weights each epoch
      stop = es.step(m, model);
    });
    expect(stop).toBe(true);
    expect(model.value).toBe(11); // the weights of epoch 1 (metric 2)
    expect(memory().numTensors).toBe(before + 1); // one snapshot tensor, the older one freed
    expect(() => es.step(1)).toThrow(/needs the model/);
    es.dispose();
    expect(memory().numTensors).toBe(before);
    model.w.dispose();
  });
});
