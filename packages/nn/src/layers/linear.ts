/** Linear, Bilinear and Identity layers (torch.nn.Linear, torch.nn.Bilinear, torch.nn.Identity). */
import { linear, type Tensor } from '@tensile/core';
import { bilinear } from '../functional-extra.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkSize, newParam, type FactoryOptions } from './_factory.js';

/** A placeholder that returns its input (torch.nn.Identity); constructor arguments are ignored. */
export class Identity extends Module<[Tensor], Tensor> {
  constructor(..._args: unknown[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

export interface LinearOptions extends FactoryOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/** y = x W^T + b (torch.nn.Linear); weight [outFeatures, inFeatures], bias [outFeatures]. */
export class Linear extends Module<[Tensor], Tensor> {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkSize('Linear', 'inFeatures', inFeatures, true);
    checkSize('Linear', 'outFeatures', outFeatures, true);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = newParam([outFeatures, inFeatures], opts);
    this.bias = opts.bias === false ? null : newParam([outFeatures], opts);
    this.resetParameters();
  }
  /** PyTorch's default: kaiming_uniform_(a=sqrt(5)) on weight, U(-1/sqrt(fanIn), 1/sqrt(fanIn)) on bias. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** y = x1^T A x2 + b (torch.nn.Bilinear); weight [outFeatures, in1Features, in2Features]. */
export class Bilinear extends Module<[Tensor, Tensor], Tensor> {
  readonly in1Features: number;
  readonly in2Features: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;
  constructor(in1Features: number, in2Features: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkSize('Bilinear', 'in1Features', in1Features);
    checkSize('Bilinear', 'in2Features', in2Features);
    checkSize('Bilinear', 'outFeatures', outFeatures, true);
    this.in1Features = in1Features;
    this.in2Features = in2Features;
    this.outFeatures = outFeatures;
    this.weight = newParam([outFeatures, in1Features, in2Features], opts);
    this.bias = opts.bias === false ? null : newParam([outFeatures], opts);
    this.resetParameters();
  }
  /** PyTorch's default: U(-1/sqrt(in1Features), 1/sqrt(in1Features)) on weight and bias. */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.shape[1]!);
    uniform_(this.weight, -bound, bound);
    if (this.bias) uniform_(this.bias, -bound, bound);
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return bilinear(x1, x2, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in1Features=${this.in1Features}, in2Features=${this.in2Features}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
