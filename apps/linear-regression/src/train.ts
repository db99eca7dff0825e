/**
 * Linear regression with @tensile/core alone: fit y = w * x + b to noisy samples of
 * y = 3x - 2 by full-batch gradient descent on the mean squared error.
 */
import { manualSeed, memory, noGrad, rand, randn, tidy, zeros, type Tensor } from '@tensile/core';

export interface TrainOptions {
  /** Number of full-batch gradient steps. */
  epochs?: number;
  /** Learning rate of the SGD update. */
  lr?: number;
  /** Number of samples. */
  samples?: number;
  /** Seed of the data (manualSeed). */
  seed?: number;
  /** Standard deviation of the noise added to y. */
  noise?: number;
  /** Called with the loss every `logEvery` epochs (and on the last one). */
  onLog?: (epoch: number, loss: number) => void;
  logEvery?: number;
}

export interface TrainResult {
  /** MSE loss at every epoch, before that epoch's update. */
  losses: number[];
  /** Learned parameters. */
  w: number;
  b: number;
  /** memory().numTensors after every epoch: flat when nothing leaks. */
  liveTensors: number[];
}

/** Synthetic data: x uniform in [-2, 2), y = 3x - 2 + noise, as [samples, 1] float32 tensors. */
export function makeData(samples: number, seed: number, noise: number): { x: Tensor; y: Tensor } {
  manualSeed(seed);
  return tidy(() => {
    const x = rand([samples, 1]).mul(4).sub(2);
    const y = x.mul(3).sub(2).add(randn([samples, 1]).mul(noise));
    return { x, y };
  });
}

/** Train w, b from zero; the tensors it creates are all disposed before it returns. */
export function train(opts: TrainOptions = {}): TrainResult {
  const { epochs = 100, lr = 0.05, samples = 256, seed = 0, noise = 0.1, logEvery = 10, onLog } = opts;
  const { x, y } = makeData(samples, seed, noise);
  const w = zeros([1], { requiresGrad: true });
  const b = zeros([1], { requiresGrad: true });
  const losses: number[] = [];
  const liveTensors: number[] = [];

  for (let epoch = 0; epoch < epochs; epoch++) {
    // tidy() frees every tensor the step creates (predictions, loss, graph) except what it returns.
    const loss = tidy(() => {
      const pred = x.mul(w).add(b);
      const mse = pred.sub(y).square().mean();
      mse.backward();
      noGrad(() => {
        w.sub_(w.grad!.mul(lr));
        b.sub_(b.grad!.mul(lr));
      });
      // zero_grad(set_to_none): free the gradients instead of accumulating into them.
      for (const p of [w, b]) {
        p.grad?.dispose();
        p.grad = null;
      }
      return mse.itemSync();
    });
    losses.push(loss);
    liveTensors.push(memory().numTensors);
    if (onLog && (epoch % logEvery === 0 || epoch === epochs - 1)) onLog(epoch, loss);
  }

  const result = { losses, w: w.itemSync(), b: b.itemSync(), liveTensors };
  for (const t of [x, y, w, b]) t.dispose();
  return result;
}
