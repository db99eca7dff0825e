/** Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d (torch.nn names and defaults). */
import { adaptiveAvgPool1d, adaptiveAvgPool2d, avgPool1d, avgPool2d, maxPool1d, maxPool2d, type Tensor } from '@tensile/core';
import { Module } from '../module.js';

export interface MaxPoolLayerOptions {
  /** Default: kernelSize. */
  stride?: number | readonly number[] | null;
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  /** Return [values, indices] (default false). */
  returnIndices?: boolean;
  ceilMode?: boolean;
}

export interface AvgPoolLayerOptions {
  /** Default: kernelSize. */
  stride?: number | readonly number[] | null;
  padding?: number | readonly number[];
  ceilMode?: boolean;
  /** Count the zero padding in the average (default true). */
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

abstract class MaxPoolBase extends Module<[Tensor], Tensor> {
  readonly kernelSize: number | readonly number[];
  readonly stride: number | readonly number[] | null;
  readonly padding: number | readonly number[];
  readonly dilation: number | readonly number[];
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;
  constructor(kernelSize: number | readonly number[], opts: MaxPoolLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? null;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.returnIndices = opts.returnIndices ?? false;
    this.ceilMode = opts.ceilMode ?? false;
  }
  protected get poolOpts() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }
  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride ?? this.kernelSize)}, padding=${JSON.stringify(this.padding)}, dilation=${JSON.stringify(this.dilation)}, ceilMode=${this.ceilMode}`;
  }
}

/** torch.nn.MaxPool2d; with returnIndices the output is [values, indices] (typed Tensor for chaining). */
export class MaxPool2d extends MaxPoolBase {
  forward(x: Tensor): Tensor {
    if (this.returnIndices) return maxPool2d(x, this.kernelSize, { ...this.poolOpts, returnIndices: true }) as unknown as Tensor;
    return maxPool2d(x, this.kernelSize, this.poolOpts);
  }
}
/** torch.nn.MaxPool1d */
export class MaxPool1d extends MaxPoolBase {
  forward(x: Tensor): Tensor {
    if (this.returnIndices) return maxPool1d(x, this.kernelSize, { ...this.poolOpts, returnIndices: true }) as unknown as Tensor;
    return maxPool1d(x, this.kernelSize, this.poolOpts);
  }
}

abstract class AvgPoolBase extends Module<[Tensor], Tensor> {
  readonly kernelSize: number | readonly number[];
  readonly stride: number | readonly number[] | null;
  readonly padding: number | readonly number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(kernelSize: number | readonly number[], opts: AvgPoolLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? null;
    this.padding = opts.padding ?? 0;
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
  }
  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride ?? this.kernelSize)}, padding=${JSON.stringify(this.padding)}`;
  }
}

/** torch.nn.AvgPool2d */
export class AvgPool2d extends AvgPoolBase {
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride });
  }
}
/** torch.nn.AvgPool1d (no divisorOverride, as PyTorch). */
export class AvgPool1d extends AvgPoolBase {
  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
}

/** torch.nn.AdaptiveAvgPool2d: output [.., outH, outW] whatever the input size; null keeps a size. */
export class AdaptiveAvgPool2d extends Module<[Tensor], Tensor> {
  constructor(readonly outputSize: number | readonly (number | null)[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}
/** torch.nn.AdaptiveAvgPool1d */
export class AdaptiveAvgPool1d extends Module<[Tensor], Tensor> {
  constructor(readonly outputSize: number | readonly number[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}
