/** Normalisation layers: LayerNorm, BatchNorm1d/2d, GroupNorm, InstanceNorm1d/2d (torch.nn names and defaults). */
import { batchNorm, groupNorm, instanceNorm, layerNorm, noGrad, zeros, type Tensor } from '@tensile/core';
import { ones_, zeros_ } from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkSize, newBuffer, newParam, type FactoryOptions } from './_factory.js';

export interface LayerNormOptions extends FactoryOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learn a per-element weight (and bias); default true. */
  elementwiseAffine?: boolean;
  /** Learn the bias when elementwiseAffine (default true). */
  bias?: boolean;
}

/** torch.nn.LayerNorm: normalise over the trailing `normalizedShape` dims; weight ones, bias zeros. */
export class LayerNorm extends Module<[Tensor], Tensor> {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    for (const d of this.normalizedShape) checkSize('LayerNorm', 'normalizedShape', d, true);
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? newParam(this.normalizedShape, opts) : null;
    this.bias = this.elementwiseAffine && opts.bias !== false ? newParam(this.normalizedShape, opts) : null;
    this.resetParameters();
  }
  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}

export interface BatchNormOptions extends FactoryOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Running-statistics momentum (default 0.1); null = cumulative moving average. */
  momentum?: number | null;
  /** Learn per-channel weight and bias (default true). */
  affine?: boolean;
  /** Keep running_mean/running_var/num_batches_tracked buffers (default true). */
  trackRunningStats?: boolean;
}

/** Shared implementation of torch.nn.BatchNorm1d/2d (torch's _BatchNorm). */
export abstract class BatchNormBase extends Module<[Tensor], Tensor> {
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  declare numBatchesTracked: Tensor | null;
  /** Host mirror of num_batches_tracked, used by momentum=null on devices without sync reads. */
  private _batches = 0;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    const name = this.constructor.name;
    checkSize(name, 'numFeatures', numFeatures);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.affine ? newParam([numFeatures], opts) : null;
    this.bias = this.affine ? newParam([numFeatures], opts) : null;
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', newBuffer([numFeatures], opts), { property: 'runningMean' });
      this.registerBuffer('running_var', newBuffer([numFeatures], opts, 1), { property: 'runningVar' });
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int64', device: opts.device }), { property: 'numBatchesTracked' });
    } else {
      this.registerBuffer('running_mean', null, { property: 'runningMean' });
      this.registerBuffer('running_var', null, { property: 'runningVar' });
      this.registerBuffer('num_batches_tracked', null, { property: 'numBatchesTracked' });
    }
    this.resetParameters();
  }

  /** Zero the running statistics (running_var to ones) and the batch counter. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
    this._batches = 0;
  }
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  /** Throw unless x has a rank this layer accepts. */
  protected abstract checkInputDim(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.numBatchesTracked) {
      const nbt = this.numBatchesTracked;
      noGrad(() => nbt.add_(1));
      this._batches++;
      if (this.momentum === null) {
        const n = nbt.storage.backend.capabilities.syncRead ? Number(nbt.itemSync()) : this._batches;
        factor = 1 / n;
      }
    }
    const bnTraining = this.training || (this.runningMean === null && this.runningVar === null);
    const useStats = !this.training || this.trackRunningStats;
    return batchNorm(x, useStats ? this.runningMean : null, useStats ? this.runningVar : null, this.weight, this.bias, bnTraining, factor, this.eps);
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** torch.nn.BatchNorm1d over [N, C] or [N, C, L] inputs. */
export class BatchNorm1d extends BatchNormBase {
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`BatchNorm1d: expected 2D or 3D input (got ${x.ndim}D input of shape [${x.shape.join(', ')}])`);
  }
}

/** torch.nn.BatchNorm2d over [N, C, H, W] inputs. */
export class BatchNorm2d extends BatchNormBase {
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 4) throw new RangeError(`BatchNorm2d: expected 4D input (got ${x.ndim}D input of shape [${x.shape.join(', ')}])`);
  }
}

export interface GroupNormOptions extends FactoryOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learn per-channel weight and bias (default true). */
  affine?: boolean;
}

/** torch.nn.GroupNorm: numChannels split into numGroups groups, each normalised per sample. */
export class GroupNorm extends Module<[Tensor], Tensor> {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    checkSize('GroupNorm', 'numGroups', numGroups);
    checkSize('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) throw new RangeError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    this.weight = this.affine ? newParam([numChannels], opts) : null;
    this.bias = this.affine ? newParam([numChannels], opts) : null;
    this.resetParameters();
  }
  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }
  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}

export interface InstanceNormOptions extends FactoryOptions {
  eps?: number;
  momentum?: number;
  /** Learn per-channel weight and bias (default false, as PyTorch). */
  affine?: boolean;
  /** Keep running statistics (default false, as PyTorch). */
  trackRunningStats?: boolean;
}

/** Shared implementation of torch.nn.InstanceNorm1d/2d. */
export abstract class InstanceNormBase extends Module<[Tensor], Tensor> {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  declare numBatchesTracked: Tensor | null;
  /** Rank of an unbatched input ([C, L] for 1d, [C, H, W] for 2d). */
  protected abstract readonly unbatchedRank: number;
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super();
    checkSize(this.constructor.name, 'numFeatures', numFeatures);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.affine = opts.affine ?? false;
    this.trackRunningStats = opts.trackRunningStats ?? false;
    this.weight = this.affine ? newParam([numFeatures], opts) : null;
    this.bias = this.affine ? newParam([numFeatures], opts) : null;
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', newBuffer([numFeatures], opts), { property: 'runningMean' });
      this.registerBuffer('running_var', newBuffer([numFeatures], opts, 1), { property: 'runningVar' });
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int64', device: opts.device }), { property: 'numBatchesTracked' });
    } else {
      this.registerBuffer('running_mean', null, { property: 'runningMean' });
      this.registerBuffer('running_var', null, { property: 'runningVar' });
      this.registerBuffer('num_batches_tracked', null, { property: 'numBatchesTracked' });
    }
  }
  forward(x: Tensor): Tensor {
    const r = this.unbatchedRank;
    if (x.ndim !== r && x.ndim !== r + 1) {
      throw new RangeError(`${this.constructor.name}: expected ${r}D (unbatched) or ${r + 1}D (batched) input, got input of shape [${x.shape.join(', ')}]`);
    }
    const unbatched = x.ndim === r;
    const xb = unbatched ? x.unsqueeze(0) : x;
    const useInput = this.training || !this.trackRunningStats;
    const y = instanceNorm(xb, this.runningMean, this.runningVar, this.weight, this.bias, useInput, this.momentum, this.eps);
    if (!unbatched) return y;
    const out = y.squeeze(0);
    y.dispose();
    xb.dispose();
    return out;
  }
}

/** torch.nn.InstanceNorm1d over [N, C, L] (or unbatched [C, L]). */
export class InstanceNorm1d extends InstanceNormBase {
  protected readonly unbatchedRank = 2;
}
/** torch.nn.InstanceNorm2d over [N, C, H, W] (or unbatched [C, H, W]). */
export class InstanceNorm2d extends InstanceNormBase {
  protected readonly unbatchedRank = 3;
}
