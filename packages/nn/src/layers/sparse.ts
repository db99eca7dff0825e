/** torch.nn.Embedding: a lookup table of numEmbeddings vectors of size embeddingDim. */
import { embedding, noGrad, type Tensor } from '@tensile/core';
import { normal_ } from '../init.js';
import { Module, Parameter } from '../module.js';
import { checkSize, newParam, type FactoryOptions } from './_factory.js';

export interface EmbeddingOptions extends FactoryOptions {
  /** This row gets no gradient and is initialised to zeros (a padding token). */
  paddingIdx?: number | null;
  /** Not supported (renormalising rows in place); throws when given. */
  maxNorm?: number | null;
  /** Accepted for compatibility; gradients are dense. */
  sparse?: boolean;
  /** Not supported; throws when true. */
  scaleGradByFreq?: boolean;
}

/** torch.nn.Embedding: weight [numEmbeddings, embeddingDim] initialised N(0, 1); forward(indices) -> [...indices, dim]. */
export class Embedding extends Module<[Tensor], Tensor> {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;
  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions & { _weight?: Tensor } = {}) {
    super();
    checkSize('Embedding', 'numEmbeddings', numEmbeddings, true);
    checkSize('Embedding', 'embeddingDim', embeddingDim, true);
    if (opts.maxNorm != null) throw new Error('Embedding: maxNorm is not supported yet (renormalise the weight explicitly)');
    if (opts.scaleGradByFreq) throw new Error('Embedding: scaleGradByFreq is not supported yet');
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) {
        throw new RangeError(`Embedding: paddingIdx must be within numEmbeddings (${numEmbeddings}), got ${pad}`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = pad;
    if (opts._weight) {
      const w = opts._weight;
      if (w.ndim !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim) {
        throw new RangeError(`Embedding: shape of weight [${w.shape.join(', ')}] does not match numEmbeddings and embeddingDim [${numEmbeddings}, ${embeddingDim}]`);
      }
      this.weight = newParam([numEmbeddings, embeddingDim], { device: w.device, dtype: w.dtype });
      noGrad(() => this.weight.copy_(w));
    } else {
      this.weight = newParam([numEmbeddings, embeddingDim], opts);
      this.resetParameters();
    }
  }
  /** N(0, 1), with the padding row zeroed. */
  resetParameters(): void {
    normal_(this.weight);
    this.fillPaddingIdxWithZero();
  }
  private fillPaddingIdxWithZero(): void {
    if (this.paddingIdx === null) return;
    const p = this.paddingIdx;
    noGrad(() => {
      const row = this.weight.select(0, p);
      row.zero_();
      row.dispose();
    });
  }
  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }

  /** torch.nn.Embedding.from_pretrained: an Embedding holding a copy of `embeddings` (frozen by default). */
  static fromPretrained(embeddings: Tensor, opts: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    if (embeddings.ndim !== 2) throw new RangeError(`Embedding.fromPretrained: embeddings must be 2-D [num, dim], got shape [${embeddings.shape.join(', ')}]`);
    const [n, d] = embeddings.shape as [number, number];
    const e = new Embedding(n, d, { _weight: embeddings, paddingIdx: opts.paddingIdx });
    e.weight.requiresGrad_(!(opts.freeze ?? true));
    return e;
  }
}
