/** The character language model: Embedding -> LSTM / GRU / RNN -> Linear. */
import { keep, type Tensor } from '@tensile/core';
import { Embedding, GRU, LSTM, Linear, Module, RNN } from '@tensile/nn';

export type CellType = 'lstm' | 'gru' | 'rnn';

/** Recurrent state: [h, c] for an LSTM, h for a GRU / RNN (each [numLayers, batch, hidden]). */
export type RecurrentState = Tensor | [Tensor, Tensor];

export interface CharModelOptions {
  vocabSize: number;
  embeddingDim?: number;
  hiddenSize?: number;
  numLayers?: number;
  cell?: CellType;
  /** Dropout between stacked recurrent layers (training mode only). */
  dropout?: number;
}

type AnyRecurrent = Module<[Tensor, (RecurrentState | null)?], [Tensor, RecurrentState]>;

/** Time-major character model: forward(ids [T, batch], state?) -> [logits [T, batch, vocab], state]. */
export class CharModel extends Module<[Tensor, (RecurrentState | null)?], [Tensor, RecurrentState]> {
  readonly config: Required<CharModelOptions>;
  embed: Embedding;
  rnn: AnyRecurrent;
  head: Linear;
  constructor(opts: CharModelOptions) {
    super();
    const config = { embeddingDim: 64, hiddenSize: 256, numLayers: 1, cell: 'lstm' as CellType, dropout: 0, ...opts };
    this.config = config;
    this.embed = new Embedding(config.vocabSize, config.embeddingDim);
    const rnnOpts = { numLayers: config.numLayers, dropout: config.numLayers > 1 ? config.dropout : 0 };
    const Cell = config.cell === 'lstm' ? LSTM : config.cell === 'gru' ? GRU : config.cell === 'rnn' ? RNN : null;
    if (!Cell) throw new RangeError(`CharModel: cell must be 'lstm', 'gru' or 'rnn', got '${String(config.cell)}'`);
    this.rnn = new Cell(config.embeddingDim, config.hiddenSize, rnnOpts) as unknown as AnyRecurrent;
    this.head = new Linear(config.hiddenSize, config.vocabSize);
  }
  forward(ids: Tensor, state?: RecurrentState | null): [Tensor, RecurrentState] {
    const [out, next] = this.rnn.call(this.embed.call(ids), state ?? null);
    return [this.head.call(out), next];
  }
}

/** The state cut from the graph (truncated BPTT): fresh tensors the caller owns, kept out of tidy(). */
export function detachState(state: RecurrentState): RecurrentState {
  return Array.isArray(state) ? [keep(state[0].detach()), keep(state[1].detach())] : keep(state.detach());
}

/** Dispose every tensor of a state. */
export function disposeState(state: RecurrentState | null): void {
  if (!state) return;
  if (Array.isArray(state)) for (const t of state) t.dispose();
  else state.dispose();
}
