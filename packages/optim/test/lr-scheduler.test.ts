/** Scheduler behaviour beyond the fixtures: closed forms, Adam betas, state dicts, checks. */
import { describe, expect, it } from 'vitest';
import { zeros, type Tensor } from '@tensile/core';
import {
  Adam,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  LambdaLR,
  LinearLR,
  lrScheduler,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  type LRScheduler,
} from '@tensile/optim';
import { loadOptimFixture, param } from './support.js';

const fixture = loadOptimFixture<{ cases: { name: string; lrs: number[]; momentums?: number[] }[] }>('schedulers');

function withSgd<T>(lr: number, fn: (opt: SGD) => T, momentum = 0): T {
  const p: Tensor = param(zeros([1]));
  const opt = new SGD([p], { lr, momentum });
  try {
    return fn(opt);
  } finally {
    p.dispose();
  }
}
function lrsOver(opt: SGD, s: LRScheduler, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(opt.paramGroups[0]!.lr);
    opt.step();
    s.step();
  }
  return out;
}

describe('lrScheduler', () => {
  it('is a namespace of the schedulers (torch.optim.lr_scheduler)', () => {
    expect(lrScheduler.StepLR).toBe(StepLR);
    expect(typeof lrScheduler.getLinearScheduleWithWarmup).toBe('function');
  });

  it("LinearLR follows PyTorch's documented example", () => {
    const lrs = withSgd(0.05, (opt) => lrsOver(opt, new LinearLR(opt, { startFactor: 0.5, totalIters: 4 }), 6));
    [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05].forEach((v, i) => expect(lrs[i]).toBeCloseTo(v, 12));
  });

  it('step(epoch) uses the closed forms (StepLR, MultiStepLR, CosineAnnealingLR, LinearLR)', () => {
    withSgd(0.1, (opt) => {
      const s = new StepLR(opt, 3, 0.5);
      s.step(7);
      expect(s.getLastLr()[0]).toBeCloseTo(0.025, 12);
    });
    withSgd(0.1, (opt) => {
      const s = new MultiStepLR(opt, [2, 5], 0.1);
      s.step(6);
      expect(s.getLastLr()[0]).toBeCloseTo(0.001, 12);
    });
    withSgd(0.1, (opt) => {
      const s = new CosineAnnealingLR(opt, 10, 0);
      s.step(5);
      expect(s.getLastLr()[0]).toBeCloseTo(0.05, 12);
    });
    withSgd(0.1, (opt) => {
      const s = new LinearLR(opt, { startFactor: 0.5, totalIters: 4 });
      s.step(2);
      expect(s.getLastLr()[0]).toBeCloseTo(0.075, 12);
    });
  });

  it('CosineAnnealingWarmRestarts: step(epoch) matches stepping one at a time', () => {
    const seq = withSgd(0.1, (opt) => lrsOver(opt, new CosineAnnealingWarmRestarts(opt, 7, 2, 0.001), 30));
    withSgd(0.1, (opt) => {
      const s = new CosineAnnealingWarmRestarts(opt, 7, 2, 0.001);
      for (let i = 1; i < 30; i++) {
        s.step(i);
        expect(s.getLastLr()[0]).toBeCloseTo(seq[i]!, 12);
      }
      s.step(7.5); // fractional epochs (per batch) work too
      expect(s.getLastLr()[0]).toBeLessThan(0.1);
    });
    expect(() => withSgd(0.1, (opt) => new CosineAnnealingWarmRestarts(opt, 0))).toThrow(/positive integer t0/);
  });

  it('OneCycleLR cycles betas[0] for Adam and keeps betas[1]', () => {
    const expected = fixture.cases.find((c) => c.name === 'one_cycle_lr')!;
    const p = param(zeros([1]));
    const opt = new Adam([p], { lr: 0.1, betas: [0.9, 0.99] });
    const s = new OneCycleLR(opt, 0.1, { totalSteps: 30, pctStart: 0.3 });
    for (let i = 0; i < 30; i++) {
      const betas = opt.paramGroups[0]!.betas;
      expect(betas[0]).toBeCloseTo(expected.momentums![i]!, 12);
      expect(betas[1]).toBe(0.99);
      expect(opt.paramGroups[0]!.lr).toBeCloseTo(expected.lrs[i]!, 12);
      s.step();
    }
    expect(() => s.step()).toThrow(/total steps is 30/);
    p.dispose();
  });

  it('OneCycleLR takes epochs * stepsPerEpoch and needs a momentum to cycle', () => {
    withSgd(0.1, (opt) => {
      const s = new OneCycleLR(opt, 1, { epochs: 2, stepsPerEpoch: 5, cycleMomentum: false });
      expect(s.totalSteps).toBe(10);
      expect(opt.paramGroups[0]!.lr).toBeCloseTo(1 / 25, 12);
    });
    expect(() => withSgd(0.1, (opt) => new OneCycleLR(opt, 1, {}))).toThrow(/totalSteps OR/);
  });

  it('LambdaLR: one function per group', () => {
    const a = param(zeros([1])), b = param(zeros([1]));
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.1 });
    const s = new LambdaLR(opt, [(e) => 0.5 ** e, (e) => 1 / (e + 1)]);
    s.step();
    s.step();
    expect(s.getLastLr()).toEqual([0.025, 1 / 3]);
    expect(() => new LambdaLR(opt, [(e) => e])).toThrow(/expected 2 values/);
    for (const t of [a, b]) t.dispose();
  });

  it('ReduceLROnPlateau in max mode with an absolute threshold; minLr bounds the lr', () => {
    withSgd(1, (opt) => {
      const s = new ReduceLROnPlateau(opt, { mode: 'max', factor: 0.5, patience: 1, threshold: 0.1, thresholdMode: 'abs', minLr: 0.3 });
      const lrs: number[] = [];
      for (const m of [0.5, 0.65, 0.7, 0.72, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85]) {
        s.step(m);
        lrs.push(s.getLastLr()[0]!);
      }
      // 0.65 improves (> 0.5 + 0.1); 0.7, 0.72 do not -> reduce at the second bad epoch; 0.8 improves...
      expect(lrs).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]);
      expect(() => new ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/factor should be < 1.0/);
    });
  });

  it('stateDict / loadStateDict resume a schedule where it was', () => {
    const full = withSgd(0.1, (opt) => lrsOver(opt, new CosineAnnealingWarmRestarts(opt, 5, 2, 0.01), 20));
    const { sd, optSd } = withSgd(0.1, (opt) => {
      const s = new CosineAnnealingWarmRestarts(opt, 5, 2, 0.01);
      lrsOver(opt, s, 8);
      return { sd: structuredClone(s.stateDict()), optSd: opt.stateDict() };
    });
    expect(sd).toMatchObject({ last_epoch: 8, t0: 5, t_mult: 2, t_cur: 3, t_i: 10, _step_count: 9 });
    const resumed = withSgd(0.1, (opt) => {
      opt.loadStateDict(optSd);
      const s = new CosineAnnealingWarmRestarts(opt, 5, 2, 0.01);
      s.loadStateDict(sd);
      opt.paramGroups[0]!.lr = s.getLastLr()[0]!;
      return lrsOver(opt, s, 12);
    });
    expect(resumed).toEqual(full.slice(8));
  });

  it('resuming with lastEpoch needs initialLr in the groups', () => {
    withSgd(0.1, (opt) => {
      expect(() => new StepLR(opt, 2, 0.5, 3)).toThrow(/initialLr/);
      opt.paramGroups[0]!.initialLr = 0.1;
      const s = new StepLR(opt, 2, 0.5, 3);
      expect(s.lastEpoch).toBe(4);
    });
  });
});
