/**
 * Transformer layers with PyTorch's submodule names, defaults and semantics:
 * TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder and
 * Transformer. Masks follow MultiheadAttention (bool true = NOT allowed to attend; floating masks
 * are added). Stacks hold deep copies of the given layer (`layers.0`, `layers.1`, ...).
 */
import { gelu, noGrad, ones, relu, tidy, where, zeros, type DType, type Tensor } from '@tensile/core';
import { xavierUniform_ } from '../init.js';
import { Module, ModuleList } from '../module.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { LayerNorm } from './normalization.js';
import { MultiheadAttention } from './attention.js';
import type { FactoryOptions } from './_factory.js';

/** A feed-forward activation: 'relu', 'gelu' (exact erf form), a function or a module. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor) | Module<[Tensor], Tensor>;

/** Constructor options shared by the encoder and decoder layers (PyTorch's keyword arguments). */
export interface TransformerLayerOptions extends FactoryOptions {
  /** Hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability (default 0.1). */
  dropout?: number;
  /** Default 'relu'. */
  activation?: TransformerActivation;
  /** LayerNorm eps (default 1e-5). */
  layerNormEps?: number;
  /** [batch, seq, feature] inputs and outputs (default false: [seq, batch, feature]). */
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before attention and feed-forward) instead of post-norm (default false). */
  normFirst?: boolean;
  /** Biases in the linear layers, attention and LayerNorms (default true). */
  bias?: boolean;
}

function resolveActivation(a: TransformerActivation): (x: Tensor) => Tensor {
  if (a === 'relu') return relu;
  if (a === 'gelu') return (x) => gelu(x);
  if (a instanceof Module) return (x) => a.call(x);
  if (typeof a === 'function') return a;
  throw new RangeError(`Transformer: activation should be relu/gelu, not ${String(a)}`);
}

/**
 * A square causal mask (torch.nn.Transformer.generate_square_subsequent_mask): a float [sz, sz]
 * mask with -inf above the diagonal and 0 elsewhere.
 */
export function generateSquareSubsequentMask(sz: number, opts: { device?: string; dtype?: DType } = {}): Tensor {
  return noGrad(() =>
    tidy(() => where(ones([sz, sz], { dtype: 'bool', device: opts.device }).triu(1), -Infinity, zeros([], { dtype: opts.dtype ?? 'float32', device: opts.device }))),
  );
}

/** A module that can deep-copy itself (parameters, buffers and training mode). */
interface Cloneable<M> {
  clone(): M;
}

/** Build a new layer with the same constructor arguments, then copy the state and the mode. */
function cloneWith<M extends Module<never[], unknown>>(src: M, make: () => M): M {
  const copy = make();
  // follow the source's device and dtype (it may have been moved with to() since construction)
  const first = src.parameters().next().value;
  if (first) copy.to(first.device).to(first.dtype);
  tidy(() => void copy.loadStateDict(src.stateDict()));
  copy.train(src.training);
  return copy;
}

/** Options of TransformerEncoderLayer.forward. */
export interface TransformerEncoderLayerForwardOptions {
  /** [L, L] or [batch * nhead, L, L]: bool true = NOT allowed to attend; floating: added. */
  srcMask?: Tensor | null;
  /** [batch, L]: true = padding (ignored key). */
  srcKeyPaddingMask?: Tensor | null;
  /** Hint that srcMask is causal (a causal mask is built when srcMask is omitted). */
  isCausal?: boolean;
}

/** torch.nn.TransformerEncoderLayer: self-attention and feed-forward, each with residual and LayerNorm. */
export class TransformerEncoderLayer extends Module<[Tensor, TransformerEncoderLayerForwardOptions?], Tensor> implements Cloneable<TransformerEncoderLayer> {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  selfAttn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  private readonly _activation: (x: Tensor) => Tensor;
  private readonly _opts: TransformerLayerOptions;

  constructor(dModel: number, nhead: number, opts: TransformerLayerOptions = {}) {
    super();
    const { dimFeedforward = 2048, dropout = 0.1, activation = 'relu', layerNormEps = 1e-5, batchFirst = false, normFirst = false, bias = true } = opts;
    const f: FactoryOptions = { device: opts.device, dtype: opts.dtype };
    this.dModel = dModel;
    this.nhead = nhead;
    this._opts = { ...opts };
    this.selfAttn = new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst, ...f });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias, ...f });
    this.dropout = new Dropout(dropout);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias, ...f });
    this.normFirst = normFirst;
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, bias, ...f });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, bias, ...f });
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    this._activation = resolveActivation(activation);
    if (activation instanceof Module) this.registerModule('activation', activation as never, { property: 'activationModule' });
  }

  /** A deep copy: same configuration, parameters copied, same training mode. */
  clone(): TransformerEncoderLayer {
    return cloneWith(this, () => new TransformerEncoderLayer(this.dModel, this.nhead, this._opts));
  }

  /** src [L, N, E] ([N, L, E] with batchFirst, [L, E] unbatched) -> same shape. */
  forward(src: Tensor, opts: TransformerEncoderLayerForwardOptions = {}): Tensor {
    const { srcMask = null, srcKeyPaddingMask = null, isCausal = false } = opts;
    return tidy(() => {
      let x = src;
      if (this.normFirst) {
        x = x.add(this._saBlock(this.norm1.call(x), srcMask, srcKeyPaddingMask, isCausal));
        x = x.add(this._ffBlock(this.norm2.call(x)));
      } else {
        x = this.norm1.call(x.add(this._saBlock(x, srcMask, srcKeyPaddingMask, isCausal)));
        x = this.norm2.call(x.add(this._ffBlock(x)));
      }
      return x;
    });
  }

  private _saBlock(x: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null, isCausal: boolean): Tensor {
    const [y] = this.selfAttn.call(x, x, x, { attnMask, keyPaddingMask, needWeights: false, isCausal });
    return this.dropout1.call(y);
  }
  private _ffBlock(x: Tensor): Tensor {
    return this.dropout2.call(this.linear2.call(this.dropout.call(this._activation(this.linear1.call(x)))));
  }
}

/** Options of TransformerDecoderLayer.forward and TransformerDecoder.forward. */
export interface TransformerDecoderForwardOptions {
  /** Self-attention mask [T, T] or [batch * nhead, T, T] (bool true = NOT allowed). */
  tgtMask?: Tensor | null;
  /** Cross-attention mask [T, S] or [batch * nhead, T, S]. */
  memoryMask?: Tensor | null;
  /** [batch, T]: true = padded target position. */
  tgtKeyPaddingMask?: Tensor | null;
  /** [batch, S]: true = padded memory position. */
  memoryKeyPaddingMask?: Tensor | null;
  /** Hint that tgtMask is causal (a causal mask is built when tgtMask is omitted). */
  tgtIsCausal?: boolean;
  /** Hint that memoryMask is causal. */
  memoryIsCausal?: boolean;
}

/** torch.nn.TransformerDecoderLayer: self-attention, cross-attention over memory, feed-forward. */
export class TransformerDecoderLayer extends Module<[Tensor, Tensor, TransformerDecoderForwardOptions?], Tensor> implements Cloneable<TransformerDecoderLayer> {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  selfAttn: MultiheadAttention;
  multiheadAttn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  private readonly _activation: (x: Tensor) => Tensor;
  private readonly _opts: TransformerLayerOptions;

  constructor(dModel: number, nhead: number, opts: TransformerLayerOptions = {}) {
    super();
    const { dimFeedforward = 2048, dropout = 0.1, activation = 'relu', layerNormEps = 1e-5, batchFirst = false, normFirst = false, bias = true } = opts;
    const f: FactoryOptions = { device: opts.device, dtype: opts.dtype };
    this.dModel = dModel;
    this.nhead = nhead;
    this._opts = { ...opts };
    this.selfAttn = new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst, ...f });
    this.multiheadAttn = new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst, ...f });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias, ...f });
    this.dropout = new Dropout(dropout);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias, ...f });
    this.normFirst = normFirst;
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, bias, ...f });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, bias, ...f });
    this.norm3 = new LayerNorm(dModel, { eps: layerNormEps, bias, ...f });
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    this.dropout3 = new Dropout(dropout);
    this._activation = resolveActivation(activation);
    if (activation instanceof Module) this.registerModule('activation', activation as never, { property: 'activationModule' });
  }

  /** A deep copy: same configuration, parameters copied, same training mode. */
  clone(): TransformerDecoderLayer {
    return cloneWith(this, () => new TransformerDecoderLayer(this.dModel, this.nhead, this._opts));
  }

  /** tgt [T, N, E], memory [S, N, E] (batch first with batchFirst) -> [T, N, E]. */
  forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderForwardOptions = {}): Tensor {
    const { tgtMask = null, memoryMask = null, tgtKeyPaddingMask = null, memoryKeyPaddingMask = null, tgtIsCausal = false, memoryIsCausal = false } = opts;
    return tidy(() => {
      let x = tgt;
      if (this.normFirst) {
        x = x.add(this._saBlock(this.norm1.call(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal));
        x = x.add(this._mhaBlock(this.norm2.call(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
        x = x.add(this._ffBlock(this.norm3.call(x)));
      } else {
        x = this.norm1.call(x.add(this._saBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal)));
        x = this.norm2.call(x.add(this._mhaBlock(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal)));
        x = this.norm3.call(x.add(this._ffBlock(x)));
      }
      return x;
    });
  }

  private _saBlock(x: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null, isCausal: boolean): Tensor {
    const [y] = this.selfAttn.call(x, x, x, { attnMask, keyPaddingMask, needWeights: false, isCausal });
    return this.dropout1.call(y);
  }
  private _mhaBlock(x: Tensor, mem: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null, isCausal: boolean): Tensor {
    const [y] = this.multiheadAttn.call(x, mem, mem, { attnMask, keyPaddingMask, needWeights: false, isCausal });
    return this.dropout2.call(y);
  }
  private _ffBlock(x: Tensor): Tensor {
    return this.dropout3.call(this.linear2.call(this.dropout.call(this._activation(this.linear1.call(x)))));
  }
}

/** numLayers deep copies of a layer: via its clone() method, or a factory called once per copy. */
function cloneLayers<M extends Module<never[], unknown>>(op: string, layer: M | (() => M), numLayers: number): M[] {
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new RangeError(`${op}: numLayers must be a positive integer, got ${numLayers}`);
  const out: M[] = [];
  for (let i = 0; i < numLayers; i++) {
    if (layer instanceof Module) {
      const c = (layer as unknown as Partial<Cloneable<M>>).clone;
      if (typeof c !== 'function') throw new TypeError(`${op}: the layer has no clone() method; pass a factory () => layer instead`);
      out.push(c.call(layer));
    } else if (typeof layer === 'function') {
      out.push(layer());
    } else {
      throw new TypeError(`${op}: expected a layer or a factory function`);
    }
  }
  return out;
}

/** Options of TransformerEncoder.forward. */
export interface TransformerEncoderForwardOptions {
  /** Attention mask for every layer (bool true = NOT allowed; floating: added). */
  mask?: Tensor | null;
  /** [batch, L]: true = padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** Hint that mask is causal (a causal mask is built when mask is omitted). */
  isCausal?: boolean;
}

/**
 * torch.nn.TransformerEncoder: `layers` holds numLayers deep copies of encoderLayer (or the
 * layers a factory returns), then an optional final `norm`.
 */
export class TransformerEncoder extends Module<[Tensor, TransformerEncoderForwardOptions?], Tensor> {
  readonly numLayers: number;
  layers: ModuleList<TransformerEncoderLayer>;
  norm: Module<[Tensor], Tensor> | null;
  constructor(encoderLayer: TransformerEncoderLayer | (() => TransformerEncoderLayer), numLayers: number, opts: { norm?: Module<[Tensor], Tensor> | null } = {}) {
    super();
    this.layers = new ModuleList(cloneLayers('TransformerEncoder', encoderLayer as never, numLayers) as TransformerEncoderLayer[]);
    this.numLayers = numLayers;
    this.norm = opts.norm ?? null;
  }
  forward(src: Tensor, opts: TransformerEncoderForwardOptions = {}): Tensor {
    const { mask = null, srcKeyPaddingMask = null, isCausal = false } = opts;
    return tidy(() => {
      let x = src;
      for (const layer of this.layers) x = layer.call(x, { srcMask: mask, srcKeyPaddingMask, isCausal });
      return this.norm ? this.norm.call(x) : x;
    });
  }
}

/** torch.nn.TransformerDecoder: numLayers deep copies of decoderLayer, then an optional `norm`. */
export class TransformerDecoder extends Module<[Tensor, Tensor, TransformerDecoderForwardOptions?], Tensor> {
  readonly numLayers: number;
  layers: ModuleList<TransformerDecoderLayer>;
  norm: Module<[Tensor], Tensor> | null;
  constructor(decoderLayer: TransformerDecoderLayer | (() => TransformerDecoderLayer), numLayers: number, opts: { norm?: Module<[Tensor], Tensor> | null } = {}) {
    super();
    this.layers = new ModuleList(cloneLayers('TransformerDecoder', decoderLayer as never, numLayers) as TransformerDecoderLayer[]);
    this.numLayers = numLayers;
    this.norm = opts.norm ?? null;
  }
  forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderForwardOptions = {}): Tensor {
    return tidy(() => {
      let x = tgt;
      for (const layer of this.layers) x = layer.call(x, memory, opts);
      return this.norm ? this.norm.call(x) : x;
    });
  }
}

/** Constructor options of Transformer. */
export interface TransformerOptions extends TransformerLayerOptions {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
  customEncoder?: Module<[Tensor, TransformerEncoderForwardOptions?], Tensor> | null;
  customDecoder?: Module<[Tensor, Tensor, TransformerDecoderForwardOptions?], Tensor> | null;
}

/** Options of Transformer.forward. */
export interface TransformerForwardOptions extends TransformerDecoderForwardOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  srcIsCausal?: boolean;
}

/**
 * torch.nn.Transformer: encoder (with final LayerNorm) and decoder (with final LayerNorm); every
 * parameter with more than one dim is re-initialised with xavier_uniform_ as PyTorch does.
 */
export class Transformer extends Module<[Tensor, Tensor, TransformerForwardOptions?], Tensor> {
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;
  encoder: Module<[Tensor, TransformerEncoderForwardOptions?], Tensor>;
  decoder: Module<[Tensor, Tensor, TransformerDecoderForwardOptions?], Tensor>;
  constructor(opts: TransformerOptions = {}) {
    super();
    const { dModel = 512, nhead = 8, numEncoderLayers = 6, numDecoderLayers = 6, customEncoder = null, customDecoder = null, ...layerOpts } = opts;
    const f: FactoryOptions = { device: opts.device, dtype: opts.dtype };
    const normOpts = { eps: layerOpts.layerNormEps ?? 1e-5, bias: layerOpts.bias ?? true, ...f };
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = layerOpts.batchFirst ?? false;
    if (customEncoder) this.encoder = customEncoder;
    else {
      const proto = new TransformerEncoderLayer(dModel, nhead, layerOpts);
      this.encoder = new TransformerEncoder(proto, numEncoderLayers, { norm: new LayerNorm(dModel, normOpts) });
      proto.dispose();
    }
    if (customDecoder) this.decoder = customDecoder;
    else {
      const proto = new TransformerDecoderLayer(dModel, nhead, layerOpts);
      this.decoder = new TransformerDecoder(proto, numDecoderLayers, { norm: new LayerNorm(dModel, normOpts) });
      proto.dispose();
    }
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform_(p);
  }

  /** src [S, N, E], tgt [T, N, E] (batch first with batchFirst) -> [T, N, E]. */
  forward(src: Tensor, tgt: Tensor, opts: TransformerForwardOptions = {}): Tensor {
    const { srcMask = null, srcKeyPaddingMask = null, srcIsCausal = false, ...dec } = opts;
    const batchDim = this.batchFirst ? 0 : 1;
    if (src.ndim === 3 && tgt.ndim === 3 && src.shape[batchDim] !== tgt.shape[batchDim]) throw new RangeError('Transformer: the batch number of src and tgt must be equal');
    if (src.shape[src.ndim - 1] !== this.dModel || tgt.shape[tgt.ndim - 1] !== this.dModel) {
      throw new RangeError('Transformer: the feature number of src and tgt must be equal to dModel');
    }
    return tidy(() => {
      const memory = this.encoder.call(src, { mask: srcMask, srcKeyPaddingMask, isCausal: srcIsCausal });
      return this.decoder.call(tgt, memory, dec);
    });
  }

  /** torch.nn.Transformer.generate_square_subsequent_mask. */
  static generateSquareSubsequentMask(sz: number, opts: { device?: string; dtype?: DType } = {}): Tensor {
    return generateSquareSubsequentMask(sz, opts);
  }
}
