/** Transformer layers: golden fixtures (js, and cpu when it loads), names, stacking, masks and memory. */
import { describe, expect, it } from 'vitest';
import { gelu, manualSeed, memory, noGrad, randn, tensor, tidy, type Tensor } from '@tensile/core';
import {
  LayerNorm,
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
  generateSquareSubsequentMask,
} from '@tensile/nn';
import { camel, moduleFixtureTests } from './support/module-fixtures.js';

moduleFixtureTests('transformer_encoder_layer', (init) => {
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(init)) if (k !== 'd_model' && k !== 'nhead') opts[camel(k)] = v;
  return new TransformerEncoderLayer(init.d_model as number, init.nhead as number, opts);
});

const close = (a: Tensor, b: Tensor, tol = 1e-5): void => {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync(), y = b.dataSync();
  for (let i = 0; i < x.length; i++) expect(Math.abs(Number(x[i]) - Number(y[i])), `element ${i}`).toBeLessThanOrEqual(tol);
};
const values = (t: Tensor): number[] => Array.from(t.dataSync() as Float32Array);

describe('Transformer layers: names', () => {
  it('encoder and decoder layers use PyTorch submodule names and defaults', () => {
    const e = new TransformerEncoderLayer(8, 2);
    expect([...e.namedChildren()].map(([n]) => n)).toEqual(['self_attn', 'linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'dropout1', 'dropout2']);
    expect(Object.keys(e.stateDict())).toEqual([
      'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
      'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
    ]);
    expect(e.linear1.outFeatures).toBe(2048);
    expect(e.dropout.p).toBe(0.1);
    expect(e.norm1.eps).toBe(1e-5);
    expect(e.selfAttn.dropout).toBe(0.1);
    e.dispose();
    const d = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, bias: false });
    expect([...d.namedChildren()].map(([n]) => n)).toEqual([
      'self_attn', 'multihead_attn', 'linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'norm3', 'dropout1', 'dropout2', 'dropout3',
    ]);
    expect(Object.keys(d.stateDict())).toEqual([
      'self_attn.in_proj_weight', 'self_attn.out_proj.weight', 'multihead_attn.in_proj_weight', 'multihead_attn.out_proj.weight',
      'linear1.weight', 'linear2.weight', 'norm1.weight', 'norm2.weight', 'norm3.weight',
    ]);
    d.dispose();
  });

  it('Transformer has encoder.layers.{i}, encoder.norm, decoder.layers.{i}, decoder.norm', () => {
    const t = new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 16 });
    const keys = Object.keys(t.stateDict());
    expect(keys.filter((k) => k.endsWith('in_proj_weight'))).toEqual([
      'encoder.layers.0.self_attn.in_proj_weight', 'encoder.layers.1.self_attn.in_proj_weight',
      'decoder.layers.0.self_attn.in_proj_weight', 'decoder.layers.0.multihead_attn.in_proj_weight',
    ]);
    expect(keys).toContain('encoder.norm.weight');
    expect(keys).toContain('decoder.norm.bias');
    expect(keys.length).toBe(2 * 12 + 2 + 18 + 2);
    const out = tidy(() => t.eval().call(randn([5, 3, 8]), randn([4, 3, 8]), { tgtMask: generateSquareSubsequentMask(4) }));
    expect(out.shape).toEqual([4, 3, 8]);
    out.dispose();
    t.dispose();
  });
});

describe('Transformer layers: semantics', () => {
  it('generateSquareSubsequentMask: -inf above the diagonal', () => {
    const m = generateSquareSubsequentMask(3);
    expect(values(m)).toEqual([0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0]);
    expect(values(Transformer.generateSquareSubsequentMask(2))).toEqual([0, -Infinity, 0, 0]);
    m.dispose();
  });

  it('post-norm and pre-norm encoder layers follow PyTorch formulas', () => {
    tidy(() => {
      for (const normFirst of [false, true]) {
        const l = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, normFirst, activation: 'gelu', batchFirst: true }).eval();
        const x = randn([2, 4, 8]);
        const sa = (y: Tensor) => l.selfAttn.call(y, y, y, { needWeights: false })[0];
        const ff = (y: Tensor) => l.linear2.call(gelu(l.linear1.call(y)));
        let want: Tensor;
        if (normFirst) {
          const h = x.add(sa(l.norm1.call(x)));
          want = h.add(ff(l.norm2.call(h)));
        } else {
          const h = l.norm1.call(x.add(sa(x)));
          want = l.norm2.call(h.add(ff(h)));
        }
        close(l.call(x), want);
        l.dispose();
      }
    });
  });

  it('causal masks keep earlier outputs independent of later positions', () => {
    tidy(() => {
      const enc = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }).eval();
      const dec = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, normFirst: true }).eval();
      const x = randn([4, 2, 8]), mem = randn([3, 2, 8]);
      const x2 = x.clone();
      noGrad(() => x2.narrow(0, 3, 1).fill_(5));
      const mask = generateSquareSubsequentMask(4);
      close(enc.call(x, { srcMask: mask }).narrow(0, 0, 3), enc.call(x2, { srcMask: mask }).narrow(0, 0, 3));
      close(enc.call(x, { isCausal: true }), enc.call(x, { srcMask: mask }));
      close(dec.call(x, mem, { tgtMask: mask }).narrow(0, 0, 3), dec.call(x2, mem, { tgtMask: mask }).narrow(0, 0, 3));
      close(dec.call(x, mem, { tgtIsCausal: true }), dec.call(x, mem, { tgtMask: mask }));
      // memory key padding: a padded memory position does not influence the output
      const mem2 = mem.clone();
      noGrad(() => mem2.narrow(0, 2, 1).fill_(-3));
      const mkpm = tensor([[false, false, true], [false, false, true]]);
      close(dec.call(x, mem, { memoryKeyPaddingMask: mkpm }), dec.call(x, mem2, { memoryKeyPaddingMask: mkpm }));
      enc.dispose();
      dec.dispose();
    });
  });

  it('TransformerEncoder holds independent deep copies and applies the final norm', () => {
    tidy(() => {
      manualSeed(7);
      const proto = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
      const enc = new TransformerEncoder(proto, 3, { norm: new LayerNorm(8) }).eval();
      expect(enc.layers.length).toBe(3);
      const sd = enc.stateDict();
      close(sd['layers.2.linear1.weight']!, proto.stateDict()['linear1.weight']!, 0);
      expect(enc.layers.at(0).linear1.weight).not.toBe(enc.layers.at(1).linear1.weight);
      noGrad(() => enc.layers.at(1).linear1.weight.fill_(0.01));
      expect(values(enc.layers.at(0).linear1.weight)).toEqual(values(proto.linear1.weight));
      expect(enc.layers.at(0).training).toBe(false);
      const x = randn([2, 5, 8]);
      const kpm = tensor([[false, false, false, true, true], [false, false, false, false, false]]);
      let want = x;
      for (const l of enc.layers) want = l.call(want, { srcKeyPaddingMask: kpm });
      close(enc.call(x, { srcKeyPaddingMask: kpm }), enc.norm!.call(want));
      // clones follow a layer moved to another dtype
      const p64 = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }).to('float64');
      const c64 = p64.clone();
      expect([...c64.parameters()].every((p) => p.dtype === 'float64')).toBe(true);
      p64.dispose();
      c64.dispose();
      // a factory works too
      const enc2 = new TransformerEncoder(() => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2);
      expect(Object.keys(enc2.stateDict())).toContain('layers.1.norm2.bias');
      proto.dispose();
      enc.dispose();
      enc2.dispose();
    });
  });

  it('TransformerDecoder stacks decoder layers', () => {
    tidy(() => {
      const proto = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
      const dec = new TransformerDecoder(proto, 2).eval();
      const tgt = randn([4, 2, 8]), mem = randn([6, 2, 8]);
      const mask = generateSquareSubsequentMask(4);
      let want = tgt;
      for (const l of dec.layers) want = l.call(want, mem, { tgtMask: mask });
      close(dec.call(tgt, mem, { tgtMask: mask }), want);
      proto.dispose();
      dec.dispose();
    });
  });

  it('dropout is active in train mode only', () => {
    tidy(() => {
      const l = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.5 });
      const x = randn([5, 2, 8]);
      l.eval();
      close(l.call(x), l.call(x), 0);
      l.train();
      expect(Math.max(...values(l.call(x).sub(l.call(x)).abs()))).toBeGreaterThan(1e-4);
      l.dispose();
    });
  });

  it('keeps memory() flat across training steps of an encoder', () => {
    const enc = new TransformerEncoder(() => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }), 2);
    const step = () =>
      tidy(() => {
        const y = enc.call(randn([2, 5, 8]), { srcKeyPaddingMask: tensor([[false, false, false, false, true], [false, false, false, false, false]]) });
        y.pow(2).mean().backward();
      });
    step();
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(memory().numTensors).toBe(before);
    enc.zeroGrad();
    enc.dispose();
  });
});
