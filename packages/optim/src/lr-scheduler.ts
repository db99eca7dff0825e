/**
 * Learning-rate schedulers (torch.optim.lr_scheduler), with PyTorch's exact (mostly recursive)
 * formulas. A scheduler writes `lr` into the optimizer's param groups; call `step()` once after
 * each `optimizer.step()` (per epoch or per batch, as the schedule is meant).
 */
import { Tensor } from '@tensile/core';
import { camelName, snakeName, type ParamGroup } from './optimizer.js';

/** What a scheduler needs from an optimizer: its param groups and defaults. */
export interface OptimizerLike {
  paramGroups: ParamGroup[];
  readonly defaults: object;
}

/** Python's % (the result has the divisor's sign). */
function pyMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

function perGroup<T>(name: string, opt: OptimizerLike, v: T | readonly T[], what: string): T[] {
  if (Array.isArray(v)) {
    if (v.length !== opt.paramGroups.length) throw new RangeError(`${name}: expected ${opt.paramGroups.length} values for ${what}, got ${v.length}`);
    return [...v];
  }
  return opt.paramGroups.map(() => v as T);
}

/** Scheduler fields -> state dict (snake_case keys, functions and the optimizer left out). */
function schedulerState(s: object, skip: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'optimizer' || skip.includes(k) || typeof v === 'function') continue;
    out[snakeName(k)] = Array.isArray(v) ? structuredClone(v) : v;
  }
  return out;
}
function loadSchedulerState(s: object, sd: Record<string, unknown>): void {
  const target = s as Record<string, unknown>;
  for (const [k, v] of Object.entries(sd)) {
    const key = camelName(k);
    if (key === 'optimizer' || typeof target[key] === 'function') continue;
    target[key] = Array.isArray(v) ? structuredClone(v) : v;
  }
}

/** Base class of the epoch-indexed schedulers (PyTorch's LRScheduler). */
export abstract class LRScheduler {
  readonly optimizer: OptimizerLike;
  /** The lr each group's schedule starts from (its `initialLr`). */
  baseLrs: number[];
  /** Index of the current epoch/step (-1 before the constructor's initial step). */
  lastEpoch: number;
  protected _stepCount = 0;
  protected _lastLr: number[] = [];

  /** Subclasses set their fields and then call `this._initialStep()`. */
  constructor(optimizer: OptimizerLike, lastEpoch = -1) {
    this.optimizer = optimizer;
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new Error(`${this.constructor.name}: param 'initialLr' is not specified in paramGroups[${i}] when resuming an optimizer`);
        }
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** The constructor's step: sets the lr of epoch lastEpoch + 1. */
  protected _initialStep(): void {
    this._stepCount = 0;
    this.step();
  }

  /** The lrs of the current epoch, from the previous ones (the recursive form). */
  abstract getLr(): number[];
  /** The lrs of epoch lastEpoch in closed form, used by step(epoch) where a schedule has one. */
  protected _getClosedFormLr?(): number[];

  /** Advance to the next epoch (or jump to `epoch`, deprecated in PyTorch) and set the lrs. */
  step(epoch?: number): void {
    this._stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this._getClosedFormLr ? this._getClosedFormLr() : this.getLr();
    }
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = values[i]!));
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The lrs set by the last step(). */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /** The scheduler's state (snake_case keys, as PyTorch's `__dict__` without the optimizer). */
  stateDict(): Record<string, unknown> {
    return schedulerState(this);
  }
  loadStateDict(sd: Record<string, unknown>): void {
    loadSchedulerState(this, sd);
  }
}

/** Multiply the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: OptimizerLike, stepSize: number, gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this._initialStep();
  }
  getLr(): number[] {
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }
  protected _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Multiply the lr by gamma at each milestone epoch. */
export class MultiStepLR extends LRScheduler {
  /** Sorted milestones (a repeated milestone multiplies by gamma once per repeat). */
  milestones: number[];
  gamma: number;
  constructor(optimizer: OptimizerLike, milestones: readonly number[], gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = gamma;
    this._initialStep();
  }
  getLr(): number[] {
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return lrs;
    return lrs.map((lr) => lr * this.gamma ** count);
  }
  protected _getClosedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

/** Multiply the lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: OptimizerLike, gamma: number, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.gamma = gamma;
    this._initialStep();
  }
  getLr(): number[] {
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    return this.lastEpoch === 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }
  protected _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/**
 * Cosine annealing from the base lr to etaMin over tMax epochs (SGDR without restarts), in
 * PyTorch's recursive form: past tMax the lr rises again along the cosine.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: OptimizerLike, tMax: number, etaMin = 0, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this._initialStep();
  }
  getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    const { tMax, etaMin, lastEpoch: e } = this;
    if (e === 0) return groups.map((g) => g.lr);
    if (this._stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / tMax))) / 2);
    }
    if (pyMod(e - 1 - tMax, 2 * tMax) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return groups.map(
      (g) => ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (g.lr - etaMin) + etaMin,
    );
  }
  protected _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/** Cosine annealing with warm restarts (SGDR): period t0, each next period tMult times longer. */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  tI: number;
  tMult: number;
  etaMin: number;
  tCur: number;
  constructor(optimizer: OptimizerLike, t0: number, tMult = 1, etaMin = 0, lastEpoch = -1) {
    if (!(Number.isInteger(t0) && t0 > 0)) throw new RangeError(`CosineAnnealingWarmRestarts: expected a positive integer t0, but got ${t0}`);
    if (!(Number.isInteger(tMult) && tMult >= 1)) throw new RangeError(`CosineAnnealingWarmRestarts: expected an integer tMult >= 1, but got ${tMult}`);
    super(optimizer, lastEpoch);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
    this.tCur = lastEpoch;
    this._initialStep();
  }
  getLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }
  /** Advance one step, or jump to a (possibly fractional) epoch: `step(epoch + i / iters)` per batch. */
  step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur - this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      if (epoch < 0) throw new RangeError(`CosineAnnealingWarmRestarts: expected a non-negative epoch, but got ${epoch}`);
      if (epoch >= this.t0) {
        if (this.tMult === 1) {
          this.tCur = epoch % this.t0;
        } else {
          const n = Math.floor(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    this._stepCount++;
    const lrs = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]!));
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/** lr = base lr * lrLambda(epoch); one function, or one per param group. */
export class LambdaLR extends LRScheduler {
  lrLambdas: ((epoch: number) => number)[];
  constructor(optimizer: OptimizerLike, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.lrLambdas = perGroup('LambdaLR', optimizer, lrLambda, 'lrLambda');
    this._initialStep();
  }
  getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }
  /** The state without the lambdas (functions are not state; pass them again to the constructor). */
  stateDict(): Record<string, unknown> {
    return schedulerState(this, ['lrLambdas']);
  }
}

export interface LinearLROptions {
  /** Factor of the base lr at the first epoch (default 1/3). */
  startFactor?: number;
  /** Factor reached after totalIters epochs (default 1). */
  endFactor?: number;
  /** Number of epochs of the linear change (default 5). */
  totalIters?: number;
}

/** Change the lr linearly from startFactor * base lr to endFactor * base lr over totalIters epochs. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: OptimizerLike, opts: LinearLROptions = {}, lastEpoch = -1) {
    const startFactor = opts.startFactor ?? 1 / 3, endFactor = opts.endFactor ?? 1, totalIters = opts.totalIters ?? 5;
    if (!(startFactor > 0 && startFactor <= 1)) throw new RangeError('LinearLR: startFactor expected to be greater than 0 and less or equal to 1');
    if (!(endFactor >= 0 && endFactor <= 1)) throw new RangeError('LinearLR: endFactor expected to be between 0 and 1');
    super(optimizer, lastEpoch);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this._initialStep();
  }
  getLr(): number[] {
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    if (t === 0) return lrs.map((lr) => lr * s);
    if (t > n) return lrs;
    return lrs.map((lr) => lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }
  protected _getClosedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, t)) / n));
  }
}

export interface OneCycleLROptions {
  /** Total number of steps; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD, RMSprop: `momentum`; Adam: betas[0]) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** min lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** A third phase annealing from the initial lr down to the min lr (fast.ai's schedule). */
  threePhase?: boolean;
  lastEpoch?: number;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/** The 1cycle policy (Smith and Topin): lr up to maxLr then down far below the start; call step() per batch. */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1: boolean;
  protected _schedulePhases: Phase[];

  constructor(optimizer: OptimizerLike, maxLr: number | number[], opts: OneCycleLROptions = {}) {
    const name = 'OneCycleLR';
    let totalSteps: number;
    if (opts.totalSteps !== undefined) {
      if (!(Number.isInteger(opts.totalSteps) && opts.totalSteps > 0)) throw new RangeError(`${name}: expected a positive integer totalSteps, but got ${opts.totalSteps}`);
      totalSteps = opts.totalSteps;
    } else if (opts.epochs !== undefined && opts.stepsPerEpoch !== undefined) {
      if (!(Number.isInteger(opts.epochs) && opts.epochs > 0)) throw new RangeError(`${name}: expected a positive integer epochs, but got ${opts.epochs}`);
      if (!(Number.isInteger(opts.stepsPerEpoch) && opts.stepsPerEpoch > 0)) throw new RangeError(`${name}: expected a positive integer stepsPerEpoch, but got ${opts.stepsPerEpoch}`);
      totalSteps = opts.epochs * opts.stepsPerEpoch;
    } else {
      throw new Error(`${name}: you must define either totalSteps OR (epochs AND stepsPerEpoch)`);
    }
    const pctStart = opts.pctStart ?? 0.3;
    if (!(pctStart >= 0 && pctStart <= 1)) throw new RangeError(`${name}: expected a float between 0 and 1 for pctStart, but got ${pctStart}`);
    const annealStrategy = opts.annealStrategy ?? 'cos';
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new RangeError(`${name}: annealStrategy must be 'cos' or 'linear', got ${String(annealStrategy)}`);
    const divFactor = opts.divFactor ?? 25, finalDivFactor = opts.finalDivFactor ?? 1e4;
    const lastEpoch = opts.lastEpoch ?? -1;
    const phases: Phase[] = opts.threePhase
      ? [
          { endStep: pctStart * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pctStart * totalSteps - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: totalSteps - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pctStart * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: totalSteps - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    const maxLrs = perGroup(name, optimizer, maxLr, 'maxLr');
    if (lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / divFactor;
        g.maxLr = maxLrs[i]!;
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    const cycleMomentum = opts.cycleMomentum ?? true;
    let useBeta1 = false;
    if (cycleMomentum) {
      const d = optimizer.defaults as Record<string, unknown>;
      if (!('momentum' in d) && !('betas' in d)) throw new Error(`${name}: optimizer must support momentum or betas with the cycleMomentum option enabled`);
      useBeta1 = 'betas' in d;
      const maxM = perGroup(name, optimizer, opts.maxMomentum ?? 0.95, 'maxMomentum');
      const baseM = perGroup(name, optimizer, opts.baseMomentum ?? 0.85, 'baseMomentum');
      if (lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i]!, ...(g.betas as number[]).slice(1)];
          else g.momentum = maxM[i]!;
          g.maxMomentum = maxM[i]!;
          g.baseMomentum = baseM[i]!;
        });
      }
    }
    super(optimizer, lastEpoch);
    this.totalSteps = totalSteps;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this._schedulePhases = phases;
    this._initialStep();
  }

  private _anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new RangeError(`OneCycleLR: tried to step ${stepNum} times; the specified number of total steps is ${this.totalSteps}`);
    }
    return this.optimizer.paramGroups.map((group) => {
      const g = group as Record<string, unknown>;
      let startStep = 0;
      let lr = 0, momentum = 0;
      for (const [i, phase] of this._schedulePhases.entries()) {
        const endStep = phase.endStep;
        if (stepNum <= endStep || i === this._schedulePhases.length - 1) {
          const pct = (stepNum - startStep) / (endStep - startStep);
          lr = this._anneal(g[phase.startLr] as number, g[phase.endLr] as number, pct);
          if (this.cycleMomentum) momentum = this._anneal(g[phase.startMomentum] as number, g[phase.endMomentum] as number, pct);
          break;
        }
        startStep = phase.endStep;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [momentum, ...(g.betas as number[]).slice(1)];
        else g.momentum = momentum;
      }
      return lr;
    });
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min': reduce when the metric stops decreasing (loss); 'max': when it stops increasing (accuracy). */
  mode?: 'min' | 'max';
  /** new lr = lr * factor (default 0.1; must be < 1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** Minimum change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel': best * (1 -/+ threshold); 'abs': best -/+ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr, one for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** A reduction smaller than eps is skipped (default 1e-8). */
  eps?: number;
}

/** Reduce the lr when a metric has stopped improving; `step(metric)` once per epoch. */
export class ReduceLROnPlateau {
  readonly optimizer: OptimizerLike;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  cooldownCounter = 0;
  best: number;
  numBadEpochs = 0;
  modeWorse: number;
  lastEpoch = 0;
  protected _lastLr: number[];

  constructor(optimizer: OptimizerLike, opts: ReduceLROnPlateauOptions = {}) {
    const factor = opts.factor ?? 0.1;
    if (factor >= 1) throw new RangeError('ReduceLROnPlateau: factor should be < 1.0');
    const mode = opts.mode ?? 'min', thresholdMode = opts.thresholdMode ?? 'rel';
    if (mode !== 'min' && mode !== 'max') throw new RangeError(`ReduceLROnPlateau: mode ${String(mode)} is unknown!`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw new RangeError(`ReduceLROnPlateau: threshold mode ${String(thresholdMode)} is unknown!`);
    this.optimizer = optimizer;
    this.factor = factor;
    this.minLrs = perGroup('ReduceLROnPlateau', optimizer, opts.minLr ?? 0, 'minLr');
    this.patience = opts.patience ?? 10;
    this.cooldown = opts.cooldown ?? 0;
    this.mode = mode;
    this.threshold = opts.threshold ?? 1e-4;
    this.thresholdMode = thresholdMode;
    this.eps = opts.eps ?? 1e-8;
    this.modeWorse = mode === 'min' ? Infinity : -Infinity;
    this.best = this.modeWorse;
    this._lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Whether metric `a` improves on `best` under the mode and threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** Record this epoch's metric (a number or a one-element tensor) and reduce the lr if it has plateaued. */
  step(metrics: number | Tensor, epoch?: number): void {
    const current = metrics instanceof Tensor ? metrics.itemSync() : Number(metrics);
    this.lastEpoch = epoch ?? this.lastEpoch + 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.inCooldown) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this._reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private _reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]!);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }

  getLastLr(): number[] {
    return [...this._lastLr];
  }
  stateDict(): Record<string, unknown> {
    return schedulerState(this);
  }
  loadStateDict(sd: Record<string, unknown>): void {
    loadSchedulerState(this, sd);
  }
}

/**
 * Hugging Face's get_linear_schedule_with_warmup: the lr rises linearly from 0 to the base lr over
 * numWarmupSteps, then falls linearly to 0 at numTrainingSteps (call step() per batch).
 */
export function getLinearScheduleWithWarmup(optimizer: OptimizerLike, numWarmupSteps: number, numTrainingSteps: number, lastEpoch = -1): LambdaLR {
  const lrLambda = (step: number): number => {
    if (step < numWarmupSteps) return step / Math.max(1, numWarmupSteps);
    return Math.max(0, (numTrainingSteps - step) / Math.max(1, numTrainingSteps - numWarmupSteps));
  };
  return new LambdaLR(optimizer, lrLambda, lastEpoch);
}
