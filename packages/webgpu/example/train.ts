/**
 * The example's model, data and training loop (no DOM): a seeded two-class spiral, an MLP
 * 2-32-32-2 with tanh, Adam, full-batch crossEntropy. The same function runs on 'webgpu' and on
 * 'js'; only the device string changes.
 */
import { argmax, crossEntropy, manualSeed, noGrad, stack, tensor, tidy, type Tensor } from '@tensile/core';
import { Linear, Module, Tanh } from '@tensile/nn';
import { Adam } from '@tensile/optim';

export const POINTS_PER_CLASS = 96;
export const STEPS = 60;
export const LR = 0.03;
export const SEED = 7;
/** Losses are read back (one GPU round trip) every READ_EVERY steps. */
export const READ_EVERY = 10;

export class Mlp extends Module<[Tensor], Tensor> {
  fc1: Linear;
  fc2: Linear;
  fc3: Linear;
  act = new Tanh();
  constructor(device: string) {
    super();
    this.fc1 = new Linear(2, 32, { device });
    this.fc2 = new Linear(32, 32, { device });
    this.fc3 = new Linear(32, 2, { device });
  }
  forward(x: Tensor): Tensor {
    return this.fc3.call(this.act.call(this.fc2.call(this.act.call(this.fc1.call(x)))));
  }
}

/** Two interleaved spirals with seeded noise (mulberry32): points [2n, 2] and labels [2n]. */
export function spiral(n = POINTS_PER_CLASS, seed = SEED): { points: Float32Array; labels: Int32Array } {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const points = new Float32Array(4 * n);
  const labels = new Int32Array(2 * n);
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < n; i++) {
      const r = (i / n) * 0.9 + 0.1;
      const a = (i / n) * 3.5 + c * Math.PI + (random() - 0.5) * 0.35;
      const k = c * n + i;
      points[2 * k] = r * Math.cos(a);
      points[2 * k + 1] = r * Math.sin(a);
      labels[k] = c;
    }
  }
  return { points, labels };
}

export interface RunResult {
  device: string;
  /** Loss after each step's forward (before its update). */
  losses: number[];
  /** Logits of the trained model on the training points, [2n, 2] row-major. */
  logits: number[];
  /** Fraction of training points classified correctly after training. */
  accuracy: number;
  /** Class-1 probability on a grid x row-major over [-1.1, 1.1]^2 (for the decision map). */
  grid: number[];
  gridSize: number;
  /** Wall time of the whole run and of each step (ms; the first steps compile the shaders). */
  ms: number;
  stepMs: number[];
}

/** Train the seeded MLP on `device`; onStep is called with each loss as it is read. */
export async function trainOn(device: string, onStep: (step: number, loss: number) => void = () => {}, gridSize = 48): Promise<RunResult> {
  const t0 = performance.now();
  const { points, labels } = spiral();
  const n = labels.length;
  manualSeed(SEED);
  const model = new Mlp(device);
  const x = tensor(points, { device, shape: [n, 2] });
  const y = tensor(labels, { device, dtype: 'int64' });
  const optim = new Adam(model.parameters(), { lr: LR });
  const losses: number[] = [];
  const stepMs: number[] = [];
  let pending: Tensor[] = [];
  let ts = performance.now();
  for (let step = 0; step < STEPS; step++) {
    optim.zeroGrad();
    pending.push(
      tidy(() => {
        const l = crossEntropy(model.call(x), y);
        l.backward();
        return l.detach();
      }),
    );
    optim.step();
    if (pending.length === READ_EVERY || step === STEPS - 1) {
      const all = stack(pending);
      for (const l of pending) l.dispose();
      pending = [];
      const vals = Array.from((await all.data()) as Float32Array);
      all.dispose();
      const per = (performance.now() - ts) / vals.length;
      ts = performance.now();
      vals.forEach((v, i) => {
        losses.push(v);
        stepMs.push(per);
        onStep(step - vals.length + 1 + i, v);
      });
    }
  }
  const { logitsT, correctT, probT } = noGrad(() =>
    tidy(() => {
      const logitsT = model.call(x);
      const correctT = argmax(logitsT, 1).eq(y).float().mean();
      const g: number[] = [];
      for (let i = 0; i < gridSize; i++) {
        for (let j = 0; j < gridSize; j++) g.push(-1.1 + (2.2 * j) / (gridSize - 1), 1.1 - (2.2 * i) / (gridSize - 1));
      }
      const probT = model.call(tensor(g, { device, shape: [gridSize * gridSize, 2] })).softmax(1).select(1, 1).contiguous();
      return { logitsT, correctT, probT };
    }),
  );
  const logits = Array.from((await logitsT.data()) as Float32Array);
  const accuracy = await correctT.item();
  const grid = Array.from((await probT.data()) as Float32Array);
  for (const t of [logitsT, correctT, probT, x, y, ...model.parameters()]) t.dispose();
  optim.zeroGrad({ setToNone: true });
  for (const st of optim.state.values()) for (const v of Object.values(st)) if (v && typeof (v as Tensor).dispose === 'function') (v as Tensor).dispose();
  return { device, losses, logits, accuracy, grid, gridSize, ms: performance.now() - t0, stepMs };
}

/** What the page publishes on window.tensileExample (read by test/browser.test.ts). */
export interface ExampleState {
  done: boolean;
  /** Why WebGPU training could not run (no navigator.gpu, no adapter); done is true. */
  skipped?: string;
  error?: string;
  adapter?: string;
  webgpu?: RunResult;
  js?: RunResult;
  maxLossRelDiff?: number;
  maxLogitAbsDiff?: number;
  /** webgpuStats() after the webgpu run. */
  stats?: Record<string, number>;
}
