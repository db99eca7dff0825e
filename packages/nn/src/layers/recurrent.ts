/**
 * Recurrent layers: RNN (tanh/relu), LSTM, GRU and their single-step cells, with PyTorch's
 * parameter names (weight_ih_l{k}{_reverse}, ...), shapes, gate order (LSTM: i, f, g, o; GRU: r, z,
 * n), initialisation (uniform(-1/sqrt(hidden), 1/sqrt(hidden))) and semantics. The input-to-hidden
 * product is computed for the whole sequence up front; the recurrence runs one time step at a time
 * with core ops, so gradients come from core autograd.
 */
import {
  add,
  cat,
  chunk,
  unbind,
  dropout,
  fmtShape,
  linear,
  mul,
  relu,
  sigmoid,
  stack,
  sub,
  tanh,
  tidy,
  zeros,
  type Tensor,
} from '@tensile/core';
import { uniform_ } from '../init.js';
import { Module, type Parameter } from '../module.js';
import { newParam, type FactoryOptions } from './_factory.js';

/** A parameter drawn from uniform(-bound, bound) (PyTorch's RNN reset_parameters). */
function uniformParameter(shape: number[], bound: number, f: FactoryOptions): Parameter {
  const p = newParam(shape, f);
  uniform_(p, -bound, bound);
  return p;
}

export type RNNMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

const gateCount: Record<RNNMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

// ---- one time step; xg = x W_ih^T + b_ih already computed, h (and c) the state ----

function rnnStep(mode: 'RNN_TANH' | 'RNN_RELU', xg: Tensor, h: Tensor, whh: Tensor, bhh: Tensor | null): Tensor {
  const pre = add(xg, linear(h, whh, bhh));
  return mode === 'RNN_TANH' ? tanh(pre) : relu(pre);
}

function lstmStep(xg: Tensor, h: Tensor, c: Tensor, whh: Tensor, bhh: Tensor | null, whr: Tensor | null): [Tensor, Tensor] {
  const gates = add(xg, linear(h, whh, bhh));
  const [i, f, g, o] = chunk(gates, 4, -1) as [Tensor, Tensor, Tensor, Tensor];
  const c1 = add(mul(sigmoid(f), c), mul(sigmoid(i), tanh(g)));
  let h1 = mul(sigmoid(o), tanh(c1));
  if (whr) h1 = linear(h1, whr);
  return [h1, c1];
}

function gruStep(xg: Tensor, h: Tensor, whh: Tensor, bhh: Tensor | null): Tensor {
  const hg = linear(h, whh, bhh);
  const [xr, xz, xn] = chunk(xg, 3, -1) as [Tensor, Tensor, Tensor];
  const [hr, hz, hn] = chunk(hg, 3, -1) as [Tensor, Tensor, Tensor];
  const r = sigmoid(add(xr, hr));
  const z = sigmoid(add(xz, hz));
  const n = tanh(add(xn, mul(r, hn)));
  // h' = (1 - z) * n + z * h = n + z * (h - n)
  return add(n, mul(z, sub(h, n)));
}

// ---- multi-layer recurrent layers ----

/** Options of RNN, LSTM and GRU (PyTorch's keyword arguments, camelCase). */
export interface RNNBaseOptions extends FactoryOptions {
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Add bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** Input and output as [batch, seq, feature] instead of [seq, batch, feature] (default false). */
  batchFirst?: boolean;
  /** Dropout on the outputs of each layer except the last, in training mode (default 0). */
  dropout?: number;
  /** Run a reverse direction too; outputs are concatenated on the feature dim (default false). */
  bidirectional?: boolean;
}

/** The state a layer's forward takes and returns: h for RNN/GRU, [h, c] for LSTM. */
type State<M extends RNNMode> = M extends 'LSTM' ? [Tensor, Tensor] : Tensor;

/** Shared implementation of RNN, LSTM and GRU (torch.nn.RNNBase). */
export abstract class RNNBase<M extends RNNMode> extends Module<[Tensor, (State<M> | null)?], [Tensor, State<M>]> {
  readonly mode: M;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;

  constructor(mode: M, inputSize: number, hiddenSize: number, opts: RNNBaseOptions & { projSize?: number } = {}) {
    super();
    const name = this.constructor.name;
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.bidirectional = opts.bidirectional ?? false;
    this.projSize = opts.projSize ?? 0;
    for (const [k, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize], ['numLayers', this.numLayers]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name}: ${k} must be a positive integer, but got ${v}`);
    }
    if (!(this.dropout >= 0 && this.dropout <= 1)) {
      throw new RangeError(`${name}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, but got ${this.dropout}`);
    }
    if (this.dropout > 0 && this.numLayers === 1) {
      console.warn(`${name}: dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects numLayers greater than 1, but got dropout=${this.dropout} and numLayers=1`);
    }
    if (!Number.isInteger(this.projSize) || this.projSize < 0) throw new RangeError(`${name}: projSize should be a non-negative integer, but got ${this.projSize}`);
    if (this.projSize > 0 && mode !== 'LSTM') throw new Error(`${name}: projSize argument is only supported for LSTM, not RNN or GRU`);
    if (this.projSize >= hiddenSize) throw new RangeError(`${name}: projSize has to be smaller than hiddenSize, but got projSize=${this.projSize} and hiddenSize=${hiddenSize}`);

    const gateSize = gateCount[mode] * hiddenSize;
    const realHidden = this.projSize > 0 ? this.projSize : hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const k = 1 / Math.sqrt(hiddenSize);
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const layerIn = layer === 0 ? inputSize : realHidden * dirs;
        this.registerParameter(`weight_ih${sfx}`, uniformParameter([gateSize, layerIn], k, opts));
        this.registerParameter(`weight_hh${sfx}`, uniformParameter([gateSize, realHidden], k, opts));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, uniformParameter([gateSize], k, opts));
          this.registerParameter(`bias_hh${sfx}`, uniformParameter([gateSize], k, opts));
        }
        if (this.projSize > 0) this.registerParameter(`weight_hr${sfx}`, uniformParameter([this.projSize, hiddenSize], k, opts));
      }
    }
  }

  private _param(name: string): Tensor | null {
    return ((this as unknown as Record<string, Tensor | null | undefined>)[name]) ?? null;
  }

  /** Parameters in PyTorch's _flat_weights order, by name. */
  get flatWeightsNames(): string[] {
    const out: string[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < (this.bidirectional ? 2 : 1); d++) {
        const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        out.push(`weight_ih${sfx}`, `weight_hh${sfx}`);
        if (this.bias) out.push(`bias_ih${sfx}`, `bias_hh${sfx}`);
        if (this.projSize > 0) out.push(`weight_hr${sfx}`);
      }
    }
    return out;
  }

  /**
   * input: [seq, batch, inputSize] ([batch, seq, inputSize] with batchFirst) or unbatched [seq,
   * inputSize]; hx: the initial state (zeros when omitted), [numLayers * dirs, batch, hidden] (or
   * unbatched [numLayers * dirs, hidden]); for LSTM a pair [h0, c0]. Returns [output, hN] (LSTM:
   * [output, [hN, cN]]), hN ordered layer 0 forward, layer 0 reverse, layer 1 forward, ...
   */
  forward(input: Tensor, hx?: State<M> | null): [Tensor, State<M>] {
    const name = this.constructor.name;
    const isLstm = this.mode === 'LSTM';
    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new RangeError(`${name}: expected input to be 2-D (unbatched) or 3-D, but got ${input.ndim}-D input of shape ${fmtShape(input.shape)}`);
    }
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${name}: input.size(-1) must be equal to inputSize. Expected ${this.inputSize}, got ${input.shape[input.ndim - 1]} (input of shape ${fmtShape(input.shape)})`);
    }
    const batched = input.ndim === 3;
    const dirs = this.bidirectional ? 2 : 1;
    const realHidden = this.projSize > 0 ? this.projSize : this.hiddenSize;
    let h0: Tensor | null = null, c0: Tensor | null = null;
    if (hx) {
      if (isLstm) {
        if (!Array.isArray(hx) || hx.length !== 2) throw new TypeError(`${name}: expected hx to be a pair [h0, c0]`);
        [h0, c0] = hx as [Tensor, Tensor];
      } else {
        if (Array.isArray(hx)) throw new TypeError(`${name}: expected hx to be a Tensor, got a pair (only LSTM takes [h0, c0])`);
        h0 = hx as Tensor;
      }
    }
    return tidy(() => {
      // to [seq, batch, feature]
      let x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
      const seqLen = x.shape[0]!, batch = x.shape[1]!;
      const stateShape = (size: number) => (batched ? [this.numLayers * dirs, batch, size] : [this.numLayers * dirs, size]);
      const prepState = (s: Tensor | null, size: number, what: string): Tensor => {
        if (!s) return zeros([this.numLayers * dirs, batch, size], { dtype: input.dtype, device: input.device });
        const want = stateShape(size);
        if (s.ndim !== want.length || s.shape.some((v, i) => v !== want[i])) {
          throw new RangeError(
            batched
              ? `${name}: expected ${what} size ${fmtShape(want)}, got ${fmtShape(s.shape)}`
              : `${name}: for unbatched 2-D input, ${what} should also be 2-D of size ${fmtShape(want)}, but got ${fmtShape(s.shape)}`,
          );
        }
        return batched ? s : s.unsqueeze(1);
      };
      const hInit = prepState(h0, realHidden, 'hidden');
      const cInit = isLstm ? prepState(c0, this.hiddenSize, 'cell state') : null;

      const hN: Tensor[] = [], cN: Tensor[] = [];
      for (let layer = 0; layer < this.numLayers; layer++) {
        const outs: Tensor[] = [];
        for (let d = 0; d < dirs; d++) {
          const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
          const wih = this._param(`weight_ih${sfx}`)!, whh = this._param(`weight_hh${sfx}`)!;
          const bih = this._param(`bias_ih${sfx}`), bhh = this._param(`bias_hh${sfx}`);
          const whr = this._param(`weight_hr${sfx}`);
          const xg = linear(x, wih, bih); // [seq, batch, gates]
          const idx = layer * dirs + d;
          let h = hInit.select(0, idx);
          let c = cInit ? cInit.select(0, idx) : null;
          const steps: Tensor[] = new Array<Tensor>(seqLen);
          const xs = unbind(xg, 0); // one autograd node for all time steps
          for (let s = 0; s < seqLen; s++) {
            const t = d === 0 ? s : seqLen - 1 - s;
            const xt = xs[t]!;
            if (this.mode === 'LSTM') [h, c] = lstmStep(xt, h, c!, whh, bhh, whr);
            else if (this.mode === 'GRU') h = gruStep(xt, h, whh, bhh);
            else h = rnnStep(this.mode as 'RNN_TANH' | 'RNN_RELU', xt, h, whh, bhh);
            steps[t] = h;
          }
          outs.push(seqLen > 0 ? stack(steps, 0) : zeros([0, batch, realHidden], { dtype: input.dtype, device: input.device }));
          hN.push(h);
          if (c) cN.push(c);
        }
        x = dirs === 1 ? outs[0]! : cat(outs, 2);
        if (this.dropout > 0 && this.training && layer < this.numLayers - 1) x = dropout(x, this.dropout, true);
      }
      let output = x;
      let hOut = stack(hN, 0);
      let cOut = isLstm ? stack(cN, 0) : null;
      if (!batched) {
        output = output.squeeze(1);
        hOut = hOut.squeeze(1);
        cOut = cOut ? cOut.squeeze(1) : null;
      } else if (this.batchFirst) {
        output = output.transpose(0, 1);
      }
      return [output, (isLstm ? [hOut, cOut!] : hOut) as State<M>];
    });
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize) s += `, projSize=${this.projSize}`;
    if (this.numLayers !== 1) s += `, numLayers=${this.numLayers}`;
    if (!this.bias) s += ', bias=false';
    if (this.batchFirst) s += ', batchFirst=true';
    if (this.dropout) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ', bidirectional=true';
    return s;
  }
}

/** Options of RNN: RNNBaseOptions plus the nonlinearity. */
export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/** torch.nn.RNN: Elman RNN, h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh). forward(input, h0?) -> [output, hN]. */
export class RNN extends RNNBase<'RNN_TANH' | 'RNN_RELU'> {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`RNN: unknown nonlinearity '${String(nl)}'. Select from 'tanh' or 'relu'.`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }
  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === 'relu' ? ", nonlinearity='relu'" : '');
  }
}

/** Options of LSTM: RNNBaseOptions plus projSize (LSTM with projections, weight_hr_l{k}). */
export interface LSTMOptions extends RNNBaseOptions {
  projSize?: number;
}

/** torch.nn.LSTM (gates i, f, g, o). forward(input, [h0, c0]?) -> [output, [hN, cN]]. */
export class LSTM extends RNNBase<'LSTM'> {
  constructor(inputSize: number, hiddenSize: number, opts: LSTMOptions = {}) {
    super('LSTM', inputSize, hiddenSize, opts);
  }
}

/** torch.nn.GRU (gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))). forward(input, h0?) -> [output, hN]. */
export class GRU extends RNNBase<'GRU'> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('GRU', inputSize, hiddenSize, opts);
  }
}

// ---- cells ----

/** Shared implementation of RNNCell, LSTMCell and GRUCell (torch.nn.RNNCellBase). */
abstract class RNNCellBase<S extends Tensor | [Tensor, Tensor]> extends Module<[Tensor, (S | null)?], S> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  declare weightIh: Parameter;
  declare weightHh: Parameter;
  declare biasIh: Parameter | null;
  declare biasHh: Parameter | null;

  constructor(inputSize: number, hiddenSize: number, bias: boolean, gates: number, f: FactoryOptions) {
    super();
    const name = this.constructor.name;
    for (const [k, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name}: ${k} must be a positive integer, but got ${v}`);
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = bias;
    const k = 1 / Math.sqrt(hiddenSize);
    this.registerParameter('weight_ih', uniformParameter([gates * hiddenSize, inputSize], k, f), { property: 'weightIh' });
    this.registerParameter('weight_hh', uniformParameter([gates * hiddenSize, hiddenSize], k, f), { property: 'weightHh' });
    this.registerParameter('bias_ih', bias ? uniformParameter([gates * hiddenSize], k, f) : null, { property: 'biasIh' });
    this.registerParameter('bias_hh', bias ? uniformParameter([gates * hiddenSize], k, f) : null, { property: 'biasHh' });
  }

  /** Validate input ([batch, in] or unbatched [in]) and a state; returns batched views and whether input was batched. */
  protected _check(input: Tensor, states: (Tensor | null)[]): { x: Tensor; hs: Tensor[]; batched: boolean } {
    const name = this.constructor.name;
    if (input.ndim !== 1 && input.ndim !== 2) {
      throw new RangeError(`${name}: expected input to be 1-D or 2-D but received ${input.ndim}-D tensor of shape ${fmtShape(input.shape)}`);
    }
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${name}: input has inconsistent input size: got ${input.shape[input.ndim - 1]}, expected ${this.inputSize}`);
    }
    const batched = input.ndim === 2;
    const x = batched ? input : input.unsqueeze(0);
    const batch = x.shape[0]!;
    const hs = states.map((s) => {
      if (!s) return zeros([batch, this.hiddenSize], { dtype: input.dtype, device: input.device });
      const want = [batch, this.hiddenSize];
      const got = batched ? s.shape : [1, ...s.shape];
      if (s.ndim !== input.ndim || got.some((v, i) => v !== want[i])) {
        throw new RangeError(`${name}: expected hidden state of shape ${fmtShape(batched ? want : [this.hiddenSize])}, but got ${fmtShape(s.shape)}`);
      }
      return batched ? s : s.unsqueeze(0);
    });
    return { x, hs, batched };
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=false'}`;
  }
}

/** torch.nn.RNNCell: one Elman step. forward(input, hx?) -> h'. */
export class RNNCell extends RNNCellBase<Tensor> {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, opts: FactoryOptions & { bias?: boolean; nonlinearity?: 'tanh' | 'relu' } = {}) {
    super(inputSize, hiddenSize, opts.bias ?? true, 1, opts);
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`RNNCell: unknown nonlinearity '${String(nl)}'. Select from 'tanh' or 'relu'.`);
    this.nonlinearity = nl;
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return tidy(() => {
      const { x, hs, batched } = this._check(input, [hx ?? null]);
      const h = rnnStep(this.nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', linear(x, this.weightIh, this.biasIh), hs[0]!, this.weightHh, this.biasHh);
      return batched ? h : h.squeeze(0);
    });
  }
}

/** torch.nn.LSTMCell: one LSTM step. forward(input, [h, c]?) -> [h', c']. */
export class LSTMCell extends RNNCellBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, opts: FactoryOptions & { bias?: boolean } = {}) {
    super(inputSize, hiddenSize, opts.bias ?? true, 4, opts);
  }
  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, Tensor] {
    return tidy(() => {
      const { x, hs, batched } = this._check(input, hx ? [hx[0], hx[1]] : [null, null]);
      const [h, c] = lstmStep(linear(x, this.weightIh, this.biasIh), hs[0]!, hs[1]!, this.weightHh, this.biasHh, null);
      return batched ? [h, c] : [h.squeeze(0), c.squeeze(0)];
    });
  }
}

/** torch.nn.GRUCell: one GRU step. forward(input, hx?) -> h'. */
export class GRUCell extends RNNCellBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, opts: FactoryOptions & { bias?: boolean } = {}) {
    super(inputSize, hiddenSize, opts.bias ?? true, 3, opts);
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return tidy(() => {
      const { x, hs, batched } = this._check(input, [hx ?? null]);
      const h = gruStep(linear(x, this.weightIh, this.biasIh), hs[0]!, this.weightHh, this.biasHh);
      return batched ? h : h.squeeze(0);
    });
  }
}
