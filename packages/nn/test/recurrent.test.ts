/** RNN, LSTM, GRU and their cells: golden fixtures (js, and cpu when it loads), gradchecks, shapes and semantics. */
import { describe, expect, it } from 'vitest';
import { gradcheck, manualSeed, memory, randn, tensor, tidy, type Tensor } from '@tensile/core';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from '@tensile/nn';
import { camel, moduleFixtureTests } from './support/module-fixtures.js';
import { functionalCall, paramLeaves } from './support/functional-call.js';

/** PyTorch constructor kwargs (snake_case) -> [inputSize, hiddenSize, options]. */
function rnnArgs(init: Record<string, any>): [number, number, Record<string, unknown>] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(init)) if (k !== 'input_size' && k !== 'hidden_size') opts[camel(k)] = v;
  return [init.input_size as number, init.hidden_size as number, opts];
}

moduleFixtureTests('rnn', (init) => new RNN(...rnnArgs(init)));
moduleFixtureTests('lstm', (init) => new LSTM(...rnnArgs(init)));
moduleFixtureTests('gru', (init) => new GRU(...rnnArgs(init)));

const close = (a: Tensor, b: Tensor, tol = 1e-6): void => {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync(), y = b.dataSync();
  for (let i = 0; i < x.length; i++) expect(Math.abs(Number(x[i]) - Number(y[i]))).toBeLessThanOrEqual(tol);
};

describe('recurrent layers: parameters', () => {
  it('registers PyTorch names and shapes, in PyTorch order', () => {
    const m = new LSTM(3, 5, { numLayers: 2, bidirectional: true });
    const shapes = Object.fromEntries([...m.namedParameters()].map(([n, p]) => [n, p.shape]));
    expect(Object.keys(shapes)).toEqual([
      'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0',
      'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse',
      'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1',
      'weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'bias_ih_l1_reverse', 'bias_hh_l1_reverse',
    ]);
    expect(shapes.weight_ih_l0).toEqual([20, 3]);
    expect(shapes.weight_hh_l0).toEqual([20, 5]);
    expect(shapes.weight_ih_l1_reverse).toEqual([20, 10]);
    expect(shapes.bias_hh_l1).toEqual([20]);
    expect(Object.keys(m.stateDict())).toEqual(Object.keys(shapes));
    m.dispose();
    const g = new GRU(4, 6, { bias: false });
    expect([...g.namedParameters()].map(([n, p]) => [n, p.shape])).toEqual([['weight_ih_l0', [18, 4]], ['weight_hh_l0', [18, 6]]]);
    g.dispose();
    const p = new LSTM(3, 5, { projSize: 2 });
    expect([...p.namedParameters()].map(([n, q]) => [n, q.shape])).toEqual([
      ['weight_ih_l0', [20, 3]], ['weight_hh_l0', [20, 2]], ['bias_ih_l0', [20]], ['bias_hh_l0', [20]], ['weight_hr_l0', [2, 5]],
    ]);
    p.dispose();
    const c = new GRUCell(3, 4);
    expect([...c.namedParameters()].map(([n, q]) => [n, q.shape])).toEqual([['weight_ih', [12, 3]], ['weight_hh', [12, 4]], ['bias_ih', [12]], ['bias_hh', [12]]]);
    c.dispose();
  });

  it('initialises every parameter from uniform(-1/sqrt(hidden), 1/sqrt(hidden))', () => {
    manualSeed(0);
    const m = new RNN(10, 16, { numLayers: 2 });
    for (const [, p] of m.namedParameters()) {
      const v = Array.from(p.dataSync() as Float32Array);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(0.25);
      expect(Math.max(...v)).toBeGreaterThan(0.15);
      expect(Math.min(...v)).toBeLessThan(-0.15);
    }
    m.dispose();
  });

  it('rejects bad arguments with clear messages', () => {
    expect(() => new RNN(3, 4, { nonlinearity: 'sigmoid' as never })).toThrow(/unknown nonlinearity 'sigmoid'/);
    expect(() => new GRU(3, 0)).toThrow(/hiddenSize must be a positive integer/);
    expect(() => new GRU(3, 4, { projSize: 2 } as never)).toThrow(/projSize argument is only supported for LSTM/);
    const m = new LSTM(3, 4);
    expect(() => m.call(randn([2, 5, 2]))).toThrow(/input.size\(-1\) must be equal to inputSize. Expected 3, got 2/);
    expect(() => m.call(randn([5, 2, 3]), [randn([1, 3, 4]), randn([1, 2, 4])])).toThrow(/expected hidden size \[1, 2, 4\], got \[1, 3, 4\]/);
    expect(() => m.call(randn([5, 2, 3]), randn([1, 2, 4]) as never)).toThrow(/pair \[h0, c0\]/);
    m.dispose();
  });
});

describe('recurrent layers: semantics', () => {
  it('shapes for multi-layer bidirectional, batchFirst and unbatched inputs', () => {
    tidy(() => {
      const m = new GRU(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true });
      const x = randn([2, 5, 3]);
      const [out, h] = m.call(x);
      expect(out.shape).toEqual([2, 5, 8]);
      expect(h.shape).toEqual([4, 2, 4]);
      // the last forward step and the first reverse step of the top layer are in hN
      close(out.select(1, 4).narrow(1, 0, 4), h.select(0, 2));
      close(out.select(1, 0).narrow(1, 4, 4), h.select(0, 3));
      // unbatched [seq, feature] equals the batch entry
      const [o1, h1] = m.call(x.select(0, 1));
      expect(o1.shape).toEqual([5, 8]);
      expect(h1.shape).toEqual([4, 4]);
      close(o1, out.select(0, 1));
      close(h1, h.select(1, 1));
      m.dispose();
    });
  });

  it('LSTM returns [output, [hN, cN]], takes (h0, c0), and matches LSTMCell unrolled', () => {
    tidy(() => {
      const m = new LSTM(3, 4);
      const cell = new LSTMCell(3, 4);
      const sd = m.stateDict();
      cell.loadStateDict({ weight_ih: sd.weight_ih_l0!, weight_hh: sd.weight_hh_l0!, bias_ih: sd.bias_ih_l0!, bias_hh: sd.bias_hh_l0! });
      const x = randn([6, 2, 3]), h0 = randn([1, 2, 4]), c0 = randn([1, 2, 4]);
      const [out, [hN, cN]] = m.call(x, [h0, c0]);
      let h = h0.select(0, 0), c = c0.select(0, 0);
      for (let t = 0; t < 6; t++) {
        [h, c] = cell.call(x.select(0, t), [h, c]);
        close(out.select(0, t), h, 1e-6);
      }
      close(hN.select(0, 0), h);
      close(cN.select(0, 0), c);
      // unbatched cell
      const [hu, cu] = cell.call(x.select(0, 0).select(0, 1), [h0.select(0, 0).select(0, 1), c0.select(0, 0).select(0, 1)]);
      expect(hu.shape).toEqual([4]);
      expect(cu.shape).toEqual([4]);
      m.dispose();
      cell.dispose();
    });
  });

  it('GRU and RNN (relu) match their cells unrolled', () => {
    tidy(() => {
      const g = new GRU(2, 3), gc = new GRUCell(2, 3);
      const r = new RNN(2, 3, { nonlinearity: 'relu' }), rc = new RNNCell(2, 3, { nonlinearity: 'relu' });
      const sd = (m: GRU | RNN) => ({ weight_ih: m.stateDict().weight_ih_l0!, weight_hh: m.stateDict().weight_hh_l0!, bias_ih: m.stateDict().bias_ih_l0!, bias_hh: m.stateDict().bias_hh_l0! });
      gc.loadStateDict(sd(g));
      rc.loadStateDict(sd(r));
      const x = randn([4, 2, 2]);
      for (const [m, c] of [[g, gc], [r, rc]] as const) {
        const [out, hN] = m.call(x);
        let h: Tensor | null = null;
        for (let t = 0; t < 4; t++) h = c.call(x.select(0, t), h);
        close(out.select(0, 3), h!);
        close(hN.select(0, 0), h!);
        m.dispose();
        c.dispose();
      }
    });
  });

  it('LSTM with projSize projects the hidden state', () => {
    tidy(() => {
      const m = new LSTM(3, 5, { projSize: 2, numLayers: 2, bidirectional: true });
      const [out, [h, c]] = m.call(randn([4, 2, 3]));
      expect(out.shape).toEqual([4, 2, 4]);
      expect(h.shape).toEqual([4, 2, 2]);
      expect(c.shape).toEqual([4, 2, 5]);
      m.dispose();
    });
  });

  it('applies dropout between layers in train mode only', () => {
    tidy(() => {
      const m = new LSTM(3, 8, { numLayers: 2, dropout: 0.5 });
      const x = randn([5, 2, 3]);
      m.eval();
      const [a] = m.call(x), [b] = m.call(x);
      close(a, b, 0);
      m.train();
      const [c] = m.call(x);
      const diff = Array.from(c.sub(a).abs().dataSync() as Float32Array);
      expect(Math.max(...diff)).toBeGreaterThan(1e-4);
      m.dispose();
    });
  });

  it('keeps memory() flat across forward/backward steps', () => {
    const m = new GRU(3, 4, { numLayers: 2, bidirectional: true });
    const step = () =>
      tidy(() => {
        const [out, h] = m.call(randn([5, 2, 3]));
        out.sum().add(h.sum()).backward();
      });
    step();
    m.zeroGrad({ setToNone: false });
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(memory().numTensors).toBe(before);
    m.zeroGrad();
    m.dispose();
  });
});

describe('recurrent layers: gradcheck (float64, js)', () => {
  const check = (m: LSTM | GRU, inputs: Tensor[], run: (x: Tensor[]) => Tensor[]) => {
    m.to('float64');
    const leaves = paramLeaves(m);
    const names = leaves.map(([n]) => n);
    const fn = (...args: Tensor[]) => {
      const ps = Object.fromEntries(names.map((n, i) => [n, args[inputs.length + i]!]));
      return functionalCall(m, ps, () => run(args.slice(0, inputs.length)));
    };
    expect(gradcheck(fn, [...inputs, ...leaves.map(([, p]) => p)], { eps: 1e-6, atol: 1e-5, rtol: 1e-3 })).toBe(true);
    m.dispose();
  };
  const f64 = (shape: number[], seed: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tensor(Float64Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.7) * 0.8), { dtype: 'float64', shape, requiresGrad: true });
  };

  it('LSTM, 2 layers, bidirectional, batchFirst, with (h0, c0)', () => {
    manualSeed(1);
    const m = new LSTM(2, 2, { numLayers: 2, bidirectional: true, batchFirst: true });
    check(m, [f64([1, 2, 2], 1), f64([4, 1, 2], 2), f64([4, 1, 2], 3)], ([x, h0, c0]) => {
      const [out, [h, c]] = m.call(x!, [h0!, c0!]);
      return [out, h, c];
    });
  });

  it('GRU with h0', () => {
    manualSeed(2);
    const m = new GRU(2, 3);
    check(m, [f64([3, 2, 2], 4), f64([1, 2, 3], 5)], ([x, h0]) => {
      const [out, h] = m.call(x!, h0!);
      return [out, h];
    });
  });
});
