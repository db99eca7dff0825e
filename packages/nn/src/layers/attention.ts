/**
 * torch.nn.MultiheadAttention with PyTorch's parameter names (in_proj_weight, in_proj_bias or
 * q/k/v_proj_weight, bias_k/bias_v, out_proj), initialisation and mask semantics: in masks given
 * to this layer a bool true means "may NOT attend" (the opposite of scaledDotProductAttention);
 * floating masks are added to the attention scores.
 */
import {
  amax,
  cast,
  cat,
  dropout as dropoutFn,
  fmtShape,
  isFloating,
  linear,
  matmul,
  noGrad,
  ones,
  scaledDotProductAttention,
  softmax,
  tidy,
  where,
  zeros,
  type Tensor,
} from '@tensile/core';
import { constant_, xavierNormal_, xavierUniform_ } from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkSize, newParam, type FactoryOptions } from './_factory.js';
import { Linear } from './linear.js';

/** Constructor options of MultiheadAttention (PyTorch's keyword arguments, camelCase). */
export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout probability on the attention weights, in training mode (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Learned bias_k/bias_v appended to the key and value sequences (default false). */
  addBiasKv?: boolean;
  /** Append a zero key/value position to every head (default false). */
  addZeroAttn?: boolean;
  /** Feature size of key (default embedDim); when it or vdim differs, q/k/v_proj_weight are separate. */
  kdim?: number | null;
  /** Feature size of value (default embedDim). */
  vdim?: number | null;
  /** Inputs and output as [batch, seq, feature] (default false: [seq, batch, feature]). */
  batchFirst?: boolean;
}

/** Options of MultiheadAttention.forward (PyTorch's keyword arguments, camelCase). */
export interface MultiheadAttentionForwardOptions {
  /** [batch, S] (or [S] unbatched): bool true = ignore that key; floating: added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** [L, S] or [batch * numHeads, L, S]: bool true = NOT allowed to attend; floating: added. */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads ([batch, L, S]) or not ([batch, heads, L, S]); default true. */
  averageAttnWeights?: boolean;
  /**
   * Hint that attnMask is the causal mask. As in PyTorch the given attnMask is what is applied;
   * when attnMask is omitted a causal mask is built (PyTorch would throw).
   */
  isCausal?: boolean;
}

/** A bool or floating mask as an additive float mask of `dtype` (true -> -inf). */
function additiveMask(op: string, what: string, m: Tensor, dtype: Tensor['dtype']): Tensor {
  if (m.dtype === 'bool') return where(m, -Infinity, zeros([], { dtype, device: m.device }));
  if (!isFloating(m.dtype)) throw new TypeError(`${op}: only bool and floating types of ${what} are supported, got ${m.dtype}`);
  return m.dtype === dtype ? m : cast(m, dtype);
}

/** torch.nn.MultiheadAttention. forward(query, key, value, opts) -> [attnOutput, attnWeights | null]. */
export class MultiheadAttention extends Module<[Tensor, Tensor, Tensor, MultiheadAttentionForwardOptions?], [Tensor, Tensor | null]> {
  readonly embedDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;
  /** True when query, key and value share one [3E, E] in_proj_weight. */
  readonly qkvSameEmbedDim: boolean;
  declare inProjWeight: Parameter | null;
  declare qProjWeight: Parameter | null;
  declare kProjWeight: Parameter | null;
  declare vProjWeight: Parameter | null;
  declare inProjBias: Parameter | null;
  declare biasK: Parameter | null;
  declare biasV: Parameter | null;
  declare outProj: Linear;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    const op = 'MultiheadAttention';
    checkSize(op, 'embedDim', embedDim);
    checkSize(op, 'numHeads', numHeads);
    this.embedDim = embedDim;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    checkSize(op, 'kdim', this.kdim);
    checkSize(op, 'vdim', this.vdim);
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    this.numHeads = numHeads;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new RangeError(`${op}: dropout probability has to be between 0 and 1, but got ${this.dropout}`);
    this.batchFirst = opts.batchFirst ?? false;
    this.addZeroAttn = opts.addZeroAttn ?? false;
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new RangeError(`${op}: embedDim must be divisible by numHeads, got embedDim=${embedDim} and numHeads=${numHeads}`);
    const bias = opts.bias ?? true;

    if (this.qkvSameEmbedDim) {
      this.registerParameter('in_proj_weight', newParam([3 * embedDim, embedDim], opts), { property: 'inProjWeight' });
      this.qProjWeight = this.kProjWeight = this.vProjWeight = null;
    } else {
      this.registerParameter('q_proj_weight', newParam([embedDim, embedDim], opts), { property: 'qProjWeight' });
      this.registerParameter('k_proj_weight', newParam([embedDim, this.kdim], opts), { property: 'kProjWeight' });
      this.registerParameter('v_proj_weight', newParam([embedDim, this.vdim], opts), { property: 'vProjWeight' });
      this.inProjWeight = null;
    }
    this.registerParameter('in_proj_bias', bias ? newParam([3 * embedDim], opts) : null, { property: 'inProjBias' });
    this.registerModule('out_proj', new Linear(embedDim, embedDim, { bias, device: opts.device, dtype: opts.dtype }) as never, { property: 'outProj' });
    if (opts.addBiasKv) {
      this.registerParameter('bias_k', newParam([1, 1, embedDim], opts), { property: 'biasK' });
      this.registerParameter('bias_v', newParam([1, 1, embedDim], opts), { property: 'biasV' });
    } else {
      this.biasK = this.biasV = null;
    }
    this.resetParameters();
  }

  /** PyTorch's _reset_parameters: xavier_uniform_ projections, zero biases, xavier_normal_ bias_k/bias_v. */
  resetParameters(): void {
    if (this.inProjWeight) xavierUniform_(this.inProjWeight);
    else for (const w of [this.qProjWeight, this.kProjWeight, this.vProjWeight]) xavierUniform_(w!);
    if (this.inProjBias) {
      constant_(this.inProjBias, 0);
      if (this.outProj.bias) constant_(this.outProj.bias, 0);
    }
    if (this.biasK) xavierNormal_(this.biasK);
    if (this.biasV) xavierNormal_(this.biasV);
  }

  /**
   * query [L, N, E] ([N, L, E] with batchFirst, [L, E] unbatched), key [S, N, kdim], value [S, N,
   * vdim]. Returns [attnOutput of query's layout, attnWeights [N, L, S] (averaged) or [N, heads, L,
   * S], or null when needWeights is false].
   */
  forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    const { needWeights = true, averageAttnWeights = true, isCausal = false, keyPaddingMask = null } = opts;
    let attnMask = opts.attnMask ?? null;
    const E = this.embedDim, H = this.numHeads, hd = this.headDim;
    if (query.ndim !== 2 && query.ndim !== 3) throw new RangeError(`${op}: expected query to be 2-D (unbatched) or 3-D, but got shape ${fmtShape(query.shape)}`);
    const batched = query.ndim === 3;
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new RangeError(`${op}: for ${batched ? 'batched (3-D)' : 'unbatched (2-D)'} query, expected key and value to be ${query.ndim}-D, but got shapes ${fmtShape(key.shape)} and ${fmtShape(value.shape)}`);
    }
    if (query.shape[query.ndim - 1] !== E) throw new RangeError(`${op}: was expecting embedding dimension of ${E}, but got query of shape ${fmtShape(query.shape)}`);
    if (key.shape[key.ndim - 1] !== this.kdim) throw new RangeError(`${op}: expected key with feature size ${this.kdim}, but got key of shape ${fmtShape(key.shape)}`);
    if (value.shape[value.ndim - 1] !== this.vdim) throw new RangeError(`${op}: expected value with feature size ${this.vdim}, but got value of shape ${fmtShape(value.shape)}`);

    return tidy(() => {
      // to [N, L, E]
      const toBatchFirst = (t: Tensor) => (!batched ? t.unsqueeze(0) : this.batchFirst ? t : t.transpose(0, 1));
      const q0 = toBatchFirst(query), k0 = toBatchFirst(key), v0 = toBatchFirst(value);
      const N = q0.shape[0]!, L = q0.shape[1]!;
      let S = k0.shape[1]!;
      if (k0.shape[0] !== N || v0.shape[0] !== N) throw new RangeError(`${op}: query, key and value must have the same batch size, got shapes ${fmtShape(query.shape)}, ${fmtShape(key.shape)} and ${fmtShape(value.shape)}`);
      if (v0.shape[1] !== S) throw new RangeError(`${op}: key shape ${fmtShape(key.shape)} does not match value shape ${fmtShape(value.shape)}`);

      // masks as additive float masks; attn -> [N or 1, H or 1, L, S], padding -> [N, 1, 1, S]
      if (isCausal && !attnMask) {
        attnMask = noGrad(() => ones([L, S], { dtype: 'bool', device: query.device }).triu(1));
      }
      let am: Tensor | null = null;
      if (attnMask) {
        const m = additiveMask(op, 'attn_mask', attnMask, query.dtype);
        if (m.ndim === 2) {
          if (m.shape[0] !== L || m.shape[1] !== S) throw new RangeError(`${op}: the shape of the 2D attn_mask is ${fmtShape(m.shape)}, but should be ${fmtShape([L, S])}`);
          am = m.reshape([1, 1, L, S]);
        } else if (m.ndim === 3) {
          const want = [N * H, L, S];
          if (m.shape.some((d, i) => d !== want[i])) throw new RangeError(`${op}: the shape of the 3D attn_mask is ${fmtShape(m.shape)}, but should be ${fmtShape(want)}`);
          am = m.reshape([N, H, L, S]);
        } else {
          throw new RangeError(`${op}: attn_mask's dimension ${m.ndim} is not supported (2-D [L, S] or 3-D [N * numHeads, L, S])`);
        }
      }
      let kpm: Tensor | null = null;
      if (keyPaddingMask) {
        const want = batched ? [N, S] : [S];
        if (keyPaddingMask.ndim !== want.length || keyPaddingMask.shape.some((d, i) => d !== want[i])) {
          throw new RangeError(`${op}: expected key_padding_mask of shape ${fmtShape(want)}, but got ${fmtShape(keyPaddingMask.shape)}`);
        }
        kpm = additiveMask(op, 'key_padding_mask', keyPaddingMask, query.dtype).reshape([N, 1, 1, S]);
      }

      // input projections
      let q: Tensor, k: Tensor, v: Tensor;
      const b = this.inProjBias;
      const bq = b ? b.narrow(0, 0, E) : null, bk = b ? b.narrow(0, E, E) : null, bv = b ? b.narrow(0, 2 * E, E) : null;
      if (this.inProjWeight) {
        const w = this.inProjWeight;
        q = linear(q0, w.narrow(0, 0, E), bq);
        k = linear(k0, w.narrow(0, E, E), bk);
        v = linear(v0, w.narrow(0, 2 * E, E), bv);
      } else {
        q = linear(q0, this.qProjWeight!, bq);
        k = linear(k0, this.kProjWeight!, bk);
        v = linear(v0, this.vProjWeight!, bv);
      }
      const padMask = (m: Tensor | null): Tensor | null => (m ? cat([m, zeros([...m.shape.slice(0, -1), 1], { dtype: m.dtype, device: m.device })], -1) : null);
      if (this.biasK && this.biasV) {
        k = cat([k, this.biasK.expand([N, 1, E])], 1);
        v = cat([v, this.biasV.expand([N, 1, E])], 1);
        am = padMask(am);
        kpm = padMask(kpm);
        S += 1;
      }
      // heads: [N, H, len, hd]
      let qh = q.reshape([N, L, H, hd]).transpose(1, 2);
      let kh = k.reshape([N, S, H, hd]).transpose(1, 2);
      let vh = v.reshape([N, S, H, hd]).transpose(1, 2);
      if (this.addZeroAttn) {
        const z = zeros([N, H, 1, hd], { dtype: query.dtype, device: query.device });
        kh = cat([kh, z], 2);
        vh = cat([vh, z], 2);
        am = padMask(am);
        kpm = padMask(kpm);
        S += 1;
      }
      const mask = am && kpm ? am.add(kpm) : am ?? kpm;
      const p = this.training ? this.dropout : 0;

      let out: Tensor, weights: Tensor | null = null;
      if (!needWeights) {
        out = scaledDotProductAttention(qh, kh, vh, { attnMask: mask, dropoutP: p });
      } else {
        qh = qh.mul(Math.sqrt(1 / hd));
        let scores = matmul(qh, kh.transpose(-2, -1));
        let attn: Tensor;
        if (mask) {
          scores = scores.add(mask);
          // a query whose keys are all masked gets zero weights rather than NaN (as scaledDotProductAttention)
          const dead = noGrad(() => amax(scores, -1, true).eq(-Infinity));
          attn = where(dead, 0, softmax(where(dead, 0, scores), -1));
        } else {
          attn = softmax(scores, -1);
        }
        if (p > 0) attn = dropoutFn(attn, p, true);
        out = matmul(attn, vh);
        weights = averageAttnWeights ? attn.mean(1) : attn;
        if (!batched) weights = weights.squeeze(0);
      }
      // [N, H, L, hd] -> [N, L, E] -> out_proj
      out = this.outProj.call(out.transpose(1, 2).reshape([N, L, E]));
      out = !batched ? out.squeeze(0) : this.batchFirst ? out : out.transpose(0, 1);
      return [out, weights] as [Tensor, Tensor | null];
    });
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}` + (this.dropout ? `, dropout=${this.dropout}` : '') + (this.batchFirst ? ', batchFirst=true' : '');
  }
}
