// Fused optimizer steps (native/optim.cc through core's Overrides.fused*): @tensile/optim's
// optimizers on 'cpu' take the fused path (counted with spies), and after many steps on random
// params and grads their params and state equal, bit for bit, the same optimizers run on 'js'
// (the composite update), for every option combination, float32 and float64, contiguous and
// strided gradients, parameters large enough to be split over threads, and groups too large for
// one native call. Unsupported dtypes are declined and composed instead.
import '@tensile/cpu';
import { getBackend, keep, memory, noGrad, tensor, type DType, type Overrides, type Tensor } from '@tensile/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer } from '../../optim/src/index.js';
import { rng } from '../../../config/testing/random.js';

const cpuOverrides = getBackend('cpu').overrides!;
type FusedName = 'fusedSgd' | 'fusedAdam' | 'fusedAdamW' | 'fusedRmsprop' | 'fusedAdagrad';

/** Random values in (-2, 2) with some exact zeros and negative zeros. */
function randomValues(n: number, r: () => number): number[] {
  return Array.from({ length: n }, () => {
    const u = r();
    if (u < 0.03) return 0;
    if (u < 0.05) return -0;
    return (r() - 0.5) * 4;
  });
}

function make(values: number[], shape: number[], dtype: DType, device: string): Tensor {
  const data = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
  return tensor(data, { shape, dtype, device });
}

/** Bits of a tensor's values (float64 view of float32 values keeps every bit, -0 and NaN included). */
function bits(t: Tensor): number[] {
  return Array.from(t.contiguous().dataSync() as ArrayLike<number>, Number);
}

function expectSameBits(a: Tensor, b: Tensor, what: string): void {
  const x = bits(a), y = bits(b);
  expect(x.length, `${what}: length`).toBe(y.length);
  const bad: string[] = [];
  for (let i = 0; i < x.length && bad.length < 5; i++) if (!Object.is(x[i], y[i])) bad.push(`[${i}] cpu ${x[i]} js ${y[i]}`);
  expect(bad, `${what}: elements differ`).toEqual([]);
}

type Ctor = new (params: Tensor[], opts: Record<string, unknown>) => Optimizer<object>;

interface Setup {
  /** Shapes of the parameters. */
  shapes: number[][];
  dtype: DType;
  steps: number;
  /** Gradients as transposed views (non-contiguous, 2-d shapes only). */
  stridedGrads?: boolean;
  seed: number;
}

/**
 * Run `ctor` with `opts` on cpu and on js from the same data for `steps` steps with fresh random
 * gradients; compare every param and state tensor bit for bit after each step.
 */
function compareWithComposite(ctor: Ctor, opts: Record<string, unknown>, s: Setup): void {
  const r = rng(s.seed);
  const init = s.shapes.map((sh) => randomValues(sh.reduce((a, b) => a * b, 1), r));
  const mk = (device: string) => init.map((v, i) => keep(make(v, s.shapes[i]!, s.dtype, device).requiresGrad_(true)));
  const pc = mk('cpu'), pj = mk('js');
  const oc = new ctor(pc, opts), oj = new ctor(pj, opts);
  try {
    for (let step = 1; step <= s.steps; step++) {
      s.shapes.forEach((sh, i) => {
        const n = sh.reduce((a, b) => a * b, 1);
        const g = randomValues(n, r);
        for (const [p, device] of [[pc[i]!, 'cpu'], [pj[i]!, 'js']] as const) {
          p.grad?.dispose();
          p.grad = s.stridedGrads && sh.length === 2 ? keep(make(g, [sh[1]!, sh[0]!], s.dtype, device).t()) : keep(make(g, sh, s.dtype, device));
        }
      });
      oc.step();
      oj.step();
      pc.forEach((p, i) => {
        expectSameBits(p, pj[i]!, `step ${step} param ${i}`);
        const sc = oc.state.get(p)!, sj = oj.state.get(pj[i]!)!;
        expect(Object.keys(sc).sort(), `step ${step} state keys`).toEqual(Object.keys(sj).sort());
        for (const [k, v] of Object.entries(sj)) {
          if (typeof v === 'number') expect(sc[k], `step ${step} state ${k}`).toBe(v);
          else expectSameBits(sc[k] as Tensor, v, `step ${step} param ${i} state ${k}`);
        }
      });
    }
  } finally {
    oc.dispose();
    oj.dispose();
    for (const p of [...pc, ...pj]) {
      p.grad?.dispose();
      p.dispose();
    }
  }
}

const spies: { restore(): void }[] = [];
afterEach(() => {
  for (const s of spies.splice(0)) s.restore();
});

/** Count the calls to a fused kernel and how many of them ran (did not decline). */
function spy(name: FusedName): { calls: number; ran: number } {
  const count = { calls: 0, ran: 0 };
  const orig = cpuOverrides[name]!;
  const o = cpuOverrides as Required<Overrides>;
  o[name] = (entries, hyper) => {
    count.calls++;
    const res = orig(entries, hyper);
    if (res !== false) count.ran++;
    return res;
  };
  spies.push({ restore: () => void (o[name] = orig) });
  return count;
}

const CASES: [string, Ctor, FusedName, Record<string, unknown>[]][] = [
  ['SGD', SGD as unknown as Ctor, 'fusedSgd', [
    { lr: 0.1 },
    { lr: 0.05, momentum: 0.9 },
    { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 },
    { lr: 0.03, momentum: 0.8, nesterov: true, weightDecay: 1e-3, maximize: true },
    { lr: 0.1, weightDecay: 0.1, maximize: true },
  ]],
  ['Adam', Adam as unknown as Ctor, 'fusedAdam', [
    {},
    { lr: 1e-2, weightDecay: 0.1 },
    { lr: 3e-3, amsgrad: true },
    { lr: 1e-2, maximize: true, amsgrad: true, weightDecay: 1e-2, betas: [0.8, 0.99], eps: 1e-6 },
  ]],
  ['AdamW', AdamW as unknown as Ctor, 'fusedAdamW', [
    {},
    { lr: 1e-2, weightDecay: 0 },
    { lr: 1e-2, amsgrad: true, maximize: true, weightDecay: 0.1 },
  ]],
  ['RMSprop', RMSprop as unknown as Ctor, 'fusedRmsprop', [
    {},
    { lr: 1e-3, momentum: 0.9 },
    { lr: 1e-3, centered: true },
    { lr: 1e-3, centered: true, momentum: 0.5, weightDecay: 0.1, maximize: true, alpha: 0.9 },
  ]],
  ['Adagrad', Adagrad as unknown as Ctor, 'fusedAdagrad', [
    {},
    { lrDecay: 0.1, weightDecay: 0.1 },
    { initialAccumulatorValue: 0.1, maximize: true, eps: 1e-6 },
  ]],
];

const SHAPES = [[7, 5], [13], [3, 2, 4], [1], [0, 3]];

describe('fused optimizer steps on cpu equal the composite on js, bit for bit', () => {
  for (const [name, ctor, fused, optsList] of CASES) {
    for (const dtype of ['float32', 'float64'] as const) {
      optsList.forEach((opts, ci) => {
        it(`${name} ${JSON.stringify(opts)} ${dtype}`, () => {
          const count = spy(fused);
          compareWithComposite(ctor, opts, { shapes: SHAPES, dtype, steps: 8, seed: 17 + ci * 101 });
          // SGD with momentum composes its first step (the momentum buffer does not exist yet)
          const expected = name === 'SGD' && opts.momentum ? 7 : 8;
          expect(count.ran).toBe(expected);
        });
      });
    }
  }

  it('strided (transposed) gradients', () => {
    const count = spy('fusedAdam');
    compareWithComposite(Adam as unknown as Ctor, { lr: 1e-2, amsgrad: true, weightDecay: 0.01 }, { shapes: [[9, 6], [4, 11]], dtype: 'float32', steps: 5, stridedGrads: true, seed: 5 });
    compareWithComposite(SGD as unknown as Ctor, { lr: 0.1, momentum: 0.9, nesterov: true }, { shapes: [[9, 6]], dtype: 'float64', steps: 4, stridedGrads: true, seed: 6 });
    expect(count.ran).toBe(5);
  });

  it('large parameters (split over threads) and strided ones', () => {
    const count = spy('fusedAdamW');
    compareWithComposite(AdamW as unknown as Ctor, { lr: 1e-2 }, { shapes: [[300, 170], [70001]], dtype: 'float32', steps: 3, seed: 7 });
    compareWithComposite(AdamW as unknown as Ctor, { lr: 1e-2 }, { shapes: [[260, 150]], dtype: 'float32', steps: 2, stridedGrads: true, seed: 8 });
    expect(count.ran).toBe(5);
  });

  it('groups larger than one native call (many parameters, high rank)', () => {
    const count = spy('fusedRmsprop');
    const shapes = [...Array.from({ length: 40 }, (_, i) => [i % 5 + 1, 3]), ...Array.from({ length: 6 }, () => [2, 1, 2, 1, 3, 1, 1, 2, 1, 1, 2, 1])];
    compareWithComposite(RMSprop as unknown as Ctor, { centered: true, momentum: 0.9 }, { shapes, dtype: 'float32', steps: 3, seed: 9 });
    expect(count.ran).toBe(3);
  });
});

describe('fused optimizer hook', () => {
  it('bumps the storage versions of params and state', () => {
    const p = keep(tensor([1, 2, 3], { device: 'cpu' }).requiresGrad_(true));
    p.grad = keep(tensor([0.5, -1, 2], { device: 'cpu' }));
    const opt = new Adam([p], { lr: 0.1 });
    opt.step();
    const v0 = p.storage.version, s0 = (opt.state.get(p)!.expAvg as Tensor).storage.version;
    const count = spy('fusedAdam');
    opt.step();
    expect(count.ran).toBe(1);
    expect(p.storage.version).toBeGreaterThan(v0);
    expect((opt.state.get(p)!.expAvg as Tensor).storage.version).toBeGreaterThan(s0);
    expect(opt.state.get(p)!.step).toBe(2);
    opt.dispose();
    p.grad.dispose();
    p.dispose();
  });

  it('declines float16 parameters (composed instead) without advancing the step twice', () => {
    const count = spy('fusedAdam');
    const mk = (device: string) => {
      const p = keep(tensor([0.5, -1.5, 2], { device, dtype: 'float16' }).requiresGrad_(true));
      p.grad = keep(tensor([0.25, 1, -3], { device, dtype: 'float16' }));
      return p;
    };
    const pc = mk('cpu'), pj = mk('js');
    const oc = new Adam([pc], { lr: 0.1 }), oj = new Adam([pj], { lr: 0.1 });
    for (let i = 0; i < 3; i++) {
      oc.step();
      oj.step();
    }
    expect(count.calls).toBe(3);
    expect(count.ran).toBe(0);
    expect(oc.state.get(pc)!.step).toBe(3);
    expect(bits(pc)).toEqual(bits(pj));
    for (const o of [oc, oj]) o.dispose();
    for (const p of [pc, pj]) {
      p.grad!.dispose();
      p.dispose();
    }
  });

  it('leaves no garbage: live tensors stay flat over steps', () => {
    const p = keep(tensor(Float32Array.from({ length: 64 }, (_, i) => i / 64), { device: 'cpu' }).requiresGrad_(true));
    p.grad = keep(noGrad(() => p.mul(0.5)));
    const opt = new Adam([p], { amsgrad: true });
    opt.step();
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) opt.step();
    expect(memory().numTensors).toBe(before);
    opt.dispose();
    p.grad.dispose();
    p.dispose();
  });
});
