/** Golden cases of optim/schedulers.json: the lr (and OneCycleLR momentum) in effect at each step. */
import { describe, expect, it } from 'vitest';
import { zeros } from '@tensile/core';
import {
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  ExponentialLR,
  getLinearScheduleWithWarmup,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  type LRScheduler,
} from '@tensile/optim';
import { expectNear, loadOptimFixture, param, testDevices } from './support.js';

interface SchedCase {
  name: string;
  scheduler: string;
  kwargs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  optimizer: { type: string; kwargs: { lr: number; momentum?: number } };
  lrs: number[];
  momentums?: number[];
  metrics?: number[];
  rtol: number;
  atol: number;
}
interface SchedFixture {
  steps: number;
  cases: SchedCase[];
}

const fixture = loadOptimFixture<SchedFixture>('schedulers');
const { devices, skipped } = await testDevices();

/** Build the case's scheduler from its PyTorch kwargs. */
function makeScheduler(c: SchedCase, opt: SGD): LRScheduler | ReduceLROnPlateau {
  const k = c.kwargs;
  switch (c.scheduler) {
    case 'torch.optim.lr_scheduler.StepLR':
      return new StepLR(opt, k.step_size, k.gamma);
    case 'torch.optim.lr_scheduler.MultiStepLR':
      return new MultiStepLR(opt, k.milestones, k.gamma);
    case 'torch.optim.lr_scheduler.ExponentialLR':
      return new ExponentialLR(opt, k.gamma);
    case 'torch.optim.lr_scheduler.CosineAnnealingLR':
      return new CosineAnnealingLR(opt, k.T_max, k.eta_min);
    case 'torch.optim.lr_scheduler.CosineAnnealingWarmRestarts':
      return new CosineAnnealingWarmRestarts(opt, k.T_0, k.T_mult, k.eta_min);
    case 'torch.optim.lr_scheduler.OneCycleLR':
      return new OneCycleLR(opt, k.max_lr, {
        totalSteps: k.total_steps,
        pctStart: k.pct_start,
        annealStrategy: k.anneal_strategy,
        threePhase: k.three_phase,
        divFactor: k.div_factor,
        finalDivFactor: k.final_div_factor,
      });
    case 'torch.optim.lr_scheduler.LambdaLR': {
      const l = k.lr_lambda;
      expect(l.name).toBe('linear_schedule_with_warmup');
      return getLinearScheduleWithWarmup(opt, l.num_warmup_steps, l.num_training_steps);
    }
    case 'torch.optim.lr_scheduler.ReduceLROnPlateau':
      return new ReduceLROnPlateau(opt, {
        mode: k.mode,
        factor: k.factor,
        patience: k.patience,
        threshold: k.threshold,
        thresholdMode: k.threshold_mode,
        cooldown: k.cooldown,
        minLr: k.min_lr,
      });
  }
  throw new Error(`scheduler ${c.scheduler} is not mapped`);
}

function runCase(c: SchedCase, device: string): void {
  expect(c.optimizer.type).toBe('torch.optim.SGD');
  const p = param(zeros([2], { device }));
  const opt = new SGD([p], c.optimizer.kwargs);
  const sched = makeScheduler(c, opt);
  try {
    for (let i = 0; i < fixture.steps; i++) {
      expectNear(opt.paramGroups[0]!.lr, c.lrs[i]!, c.rtol, c.atol, `${c.name} lr at step ${i}`);
      if (c.momentums) expectNear(opt.paramGroups[0]!.momentum, c.momentums[i]!, c.rtol, c.atol, `${c.name} momentum at step ${i}`);
      p.grad?.dispose();
      p.grad = null;
      opt.step(); // no gradient: a no-op, as the fixture's procedure only needs the call order
      if (sched instanceof ReduceLROnPlateau) sched.step(c.metrics![i]!);
      else sched.step();
    }
  } finally {
    opt.dispose();
    p.dispose();
  }
}

for (const device of devices) {
  describe(`schedulers.json on ${device}`, () => {
    for (const c of fixture.cases) it(c.name, () => runCase(c, device));
  });
}
if (skipped) describe('schedulers.json', () => it.skip(skipped, () => {}));
