/**
 * EarlyStopping: stop training when a validation metric has stopped improving (the usual remedy
 * for overfitting), optionally restoring the weights of the best epoch (Keras's
 * restore_best_weights).
 */
import { clone, keep, noGrad, Tensor } from '@tensile/core';

/** What EarlyStopping needs from a model to snapshot and restore its weights (an nn.Module fits). */
export interface StatefulModel {
  /** With keepVars, the live tensors (no aliases are made; EarlyStopping only clones them). */
  stateDict(opts?: { keepVars?: boolean }): Record<string, Tensor>;
  loadStateDict(sd: Record<string, Tensor>, opts?: { strict?: boolean }): unknown;
}

export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping (default 10). */
  patience?: number;
  /** Minimum change of the metric that counts as an improvement (default 0). */
  minDelta?: number;
  /** 'min' for a loss, 'max' for an accuracy (default 'min'). */
  mode?: 'min' | 'max';
  /**
   * Keep a copy of the model's state dict at the best epoch (step() needs the model) and load it
   * back into the model when stopping (default false).
   */
  restoreBest?: boolean;
}

/**
 * Early stopping: call `step(metric, model?)` once per epoch with the validation metric; it returns
 * true once the metric has not improved by more than minDelta for `patience` epochs in a row.
 */
export class EarlyStopping {
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: 'min' | 'max';
  readonly restoreBest: boolean;
  /** The best metric seen so far (null before the first step). */
  bestScore: number | null = null;
  /** Epoch index (0-based count of step() calls) of the best metric. */
  bestEpoch = -1;
  /** Consecutive epochs without improvement. */
  counter = 0;
  /** True once step() has returned true. */
  shouldStop = false;
  /** Copy of the model's state dict at the best epoch (with restoreBest). */
  bestState: Record<string, Tensor> | null = null;
  private _epoch = -1;

  constructor(opts: EarlyStoppingOptions = {}) {
    this.patience = opts.patience ?? 10;
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.mode = opts.mode ?? 'min';
    this.restoreBest = opts.restoreBest ?? false;
    if (!(Number.isInteger(this.patience) && this.patience >= 0)) throw new RangeError(`EarlyStopping: patience must be a non-negative integer, got ${opts.patience}`);
    if (this.mode !== 'min' && this.mode !== 'max') throw new RangeError(`EarlyStopping: mode must be 'min' or 'max', got ${String(opts.mode)}`);
  }

  /** Whether `metric` improves on the best score by more than minDelta. */
  isImprovement(metric: number): boolean {
    if (this.bestScore === null) return !Number.isNaN(metric);
    return this.mode === 'min' ? metric < this.bestScore - this.minDelta : metric > this.bestScore + this.minDelta;
  }

  /**
   * Record an epoch's metric (a number or a one-element tensor); returns true when training should
   * stop. With restoreBest, pass the model: its weights are copied at each new best and loaded
   * back when stopping.
   */
  step(metric: number | Tensor, model?: StatefulModel): boolean {
    const value = metric instanceof Tensor ? metric.itemSync() : Number(metric);
    this._epoch++;
    if (this.restoreBest && !model) throw new Error('EarlyStopping.step: restoreBest needs the model: step(metric, model)');
    if (this.isImprovement(value)) {
      this.bestScore = value;
      this.bestEpoch = this._epoch;
      this.counter = 0;
      if (this.restoreBest && model) this._snapshot(model);
    } else {
      this.counter++;
      if (this.counter >= this.patience) {
        if (!this.shouldStop && this.restoreBest && model) this.restore(model);
        this.shouldStop = true;
      }
    }
    return this.shouldStop;
  }

  /** Load the best epoch's weights into the model (restoreBest only; no-op before any snapshot). */
  restore(model: StatefulModel): void {
    if (this.bestState) model.loadStateDict(this.bestState);
  }

  /** Forget the history (and free the snapshot) to reuse the object for another run. */
  reset(): void {
    this._freeSnapshot();
    this.bestScore = null;
    this.bestEpoch = -1;
    this.counter = 0;
    this.shouldStop = false;
    this._epoch = -1;
  }

  /** Free the snapshot's tensors. */
  dispose(): void {
    this._freeSnapshot();
  }

  private _snapshot(model: StatefulModel): void {
    const next: Record<string, Tensor> = {};
    noGrad(() => {
      for (const [k, t] of Object.entries(model.stateDict({ keepVars: true }))) next[k] = keep(clone(t));
    });
    this._freeSnapshot();
    this.bestState = next;
  }

  private _freeSnapshot(): void {
    if (this.bestState) for (const t of Object.values(this.bestState)) t.dispose();
    this.bestState = null;
  }
}
