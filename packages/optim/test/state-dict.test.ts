/** Optimizer stateDict/loadStateDict: PyTorch's layout, and a resumed run equals an uninterrupted one. */
import { describe, expect, it } from 'vitest';
import { clone, keep, Tensor, tidy } from '@tensile/core';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer, type OptimizerStateDict } from '@tensile/optim';
import { decodeTensor, loadOptimFixture, testDevices, TinyMLP, type FixtureTensor } from './support.js';

interface OptimFixture {
  model: { state_dict: Record<string, FixtureTensor> };
  batches: { x: FixtureTensor; y: FixtureTensor }[];
}
const fixture = loadOptimFixture<OptimFixture>('optimizers');
const { devices, skipped } = await testDevices();

type Make = (params: Tensor[]) => Optimizer<object>;
const MAKERS: Record<string, Make> = {
  'SGD (momentum, nesterov, weightDecay)': (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }) as never,
  'Adam (amsgrad)': (p) => new Adam(p, { lr: 0.05, amsgrad: true }) as never,
  AdamW: (p) => new AdamW(p, { lr: 0.05, weightDecay: 0.1 }) as never,
  'RMSprop (momentum, centered)': (p) => new RMSprop(p, { lr: 0.01, momentum: 0.9, centered: true }) as never,
  'Adagrad (lrDecay)': (p) => new Adagrad(p, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }) as never,
};

function trainSteps(model: TinyMLP, opt: Optimizer<object>, from: number, to: number, device: string): void {
  for (let i = from; i < to; i++) {
    tidy(() => {
      const b = fixture.batches[i % fixture.batches.length]!;
      opt.zeroGrad();
      model.loss(decodeTensor(b.x, device), decodeTensor(b.y, device)).backward();
      opt.step();
    });
  }
}

/** A deep copy of an optimizer state dict (what saving to disk and reading back gives). */
function deepCopy(sd: OptimizerStateDict): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  for (const [k, st] of Object.entries(sd.state)) {
    state[Number(k)] = Object.fromEntries(Object.entries(st).map(([n, v]) => [n, v instanceof Tensor ? keep(clone(v)) : v]));
  }
  return { state, param_groups: structuredClone(sd.param_groups) };
}
function disposeSd(sd: OptimizerStateDict): void {
  for (const st of Object.values(sd.state)) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
}

for (const device of devices) {
  describe(`optimizer stateDict on ${device}`, () => {
    for (const [name, make] of Object.entries(MAKERS)) {
      it(`${name}: save, load into a fresh optimizer, continue = uninterrupted run`, () => {
        const a = new TinyMLP(fixture.model.state_dict, device);
        const optA = make(a.ordered());
        trainSteps(a, optA, 0, 3, device);
        optA.paramGroups[0]!.lr *= 0.5; // a scheduler's change travels with the state
        const saved = deepCopy(optA.stateDict());
        const savedModel = Object.fromEntries(Object.entries(a.stateDict()).map(([k, t]) => [k, keep(clone(t))]));

        const b = new TinyMLP(fixture.model.state_dict, device);
        b.loadStateDict(savedModel);
        const optB = make(b.ordered());
        optB.loadStateDict(saved);
        expect(optB.paramGroups[0]!.lr).toBe(optA.paramGroups[0]!.lr);
        // the loaded state is a copy: changing the saved dict does not touch the optimizer
        disposeSd(saved);

        trainSteps(a, optA, 3, 6, device);
        trainSteps(b, optB, 3, 6, device);
        a.ordered().forEach((p, i) => {
          expect(Array.from(b.ordered()[i]!.dataSync() as Float32Array), `param ${i}`).toEqual(Array.from(p.dataSync() as Float32Array));
        });
        for (const t of Object.values(savedModel)) t.dispose();
        for (const o of [optA, optB]) o.dispose();
        for (const m of [a, b]) m.dispose();
      });
    }

    it("uses PyTorch's layout: state by parameter index (snake_case), param_groups with params as indices", () => {
      const m = new TinyMLP(fixture.model.state_dict, device);
      const [w0, b0, w2, b2] = m.ordered();
      const opt = new Adam([{ params: [w0!, b0!] }, { params: [w2!, b2!], lr: 0.5, amsgrad: true }], { lr: 0.01, weightDecay: 0.1 });
      trainSteps(m, opt, 0, 2, device);
      const sd = opt.stateDict();
      expect(Object.keys(sd.state)).toEqual(['0', '1', '2', '3']);
      expect(Object.keys(sd.state[0]!).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'step']);
      expect(Object.keys(sd.state[3]!).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
      expect(sd.state[0]!.step).toBe(2);
      expect(sd.state[2]!.exp_avg).toBe(opt.state.get(w2!)!.expAvg);
      expect(sd.param_groups).toEqual([
        { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.1, amsgrad: false, maximize: false, params: [0, 1] },
        { lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.1, amsgrad: true, maximize: false, params: [2, 3] },
      ]);
      opt.dispose();
      m.dispose();
    });

    it('accepts a step stored as a tensor (PyTorch) and refuses mismatched groups', () => {
      const m = new TinyMLP(fixture.model.state_dict, device);
      const opt = new Adam(m.ordered(), { lr: 0.01 });
      trainSteps(m, opt, 0, 1, device);
      const sd = deepCopy(opt.stateDict());
      for (const st of Object.values(sd.state)) st.step = keep(decodeTensor({ shape: [], dtype: 'float32', data: [1] }, device));
      const fresh = new Adam(m.ordered(), { lr: 0.01 });
      fresh.loadStateDict(sd);
      expect(fresh.state.get(m.w0)!.step).toBe(1);
      const twoGroups = new Adam([{ params: [m.w0] }, { params: [m.b0, m.w2, m.b2] }]);
      expect(() => twoGroups.loadStateDict(sd)).toThrow(/different number of parameter groups/);
      const smaller = new Adam([m.w0, m.b0]);
      expect(() => smaller.loadStateDict(sd)).toThrow(/doesn't match the size/);
      disposeSd(sd);
      for (const o of [opt, fresh, twoGroups, smaller]) o.dispose();
      m.dispose();
    });
  });
}
if (skipped) describe('optimizer stateDict', () => it.skip(skipped, () => {}));
