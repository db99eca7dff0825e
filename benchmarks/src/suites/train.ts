/**
 * Model-level training steps (issue 5), steps per second:
 *   - mlp b64: MLP 784-256-10 (Linear-ReLU-Linear), crossEntropy, Adam lr 1e-3, batch 64
 *   - cnn b32: the MNIST CNN Conv2d(1,32,3)-ReLU-Conv2d(32,64,3)-ReLU-MaxPool2d(2)-flatten-
 *              Linear(9216,128)-ReLU-Linear(128,10), crossEntropy, Adam lr 1e-3, batch 32
 * Tensile and PyTorch are measured alternately for --rounds rounds (default 3), and each value
 * is the median over rounds, so that a load that changes during the run hits both alike.
 * Metrics: throughput (steps/s, from the median wall time per step) and cpu time (process CPU
 * ms per step, all threads, for Tensile and PyTorch: much less disturbed than wall time when
 * other processes share the cores).
 * One step = zeroGrad, forward, loss, backward, optimizer step, on a fixed random batch
 * (seeded). Tensile runs it as a user writes it: @tensile/nn modules and @tensile/optim's Adam,
 * inside tidy().
 *
 *   pnpm bench train [--threads 1,2] [--json FILE] [--cases mlp,cnn] [--rounds N]
 *
 * Systems: tensile-cpu, torch (eager, torch.nn + torch.optim.Adam), tfjs-wasm and tfjs-cpu
 * (first run; functional models on tf.variable with tf.train.adam and optimizer.minimize). The
 * CNN is tried on wasm only (tfjs 4.22's wasm backend has no Conv2DBackpropFilter, so it is
 * reported as failed) and skipped on tfjs-cpu (seconds per step).
 */
import { parseArgs } from 'node:util';
import { crossEntropy, manualSeed, randint, randn, setDefaultDevice, tidy, type Tensor } from '@tensile/core';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, type Module } from '@tensile/nn';
import { Adam } from '@tensile/optim';
import { forEachTfjsBackend, type Tf } from '../lib/jspeers';
import { pythonAvailability, runPython } from '../lib/python';
import { attempt, Recorder } from '../lib/recorder';
import { loadTensileCpu } from '../lib/tensile';
import { median, timeSync } from '../lib/timing';
import type { SuiteContext, SuiteResult } from '../types';

const MLP = 'mlp 784-256-10 b64', CNN = 'mnist cnn b32';
const MLP_BATCH = 64, CNN_BATCH = 32, LR = 1e-3;
/** Warm-up steps before timing (on top of timing.ts's own warm-up): first-touch pages, pools, Adam state. */
const WARMUP_STEPS = 5;

function options(args: string[]): { which: Set<string>; rounds: number } {
  const { values } = parseArgs({ args, options: { cases: { type: 'string' }, rounds: { type: 'string' } }, strict: true, allowPositionals: false });
  const list = (values.cases ?? 'mlp,cnn').split(',').map((s) => s.trim());
  for (const c of list) if (c !== 'mlp' && c !== 'cnn') throw new Error(`train: --cases takes mlp and/or cnn, got "${c}"`);
  const rounds = Number(values.rounds ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`train: --rounds must be a positive integer, got ${values.rounds}`);
  return { which: new Set(list), rounds };
}

function mlp(): Module<[Tensor], Tensor> {
  return new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
}

function cnn(): Module<[Tensor], Tensor> {
  return new Sequential(
    new Conv2d(1, 32, 3), new ReLU(), new Conv2d(32, 64, 3), new ReLU(), new MaxPool2d(2), new Flatten(),
    new Linear(9216, 128), new ReLU(), new Linear(128, 10),
  );
}

/** A Tensile training step closure and a disposer. */
function tensileStep(model: Module<[Tensor], Tensor>, xShape: number[]): { step: () => number; dispose: () => void } {
  const x = randn(xShape);
  const y = randint(0, 10, [xShape[0]!]);
  const opt = new Adam(model.parameters(), { lr: LR });
  let last = 0;
  const step = () => {
    tidy(() => {
      opt.zeroGrad();
      const loss = crossEntropy(model.call(x), y);
      loss.backward();
      opt.step();
      last = loss.itemSync();
    });
    return last;
  };
  return {
    step,
    dispose: () => {
      opt.zeroGrad();
      x.dispose();
      y.dispose();
    },
  };
}

/** tfjs: the same models as explicit variables, trained with tf.train.adam().minimize. */
function tfjsStep(tf: Tf, kind: 'mlp' | 'cnn'): { step: () => void; dispose: () => void } {
  const v = (shape: number[], fanIn: number) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', 1));
  const vars: import('@tensorflow/tfjs').Variable[] = [];
  let x: import('@tensorflow/tfjs').Tensor, forward: () => import('@tensorflow/tfjs').Tensor;
  const n = kind === 'mlp' ? MLP_BATCH : CNN_BATCH;
  if (kind === 'mlp') {
    const w1 = v([784, 256], 784), b1 = v([256], 784), w2 = v([256, 10], 256), b2 = v([10], 256);
    vars.push(w1, b1, w2, b2);
    x = tf.randomNormal([n, 784], 0, 1, 'float32', 2);
    forward = () => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as import('@tensorflow/tfjs').Tensor2D, w1 as import('@tensorflow/tfjs').Tensor2D), b1)), w2 as import('@tensorflow/tfjs').Tensor2D), b2);
  } else {
    // NHWC, tfjs's native layout.
    const c1 = v([3, 3, 1, 32], 9), cb1 = v([32], 9), c2 = v([3, 3, 32, 64], 288), cb2 = v([64], 288);
    const w1 = v([9216, 128], 9216), b1 = v([128], 9216), w2 = v([128, 10], 128), b2 = v([10], 128);
    vars.push(c1, cb1, c2, cb2, w1, b1, w2, b2);
    x = tf.randomNormal([n, 28, 28, 1], 0, 1, 'float32', 2);
    type T4 = import('@tensorflow/tfjs').Tensor4D;
    type T2 = import('@tensorflow/tfjs').Tensor2D;
    forward = () => {
      const h1 = tf.fused.conv2d({ x: x as T4, filter: c1 as T4, strides: 1, pad: 'valid', bias: cb1, activation: 'relu' });
      const h2 = tf.fused.conv2d({ x: h1, filter: c2 as T4, strides: 1, pad: 'valid', bias: cb2, activation: 'relu' });
      const p = tf.reshape(tf.maxPool(h2, 2, 2, 'valid'), [n, 9216]) as T2;
      const f = tf.fused.matMul({ a: p, b: w1 as T2, bias: b1, activation: 'relu' });
      return tf.fused.matMul({ a: f, b: w2 as T2, bias: b2 });
    };
  }
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7) % 10), 'int32'), 10);
  const opt = tf.train.adam(LR);
  const step = () => {
    const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward()) as import('@tensorflow/tfjs').Scalar, true, vars);
    cost?.dataSync();
    cost?.dispose();
  };
  return {
    step,
    dispose: () => {
      tf.dispose([x, labels, ...vars]);
      opt.dispose();
    },
  };
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const { which, rounds } = options(ctx.args);
  const rec = new Recorder(ctx);
  const T = ctx.threads;
  /** Wall seconds per step (median), then process CPU seconds per step over as many steps. */
  const timeSteps = (step: () => unknown): [number, number] => {
    for (let i = 0; i < WARMUP_STEPS; i++) step();
    const t = timeSync(step);
    const n = t.iters * t.reps;
    const u0 = process.cpuUsage();
    for (let i = 0; i < n; i++) step();
    const u = process.cpuUsage(u0);
    return [t.seconds, (u.user + u.system) / 1e6 / n];
  };

  // Tensile and PyTorch alternate, round after round, so that both see the same load; each
  // system's value is the median over rounds. tfjs runs once (first round, first run).
  const samples = new Map<string, { c: string; system: string; threads: number; wall: number[]; cpu: number[] }>();
  const sample = (c: string, system: string, threads: number, wall: number, cpuSec?: number) => {
    const key = `${c}|${system}|${threads}`;
    if (!samples.has(key)) samples.set(key, { c, system, threads, wall: [], cpu: [] });
    const s = samples.get(key)!;
    s.wall.push(wall);
    if (cpuSec !== undefined) s.cpu.push(cpuSec);
    console.log(`  ${c.padEnd(20)} ${system.padEnd(12)} ${threads}t  ${(1 / wall).toFixed(1)} steps/s  (${(wall * 1e3).toFixed(3)} ms/step${cpuSec !== undefined ? `, ${(cpuSec * 1e3).toFixed(3)} CPU ms/step` : ''})`);
  };
  const cpu = await loadTensileCpu();
  rec.available('tensile-cpu', T, cpu);
  const specs: [string, () => Module<[Tensor], Tensor>, number[]][] = [];
  if (which.has('mlp')) specs.push([MLP, mlp, [MLP_BATCH, 784]]);
  if (which.has('cnn')) specs.push([CNN, cnn, [CNN_BATCH, 1, 28, 28]]);
  const pyCases = [];
  if (which.has('mlp')) pyCases.push({ id: MLP, kind: 'train_mlp', batch: MLP_BATCH, lr: LR, warmupSteps: WARMUP_STEPS, cpuTime: true });
  if (which.has('cnn')) pyCases.push({ id: CNN, kind: 'train_cnn', batch: CNN_BATCH, lr: LR, warmupSteps: WARMUP_STEPS, cpuTime: true });
  let torchAvailable = false;

  for (let round = 0; round < rounds; round++) {
    console.log(`  round ${round + 1}/${rounds}`);
    // Tensile cpu
    if (cpu.ok) {
      setDefaultDevice('cpu');
      for (const [name, make, xShape] of specs) {
        await attempt(rec, `tensile-cpu ${name}`, () => {
          manualSeed(0);
          const model = make();
          const { step, dispose } = tensileStep(model, xShape);
          try {
            const [wall, cpuSec] = timeSteps(step);
            const loss = step();
            if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
            sample(name, 'tensile-cpu', T, wall, cpuSec);
          } finally {
            dispose();
            for (const p of model.parameters()) p.dispose();
          }
        });
      }
      setDefaultDevice('js');
    }

    // PyTorch
    const py = runPython(pyCases, T, { systems: ['torch'] });
    if (round === 0) {
      for (const [system, avail] of pythonAvailability(py, ['torch'])) {
        rec.available(system, T, avail);
        torchAvailable = avail.ok;
      }
    }
    for (const r of py.results) sample(r.id, r.system, T, r.seconds, r.cpuSeconds);
    for (const e of py.errors) rec.note(`${e.system} ${e.id} failed: ${e.error}`);
    if (!torchAvailable) break;
  }

  // TensorFlow.js (single-threaded, first run only): the MLP on both backends, the CNN on wasm.
  await forEachTfjsBackend(ctx, rec, async (tf, system, backend) => {
    const kinds: ['mlp' | 'cnn', string][] = [];
    if (which.has('mlp')) kinds.push(['mlp', MLP]);
    if (which.has('cnn') && backend === 'wasm') kinds.push(['cnn', CNN]);
    for (const [kind, name] of kinds) {
      await attempt(rec, `${system} ${name}`, () => {
        const { step, dispose } = tfjsStep(tf, kind);
        try {
          sample(name, system, 1, timeSteps(step)[0]);
        } finally {
          dispose();
        }
      });
    }
    if (which.has('cnn') && backend === 'cpu') rec.note('tfjs-cpu: the CNN case is skipped (seconds per step)');
  });

  for (const s of samples.values()) {
    const n = s.wall.length;
    rec.add(s.c, s.system, s.threads, 'throughput', 1 / median(s.wall), 'steps/s', n > 1 ? `median of ${n} rounds: ${s.wall.map((w) => (1 / w).toFixed(1)).join(', ')} steps/s` : undefined);
    if (s.cpu.length > 0) rec.add(s.c, s.system, s.threads, 'cpu time', median(s.cpu) * 1e3, 'ms', n > 1 ? `median of ${s.cpu.length} rounds` : undefined);
  }
  rec.note(`train: one step = zeroGrad, forward, crossEntropy, backward, Adam step (lr ${LR}) on a fixed random batch; ${WARMUP_STEPS} warm-up steps, then the usual timing; tensile-cpu and torch alternate for ${rounds} rounds and each value is the median over rounds (the rounds are in the JSON notes); throughput = 1 / median step time; cpu time = process CPU time per step (all threads of the process, over as many steps again), which other processes on the cores disturb much less than wall time`);
  return rec.result();
}
