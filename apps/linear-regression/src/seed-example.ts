/**
 * The seed's first lesson, exactly: x = [1, 2, 3, 4], y = x, a Linear(1, 1) model, MSELoss, SGD
 * with lr 0.01 for 100 epochs (full batch), then the predictions for x.
 */
import { manualSeed, memory, noGrad, tensor, tidy } from '@tensile/core';
import { Linear, MSELoss } from '@tensile/nn';
import { SGD } from '@tensile/optim';

export interface SeedExampleOptions {
  epochs?: number;
  lr?: number;
  /** Seed of the initialisation (manualSeed). */
  seed?: number;
}

export interface SeedExampleResult {
  x: number[];
  /** Model outputs for x after training. */
  predictions: number[];
  /** MSE at every epoch, before that epoch's update. */
  losses: number[];
  weight: number;
  bias: number;
  /** memory().numTensors after every epoch (flat when nothing leaks). */
  liveTensors: number[];
}

/**
 * Train the seed example on the default device (any device: reads are awaited outside tidy());
 * everything it creates is disposed before it returns.
 */
export async function trainSeedExample(opts: SeedExampleOptions = {}): Promise<SeedExampleResult> {
  const { epochs = 100, lr = 0.01, seed = 0 } = opts;
  manualSeed(seed);
  const xs = [1, 2, 3, 4];
  const x = tensor(xs.map((v) => [v]));
  const y = tensor(xs.map((v) => [v]));
  const model = new Linear(1, 1);
  const criterion = new MSELoss();
  const optimizer = new SGD(model.parameters(), { lr });
  const losses: number[] = [];
  const liveTensors: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const loss = tidy(() => {
      optimizer.zeroGrad();
      const l = criterion.call(model.call(x), y);
      l.backward();
      optimizer.step();
      return l.detach();
    });
    losses.push(await loss.item());
    loss.dispose();
    liveTensors.push(memory().numTensors);
  }
  const out = tidy(() => noGrad(() => model.call(x).reshape([-1])));
  const predictions = Array.from((await out.data()) as Float32Array);
  out.dispose();
  const result = { x: xs, predictions, losses, weight: await model.weight.item(), bias: await model.bias!.item(), liveTensors };
  optimizer.dispose();
  model.dispose();
  x.dispose();
  y.dispose();
  return result;
}
