/** MultiheadAttention: golden fixtures (js, and cpu when it loads), gradcheck, parameters and mask semantics. */
import { describe, expect, it } from 'vitest';
import { cat, gradcheck, manualSeed, memory, ones, randn, tensor, tidy, zeros, type Tensor } from '@tensile/core';
import { MultiheadAttention } from '@tensile/nn';
import { camel, moduleFixtureTests } from './support/module-fixtures.js';
import { functionalCall, paramLeaves } from './support/functional-call.js';

moduleFixtureTests('multihead_attention', (init) => {
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(init)) if (k !== 'embed_dim' && k !== 'num_heads') opts[camel(k)] = v;
  return new MultiheadAttention(init.embed_dim as number, init.num_heads as number, opts);
});

const close = (a: Tensor, b: Tensor, tol = 1e-5): void => {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync(), y = b.dataSync();
  for (let i = 0; i < x.length; i++) expect(Math.abs(Number(x[i]) - Number(y[i])), `element ${i}`).toBeLessThanOrEqual(tol);
};
const values = (t: Tensor): number[] => Array.from(t.dataSync() as Float32Array);

describe('MultiheadAttention: parameters', () => {
  it('uses PyTorch names, shapes and order', () => {
    const m = new MultiheadAttention(8, 2);
    expect([...m.namedParameters()].map(([n, p]) => [n, p.shape])).toEqual([
      ['in_proj_weight', [24, 8]], ['in_proj_bias', [24]], ['out_proj.weight', [8, 8]], ['out_proj.bias', [8]],
    ]);
    m.dispose();
    const kv = new MultiheadAttention(8, 2, { kdim: 3, vdim: 5, addBiasKv: true, bias: true });
    expect([...kv.namedParameters()].map(([n, p]) => [n, p.shape])).toEqual([
      ['q_proj_weight', [8, 8]], ['k_proj_weight', [8, 3]], ['v_proj_weight', [8, 5]], ['in_proj_bias', [24]],
      ['bias_k', [1, 1, 8]], ['bias_v', [1, 1, 8]], ['out_proj.weight', [8, 8]], ['out_proj.bias', [8]],
    ]);
    expect(Object.keys(kv.stateDict())).toEqual(['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'in_proj_bias', 'bias_k', 'bias_v', 'out_proj.weight', 'out_proj.bias']);
    kv.dispose();
    const nb = new MultiheadAttention(4, 1, { bias: false });
    expect([...nb.namedParameters()].map(([n]) => n)).toEqual(['in_proj_weight', 'out_proj.weight']);
    nb.dispose();
    expect(() => new MultiheadAttention(10, 3)).toThrow(/embedDim must be divisible by numHeads/);
  });

  it('initialises as PyTorch: xavier_uniform_ in_proj_weight, zero biases', () => {
    manualSeed(3);
    const m = new MultiheadAttention(16, 4);
    const w = values(m.stateDict().in_proj_weight!);
    const bound = Math.sqrt(6 / (16 + 48));
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w)).toBeGreaterThan(bound * 0.8);
    expect(values(m.stateDict().in_proj_bias!).every((v) => v === 0)).toBe(true);
    expect(values(m.stateDict()['out_proj.bias']!).every((v) => v === 0)).toBe(true);
    const ow = values(m.stateDict()['out_proj.weight']!);
    expect(Math.max(...ow.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(16));
    m.dispose();
  });
});

describe('MultiheadAttention: semantics', () => {
  it('needWeights=false gives the same output; averaged and per-head weights agree', () => {
    tidy(() => {
      const m = new MultiheadAttention(8, 2, { batchFirst: true });
      const q = randn([2, 3, 8]), k = randn([2, 4, 8]);
      const [a, w] = m.call(q, k, k);
      const [b, none] = m.call(q, k, k, { needWeights: false });
      const [, wh] = m.call(q, k, k, { averageAttnWeights: false });
      expect(none).toBeNull();
      close(a, b);
      expect(w!.shape).toEqual([2, 3, 4]);
      expect(wh!.shape).toEqual([2, 2, 3, 4]);
      close(w!, wh!.mean(1));
      close(w!.sum(-1), ones([2, 3]));
      m.dispose();
    });
  });

  it('batchFirst=false takes [seq, batch, feature]; unbatched equals a batch entry', () => {
    tidy(() => {
      const bf = new MultiheadAttention(8, 2, { batchFirst: true });
      const sf = new MultiheadAttention(8, 2);
      sf.loadStateDict(bf.stateDict());
      const q = randn([2, 3, 8]), k = randn([2, 5, 8]), v = randn([2, 5, 8]);
      const [a, wa] = bf.call(q, k, v);
      const [b, wb] = sf.call(q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1));
      close(b.transpose(0, 1), a);
      close(wb!, wa!);
      const [u, wu] = sf.call(q.select(0, 1), k.select(0, 1), v.select(0, 1), { keyPaddingMask: tensor([false, false, true, false, false]) });
      const [c, wc] = bf.call(q, k, v, { keyPaddingMask: tensor([[true, false, false, false, false], [false, false, true, false, false]]) });
      expect(u.shape).toEqual([3, 8]);
      expect(wu!.shape).toEqual([3, 5]);
      close(u, c.select(0, 1));
      close(wu!, wc!.select(0, 1));
      bf.dispose();
      sf.dispose();
    });
  });

  it('bool masks mean "not allowed" and equal float -inf masks; padding equals dropping the key', () => {
    tidy(() => {
      const m = new MultiheadAttention(8, 2, { batchFirst: true });
      const q = randn([1, 3, 8]), k = randn([1, 4, 8]), v = randn([1, 4, 8]);
      const bool = tensor([[false, true, false, false], [false, false, false, true], [true, false, false, false]]);
      const float = tensor([[0, -Infinity, 0, 0], [0, 0, 0, -Infinity], [-Infinity, 0, 0, 0]]);
      const [a, wa] = m.call(q, k, v, { attnMask: bool });
      const [b, wb] = m.call(q, k, v, { attnMask: float });
      close(a, b);
      close(wa!, wb!);
      expect(values(wa!.squeeze(0)).filter((_, i) => [1, 7, 8].includes(i))).toEqual([0, 0, 0]);
      // key padding: same as attending over the other keys only
      const [p] = m.call(q, k, v, { keyPaddingMask: tensor([[false, false, true, false]]) });
      const keep = tensor([0, 1, 3], { dtype: 'int64' });
      const [d] = m.call(q, k.indexSelect(1, keep), v.indexSelect(1, keep));
      close(p, d);
      // float key padding mask is added
      const [f] = m.call(q, k, v, { keyPaddingMask: tensor([[0, 0, -Infinity, 0]]) });
      close(f, d);
      m.dispose();
    });
  });

  it('3-D attnMask is per (batch, head); isCausal without a mask builds the causal mask', () => {
    tidy(() => {
      const m = new MultiheadAttention(4, 2, { batchFirst: true });
      const x = randn([2, 3, 4]);
      const causal = ones([3, 3], { dtype: 'bool' }).triu(1);
      const [a, wa] = m.call(x, x, x, { attnMask: causal, averageAttnWeights: false });
      const [b] = m.call(x, x, x, { isCausal: true, needWeights: false });
      close(a, b);
      const [c, wc] = m.call(x, x, x, { attnMask: causal.unsqueeze(0).expand([4, 3, 3]), averageAttnWeights: false });
      close(c, a);
      close(wc!, wa!);
      expect(() => m.call(x, x, x, { attnMask: ones([2, 3, 3], { dtype: 'bool' }) })).toThrow(/3D attn_mask is \[2, 3, 3\], but should be \[4, 3, 3\]/);
      expect(() => m.call(x, x, x, { attnMask: ones([3, 2], { dtype: 'bool' }) })).toThrow(/2D attn_mask is \[3, 2\], but should be \[3, 3\]/);
      m.dispose();
    });
  });

  it('a query with every key masked gets zero weights, not NaN', () => {
    tidy(() => {
      const m = new MultiheadAttention(4, 1, { batchFirst: true });
      const x = randn([1, 2, 4]);
      const [out, w] = m.call(x, x, x, { attnMask: tensor([[true, true], [false, true]]) });
      expect(values(w!)).toEqual([0, 0, 1, 0]);
      expect(values(out).every(Number.isFinite)).toBe(true);
      m.dispose();
    });
  });

  it('kdim/vdim, addBiasKv and addZeroAttn', () => {
    tidy(() => {
      const m = new MultiheadAttention(8, 2, { kdim: 3, vdim: 5, addBiasKv: true, addZeroAttn: true });
      const q = randn([4, 2, 8]), k = randn([6, 2, 3]), v = randn([6, 2, 5]);
      const [out, w] = m.call(q, k, v, { keyPaddingMask: zeros([2, 6], { dtype: 'bool' }), attnMask: zeros([4, 6]) });
      expect(out.shape).toEqual([4, 2, 8]);
      expect(w!.shape).toEqual([2, 4, 8]);
      close(w!.sum(-1), ones([2, 4]));
      // addZeroAttn alone: one extra key whose score is 0 (and value 0); equals an explicit zero key
      // when the projections have no bias (the zero key projects to zero)
      const z = new MultiheadAttention(4, 1, { addZeroAttn: true, bias: false, batchFirst: true });
      const plain = new MultiheadAttention(4, 1, { bias: false, batchFirst: true });
      plain.loadStateDict(z.stateDict());
      const x = randn([1, 2, 4]);
      const xz = cat([x, zeros([1, 1, 4])], 1);
      const [oz, wz] = z.call(x, x, x);
      const [o0, w0] = plain.call(x, xz, xz);
      close(oz, o0);
      close(wz!, w0!);
      plain.dispose();
      m.dispose();
      z.dispose();
    });
  });

  it('dropout on the weights in train mode only', () => {
    tidy(() => {
      const m = new MultiheadAttention(8, 2, { dropout: 0.5, batchFirst: true });
      const x = randn([2, 5, 8]);
      m.eval();
      const [a] = m.call(x, x, x), [b] = m.call(x, x, x);
      close(a, b, 0);
      m.train();
      const [c] = m.call(x, x, x);
      expect(Math.max(...values(c.sub(a).abs()))).toBeGreaterThan(1e-4);
      m.dispose();
    });
  });

  it('keeps memory() flat across forward/backward steps', () => {
    const m = new MultiheadAttention(8, 2);
    const step = () =>
      tidy(() => {
        const x = randn([5, 2, 8]);
        const [out, w] = m.call(x, x, x, { keyPaddingMask: zeros([2, 5], { dtype: 'bool' }) });
        out.sum().add(w!.sum()).backward();
      });
    step();
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(memory().numTensors).toBe(before);
    m.zeroGrad();
    m.dispose();
  });
});

describe('MultiheadAttention: gradcheck (float64, js)', () => {
  const f64 = (shape: number[], seed: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tensor(Float64Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.7)), { dtype: 'float64', shape, requiresGrad: true });
  };
  const check = (m: MultiheadAttention, inputs: Tensor[], run: (x: Tensor[]) => Tensor[]) => {
    m.to('float64');
    const leaves = paramLeaves(m);
    const fn = (...args: Tensor[]) =>
      functionalCall(m, Object.fromEntries(leaves.map(([n], i) => [n, args[inputs.length + i]!])), () => run(args.slice(0, inputs.length)));
    expect(gradcheck(fn, [...inputs, ...leaves.map(([, p]) => p)], { eps: 1e-6, atol: 1e-5, rtol: 1e-3 })).toBe(true);
    m.dispose();
  };

  it('self/cross attention with key padding and attn masks, per-head weights', () => {
    manualSeed(4);
    const m = new MultiheadAttention(4, 2, { batchFirst: true });
    const kpm = tensor([[false, false, true]]);
    const am = tensor([[0, -1.5, 0], [0.5, 0, 0]], { dtype: 'float64' });
    check(m, [f64([1, 2, 4], 1), f64([1, 3, 4], 2), f64([1, 3, 4], 3)], ([q, k, v]) => {
      const [out, w] = m.call(q!, k!, v!, { keyPaddingMask: kpm, attnMask: am, averageAttnWeights: false });
      return [out, w!];
    });
  });

  it('kdim/vdim with addBiasKv', () => {
    manualSeed(5);
    const m = new MultiheadAttention(4, 2, { kdim: 3, vdim: 2, addBiasKv: true });
    check(m, [f64([2, 1, 4], 4), f64([2, 1, 3], 5), f64([2, 1, 2], 6)], ([q, k, v]) => {
      const [out, w] = m.call(q!, k!, v!);
      return [out, w!];
    });
  });
});
