/** Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d (torch.nn names and defaults). */
import { conv1d, conv2d, convTranspose1d, convTranspose2d, pad, type PadMode, type Tensor } from '@tensile/core';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkSize, newParam, ntuple, type FactoryOptions } from './_factory.js';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface ConvLayerOptions extends FactoryOptions {
  stride?: number | readonly number[];
  /** An int, one per spatial dim, 'valid' or 'same'. Default 0. */
  padding?: number | readonly number[] | 'same' | 'valid';
  dilation?: number | readonly number[];
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** How the border is padded (default 'zeros'). */
  paddingMode?: PaddingMode;
}

export interface ConvTransposeLayerOptions extends FactoryOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  outputPadding?: number | readonly number[];
  groups?: number;
  bias?: boolean;
  dilation?: number | readonly number[];
}

/** Shared implementation of the convolution layers (torch's _ConvNd). */
export abstract class ConvBase extends Module<[Tensor], Tensor> {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  weight: Parameter;
  bias: Parameter | null;

  protected constructor(rank: number, transposed: boolean, inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvLayerOptions & { outputPadding?: number | readonly number[] }) {
    super();
    const name = this.constructor.name;
    checkSize(name, 'inChannels', inChannels);
    checkSize(name, 'outChannels', outChannels);
    const groups = opts.groups ?? 1;
    checkSize(name, 'groups', groups);
    if (inChannels % groups !== 0) throw new RangeError(`${name}: inChannels (${inChannels}) must be divisible by groups (${groups})`);
    if (outChannels % groups !== 0) throw new RangeError(`${name}: outChannels (${outChannels}) must be divisible by groups (${groups})`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = ntuple(name, 'kernelSize', kernelSize, rank);
    this.stride = ntuple(name, 'stride', opts.stride ?? 1, rank);
    const p = opts.padding ?? 0;
    if (p === 'same' || p === 'valid') {
      if (p === 'same' && this.stride.some((s) => s !== 1)) throw new RangeError(`${name}: padding='same' is not supported for strided convolutions`);
      this.padding = p;
    } else this.padding = ntuple(name, 'padding', p, rank);
    this.dilation = ntuple(name, 'dilation', opts.dilation ?? 1, rank);
    this.groups = groups;
    this.paddingMode = opts.paddingMode ?? 'zeros';
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(this.paddingMode)) {
      throw new RangeError(`${name}: paddingMode must be one of zeros, reflect, replicate, circular, got ${JSON.stringify(this.paddingMode)}`);
    }
    const wshape = transposed ? [inChannels, outChannels / groups, ...this.kernelSize] : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = newParam(wshape, opts);
    this.bias = opts.bias === false ? null : newParam([outChannels], opts);
    this.resetParameters();
  }

  /** PyTorch's default: kaiming_uniform_(a=sqrt(5)) on weight, U(-1/sqrt(fanIn), 1/sqrt(fanIn)) on bias. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
    }
  }

  /** Explicit border padding for paddingMode != 'zeros' (torch's _reversed_padding_repeated_twice). */
  protected padInput(x: Tensor): Tensor {
    const p = this.padding;
    let perDim: [number, number][];
    if (p === 'valid') return x;
    if (p === 'same') {
      perDim = this.kernelSize.map((k, i) => {
        const total = this.dilation[i]! * (k - 1);
        const left = Math.floor(total / 2);
        return [left, total - left];
      });
    } else perDim = p.map((v) => [v, v]);
    const flat = [...perDim].reverse().flat();
    return pad(x, flat, this.paddingMode === 'zeros' ? 'constant' : (this.paddingMode as PadMode));
  }

  override extraRepr(): string {
    const p = typeof this.padding === 'string' ? `'${this.padding}'` : `[${this.padding.join(', ')}]`;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=${p}` +
      (this.dilation.some((d) => d !== 1) ? `, dilation=[${this.dilation.join(', ')}]` : '') +
      (this.groups !== 1 ? `, groups=${this.groups}` : '') +
      (this.bias ? '' : ', bias=false') +
      (this.paddingMode !== 'zeros' ? `, paddingMode='${this.paddingMode}'` : '');
  }
}

type ConvFn = typeof conv2d;

function convForward(m: ConvBase, x: Tensor, fn: ConvFn, padInput: (x: Tensor) => Tensor): Tensor {
  if (m.paddingMode === 'zeros') return fn(x, m.weight, m.bias, { stride: m.stride, padding: m.padding, dilation: m.dilation, groups: m.groups });
  const xp = padInput(x);
  const y = fn(xp, m.weight, m.bias, { stride: m.stride, padding: 0, dilation: m.dilation, groups: m.groups });
  if (xp !== x) xp.dispose();
  return y;
}

/** torch.nn.Conv1d over [N, C, L] (or [C, L]); weight [out, in/groups, k]. */
export class Conv1d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvLayerOptions = {}) {
    super(1, false, inChannels, outChannels, kernelSize, opts);
  }
  forward(x: Tensor): Tensor {
    return convForward(this, x, conv1d, (t) => this.padInput(t));
  }
}

/** torch.nn.Conv2d over [N, C, H, W] (or [C, H, W]); weight [out, in/groups, kH, kW]. */
export class Conv2d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvLayerOptions = {}) {
    super(2, false, inChannels, outChannels, kernelSize, opts);
  }
  forward(x: Tensor): Tensor {
    return convForward(this, x, conv2d, (t) => this.padInput(t));
  }
}

/** Shared implementation of ConvTranspose1d/2d. */
abstract class ConvTransposeBase extends ConvBase {
  readonly outputPadding: number[];
  protected constructor(rank: number, inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvTransposeLayerOptions) {
    super(rank, true, inChannels, outChannels, kernelSize, opts);
    this.outputPadding = ntuple(this.constructor.name, 'outputPadding', opts.outputPadding ?? 0, rank);
  }
  /** outputPadding giving `outputSize` (the trailing spatial dims), as torch's _output_padding. */
  protected outputPaddingFor(x: Tensor, outputSize: readonly number[] | undefined): number[] {
    if (!outputSize) return this.outputPadding;
    const k = this.kernelSize.length;
    const want = outputSize.slice(-k);
    if (want.length !== k) throw new RangeError(`${this.constructor.name}: outputSize must have ${k} or more elements, got [${outputSize.join(', ')}]`);
    const pads = this.padding as number[];
    return want.map((w, d) => {
      const inSize = x.shape[x.ndim - k + d]!;
      const min = (inSize - 1) * this.stride[d]! - 2 * pads[d]! + this.dilation[d]! * (this.kernelSize[d]! - 1) + 1;
      const extra = w - min;
      if (extra < 0 || extra >= Math.max(this.stride[d]!, this.dilation[d]!)) {
        throw new RangeError(`${this.constructor.name}: requested an output size of [${want.join(', ')}], but valid sizes along dim ${d} range from ${min} to ${min + Math.max(this.stride[d]!, this.dilation[d]!) - 1}`);
      }
      return extra;
    });
  }
}

/** torch.nn.ConvTranspose1d over [N, C, L]; weight [in, out/groups, k]. */
export class ConvTranspose1d extends ConvTransposeBase {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvTransposeLayerOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, opts);
  }
  forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    const op = this.outputPaddingFor(x, outputSize);
    return convTranspose1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding as number[], outputPadding: op, groups: this.groups, dilation: this.dilation });
  }
}

/** torch.nn.ConvTranspose2d over [N, C, H, W]; weight [in, out/groups, kH, kW]; forward(x, outputSize?). */
export class ConvTranspose2d extends ConvTransposeBase {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvTransposeLayerOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, opts);
  }
  forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    const op = this.outputPaddingFor(x, outputSize);
    return convTranspose2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding as number[], outputPadding: op, groups: this.groups, dilation: this.dilation });
  }
}
