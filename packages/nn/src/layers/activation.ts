/** Activation functions as modules (torch.nn.ReLU, GELU, ...), with PyTorch's defaults. */
import { elu, gelu, hardtanh, leakyRelu, logSigmoid, logSoftmax, mish, relu, relu6, sigmoid, silu, softmax, softplus, tanh, type Tensor } from '@tensile/core';
import { celu, glu, hardsigmoid, hardswish, prelu, selu, softmin, softsign, tanhshrink, threshold } from '../functional-extra.js';
import { constant_ } from '../init.js';
import { Module, type Parameter } from '../module.js';
import { newParam, type FactoryOptions } from './_factory.js';

/** Softmax's legacy implicit dim (torch's _get_softmax_dim): 0 for 0-, 1- and 3-D input, else 1. */
function implicitDim(x: Tensor): number {
  return x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1;
}

// ---- modules ----

export interface InplaceOption {
  /** Accepted for PyTorch compatibility; the result is always a new tensor. */
  inplace?: boolean;
}

/** torch.nn.ReLU */
export class ReLU extends Module<[Tensor], Tensor> {
  constructor(readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return relu(x); }
}
/** torch.nn.ReLU6 */
export class ReLU6 extends Module<[Tensor], Tensor> {
  constructor(readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return relu6(x); }
}
/** torch.nn.GELU({ approximate: 'none' | 'tanh' }) */
export class GELU extends Module<[Tensor], Tensor> {
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = opts.approximate ?? 'none';
  }
  forward(x: Tensor): Tensor { return gelu(x, { approximate: this.approximate }); }
  override extraRepr(): string { return `approximate='${this.approximate}'`; }
}
/** torch.nn.SiLU (swish) */
export class SiLU extends Module<[Tensor], Tensor> {
  constructor(readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return silu(x); }
}
/** torch.nn.Mish */
export class Mish extends Module<[Tensor], Tensor> {
  constructor(readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return mish(x); }
}
/** torch.nn.Tanh */
export class Tanh extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor { return tanh(x); }
}
/** torch.nn.Sigmoid */
export class Sigmoid extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor { return sigmoid(x); }
}
/** torch.nn.LogSigmoid */
export class LogSigmoid extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor { return logSigmoid(x); }
}
/** torch.nn.Softmax(dim); dim null uses PyTorch's legacy implicit choice. */
export class Softmax extends Module<[Tensor], Tensor> {
  constructor(readonly dim: number | null = null) { super(); }
  forward(x: Tensor): Tensor { return softmax(x, this.dim ?? implicitDim(x)); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}
/** torch.nn.LogSoftmax(dim) */
export class LogSoftmax extends Module<[Tensor], Tensor> {
  constructor(readonly dim: number | null = null) { super(); }
  forward(x: Tensor): Tensor { return logSoftmax(x, this.dim ?? implicitDim(x)); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}
/** torch.nn.Softmin(dim) */
export class Softmin extends Module<[Tensor], Tensor> {
  constructor(readonly dim: number | null = null) { super(); }
  forward(x: Tensor): Tensor { return softmin(x, this.dim ?? implicitDim(x)); }
}
/** torch.nn.LeakyReLU(negativeSlope = 0.01) */
export class LeakyReLU extends Module<[Tensor], Tensor> {
  constructor(readonly negativeSlope = 0.01, readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negativeSlope=${this.negativeSlope}`; }
}
/** torch.nn.ELU(alpha = 1) */
export class ELU extends Module<[Tensor], Tensor> {
  constructor(readonly alpha = 1, readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return elu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${this.alpha}`; }
}
/** torch.nn.CELU(alpha = 1) */
export class CELU extends Module<[Tensor], Tensor> {
  constructor(readonly alpha = 1, readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return celu(x, this.alpha); }
}
/** torch.nn.SELU */
export class SELU extends Module<[Tensor], Tensor> {
  constructor(readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return selu(x); }
}
/** torch.nn.Softplus({ beta = 1, threshold = 20 }) */
export class Softplus extends Module<[Tensor], Tensor> {
  readonly beta: number;
  readonly threshold: number;
  constructor(opts: { beta?: number; threshold?: number } = {}) {
    super();
    this.beta = opts.beta ?? 1;
    this.threshold = opts.threshold ?? 20;
  }
  forward(x: Tensor): Tensor { return softplus(x, { beta: this.beta, threshold: this.threshold }); }
  override extraRepr(): string { return `beta=${this.beta}, threshold=${this.threshold}`; }
}
/** torch.nn.Softsign */
export class Softsign extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor { return softsign(x); }
}
/** torch.nn.Tanhshrink */
export class Tanhshrink extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor { return tanhshrink(x); }
}
/** torch.nn.Hardtanh(minVal = -1, maxVal = 1) */
export class Hardtanh extends Module<[Tensor], Tensor> {
  constructor(readonly minVal = -1, readonly maxVal = 1, readonly opts: InplaceOption = {}) {
    super();
    if (maxVal <= minVal) throw new RangeError(`Hardtanh: maxVal (${maxVal}) must be greater than minVal (${minVal})`);
  }
  forward(x: Tensor): Tensor { return hardtanh(x, this.minVal, this.maxVal); }
  override extraRepr(): string { return `minVal=${this.minVal}, maxVal=${this.maxVal}`; }
}
/** torch.nn.Hardsigmoid */
export class Hardsigmoid extends Module<[Tensor], Tensor> {
  constructor(readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return hardsigmoid(x); }
}
/** torch.nn.Hardswish */
export class Hardswish extends Module<[Tensor], Tensor> {
  constructor(readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return hardswish(x); }
}
/** torch.nn.GLU(dim = -1) */
export class GLU extends Module<[Tensor], Tensor> {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return glu(x, this.dim); }
}
/** torch.nn.Threshold(threshold, value) */
export class Threshold extends Module<[Tensor], Tensor> {
  constructor(readonly threshold: number, readonly value: number, readonly opts: InplaceOption = {}) { super(); }
  forward(x: Tensor): Tensor { return threshold(x, this.threshold, this.value); }
}
/** torch.nn.PReLU(numParameters = 1, init = 0.25): a learnable negative slope (one, or one per channel). */
export class PReLU extends Module<[Tensor], Tensor> {
  readonly numParameters: number;
  weight: Parameter;
  constructor(numParameters = 1, init = 0.25, opts: FactoryOptions = {}) {
    super();
    this.numParameters = numParameters;
    this.weight = newParam([numParameters], opts);
    constant_(this.weight, init);
  }
  forward(x: Tensor): Tensor { return prelu(x, this.weight); }
  override extraRepr(): string { return `numParameters=${this.numParameters}`; }
}
