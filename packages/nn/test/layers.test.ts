/**
 * Layers the shared fixtures do not cover, against PyTorch 1.13 values in test/data/torch-layers.json
 * (made by test/data/make_torch_layers.py, same format as fixtures/modules), plus behaviour tests.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, memory, ones, randn, tensor, tidy, zeros, type Tensor } from '@tensile/core';
import * as nn from '@tensile/nn';
import { functional as F } from '@tensile/nn';
import { moduleCaseTests, type ModuleCase, type ModuleFamily } from './support/module-fixtures.js';

const fam = JSON.parse(readFileSync(new URL('./data/torch-layers.json', import.meta.url), 'utf8')) as ModuleFamily;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Init = Record<string, any>;
const act = (k: string, a: Init): nn.Module<[Tensor], Tensor> | undefined => {
  switch (k) {
    case 'ReLU': return new nn.ReLU();
    case 'ReLU6': return new nn.ReLU6();
    case 'GELU': return new nn.GELU({ approximate: a.approximate });
    case 'SiLU': return new nn.SiLU();
    case 'Mish': return new nn.Mish();
    case 'Tanh': return new nn.Tanh();
    case 'Sigmoid': return new nn.Sigmoid();
    case 'LogSigmoid': return new nn.LogSigmoid();
    case 'Softmax': return new nn.Softmax(a.dim);
    case 'LogSoftmax': return new nn.LogSoftmax(a.dim);
    case 'Softmin': return new nn.Softmin(a.dim);
    case 'LeakyReLU': return new nn.LeakyReLU(a.negative_slope);
    case 'ELU': return new nn.ELU(a.alpha);
    case 'CELU': return new nn.CELU(a.alpha);
    case 'SELU': return new nn.SELU();
    case 'Softplus': return new nn.Softplus({ beta: a.beta, threshold: a.threshold });
    case 'Softsign': return new nn.Softsign();
    case 'Tanhshrink': return new nn.Tanhshrink();
    case 'Hardtanh': return new nn.Hardtanh(a.min_val, a.max_val);
    case 'Hardsigmoid': return new nn.Hardsigmoid();
    case 'Hardswish': return new nn.Hardswish();
    case 'GLU': return new nn.GLU(a.dim);
    case 'Threshold': return new nn.Threshold(a.threshold, a.value);
    case 'PReLU': return new nn.PReLU(a.num_parameters);
  }
  return undefined;
};

const factory = (a: Init, c: ModuleCase): nn.Module<never[], unknown> => {
  const k = c.module.replace('torch.nn.', '');
  const weighted = 'weight' in c.state_dict; // a loss built with a class weight (a buffer)
  const conv = { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups, bias: a.bias, paddingMode: a.padding_mode };
  const w = () => randn([5]); // placeholder weight, replaced by the case's state_dict
  switch (k) {
    case 'Conv1d': return new nn.Conv1d(a.in_channels, a.out_channels, a.kernel_size, conv) as never;
    case 'Conv2d': return new nn.Conv2d(a.in_channels, a.out_channels, a.kernel_size, conv) as never;
    case 'ConvTranspose2d': return new nn.ConvTranspose2d(a.in_channels, a.out_channels, a.kernel_size, { ...conv, outputPadding: a.output_padding, paddingMode: undefined } as never) as never;
    case 'MaxPool2d': return new nn.MaxPool2d(a.kernel_size, { stride: a.stride, padding: a.padding, dilation: a.dilation, ceilMode: a.ceil_mode }) as never;
    case 'AvgPool2d': return new nn.AvgPool2d(a.kernel_size, { stride: a.stride, padding: a.padding, countIncludePad: a.count_include_pad }) as never;
    case 'AdaptiveAvgPool2d': return new nn.AdaptiveAvgPool2d(a.output_size) as never;
    case 'Bilinear': return new nn.Bilinear(a.in1_features, a.in2_features, a.out_features) as never;
    case 'GroupNorm': return new nn.GroupNorm(a.num_groups, a.num_channels, { affine: a.affine, eps: a.eps }) as never;
    case 'BatchNorm1d': return new nn.BatchNorm1d(a.num_features, { momentum: a.momentum, affine: a.affine, trackRunningStats: a.track_running_stats }) as never;
    case 'InstanceNorm2d': return new nn.InstanceNorm2d(a.num_features, { affine: a.affine }) as never;
    case 'LayerNorm': return new nn.LayerNorm(a.normalized_shape) as never;
    case 'Flatten': return new nn.Flatten(a.start_dim, a.end_dim) as never;
    case 'Unflatten': return new nn.Unflatten(a.dim, a.unflattened_size) as never;
    case 'MSELoss': return new nn.MSELoss(a) as never;
    case 'L1Loss': return new nn.L1Loss(a) as never;
    case 'SmoothL1Loss': return new nn.SmoothL1Loss(a) as never;
    case 'HuberLoss': return new nn.HuberLoss(a) as never;
    case 'CrossEntropyLoss': return new nn.CrossEntropyLoss({ ignoreIndex: a.ignore_index, labelSmoothing: a.label_smoothing, weight: weighted ? w() : null }) as never;
    case 'NLLLoss': return new nn.NLLLoss({ reduction: a.reduction, weight: weighted ? w() : null }) as never;
    case 'BCELoss': return new nn.BCELoss(a) as never;
    case 'BCEWithLogitsLoss': return new nn.BCEWithLogitsLoss(a) as never;
    case 'KLDivLoss': return new nn.KLDivLoss({ reduction: a.reduction, logTarget: a.log_target }) as never;
  }
  const m = act(k, a);
  if (!m) throw new Error(`no factory for ${c.module}`);
  return m as never;
};

moduleCaseTests('torch-layers', fam.cases, factory);

describe('layer behaviour', () => {
  it('BatchNorm: train updates running stats and num_batches_tracked; eval uses them', () => {
    const bn = new nn.BatchNorm2d(2, { momentum: 0.5 });
    const x = tensor([[[[1, 3]], [[2, 2]]], [[[5, 7]], [[0, 4]]]]);
    bn.call(x);
    expect(bn.numBatchesTracked!.itemSync()).toBe(1);
    expect(bn.runningMean!.tolistSync()).toEqual([2, 1]);
    bn.eval();
    const y = bn.call(x);
    expect(bn.numBatchesTracked!.itemSync()).toBe(1);
    expect(y.shape).toEqual([2, 2, 1, 2]);
    expect(() => bn.call(zeros([2, 2]))).toThrow(/BatchNorm2d: expected 4D input \(got 2D input/);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    const nostats = new nn.BatchNorm1d(3, { trackRunningStats: false });
    expect(Object.keys(nostats.stateDict())).toEqual(['weight', 'bias']);
  });

  it('Dropout is identity in eval and scales kept values in train', () => {
    const d = new nn.Dropout(0.5);
    const x = ones([1000]);
    manualSeed(1);
    const y = d.call(x);
    const v = Array.from(y.dataSync() as Float32Array);
    expect(new Set(v)).toEqual(new Set([0, 2]));
    const kept = v.filter((q) => q === 2).length;
    expect(kept).toBeGreaterThan(420);
    expect(kept).toBeLessThan(580);
    d.eval();
    expect(d.call(x)).toBe(x);
    expect(() => new nn.Dropout(1.5)).toThrow(/between 0 and 1/);
  });

  it('Embedding: paddingIdx row gets no gradient; fromPretrained freezes by default', () => {
    const e = nn.Embedding.fromPretrained(tensor([[1, 2], [3, 4], [5, 6]]));
    expect(e.weight.requiresGrad).toBe(false);
    expect(e.call(tensor(BigInt64Array.from([2n, 0n]), { dtype: 'int64' })).tolistSync()).toEqual([[5, 6], [1, 2]]);
    const t = nn.Embedding.fromPretrained(tensor([[1, 2], [3, 4]]), { freeze: false, paddingIdx: 0 });
    expect(t.weight.requiresGrad).toBe(true);
    t.call(tensor(BigInt64Array.from([0n, 1n, 1n]), { dtype: 'int64' })).sum().backward();
    expect(t.weight.grad!.tolistSync()).toEqual([[0, 0], [2, 2]]);
    expect(() => new nn.Embedding(3, 2, { paddingIdx: 3 })).toThrow(/paddingIdx must be within numEmbeddings/);
  });

  it('ConvTranspose2d honours outputSize; Conv rejects bad configs', () => {
    const ct = new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1 });
    expect(ct.call(zeros([1, 2, 4, 4])).shape).toEqual([1, 3, 7, 7]);
    expect(ct.forward(zeros([1, 2, 4, 4]), [8, 8]).shape).toEqual([1, 3, 8, 8]);
    expect(() => ct.forward(zeros([1, 2, 4, 4]), [10, 10])).toThrow(/valid sizes along dim 0 range from 7 to 8/);
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(/inChannels \(3\) must be divisible by groups \(2\)/);
    expect(() => new nn.Conv2d(3, 4, 3, { padding: 'same', stride: 2 })).toThrow(/padding='same' is not supported for strided/);
    const c1 = new nn.Conv1d(2, 4, 3, { padding: 'same' });
    expect(c1.call(zeros([1, 2, 9])).shape).toEqual([1, 4, 9]);
    expect(c1.weight.shape).toEqual([4, 2, 3]);
    expect(new nn.ConvTranspose2d(4, 6, [2, 3], { groups: 2 }).weight.shape).toEqual([4, 3, 2, 3]);
  });

  it('MaxPool2d returnIndices, Flatten/Unflatten, Identity, Sequential of layers', () => {
    const mp = new nn.MaxPool2d(2, { returnIndices: true });
    const [v, i] = mp.call(tensor([[[[1, 5], [3, 2]]]])) as unknown as [Tensor, Tensor];
    expect(v.tolistSync()).toEqual([[[[5]]]]);
    expect(i.tolistSync()).toEqual([[[[1]]]]);
    const net = new nn.Sequential(new nn.Conv2d(1, 2, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8, 3), new nn.Identity(), new nn.Unflatten(1, [3, 1]));
    expect(net.call(zeros([5, 1, 4, 4])).shape).toEqual([5, 3, 1]);
    expect([...net.namedParameters()].map(([k]) => k)).toEqual(['0.weight', '0.bias', '4.weight', '4.bias']);
    expect(String(net)).toContain('(4): Linear(inFeatures=8, outFeatures=3, bias=true)');
  });

  it('losses keep PyTorch defaults and register weight buffers', () => {
    const ce = new nn.CrossEntropyLoss({ weight: tensor([1, 2, 3]) });
    expect(ce.ignoreIndex).toBe(-100);
    expect(ce.reduction).toBe('mean');
    expect(Object.keys(ce.stateDict())).toEqual(['weight']);
    expect(Object.keys(new nn.CrossEntropyLoss().stateDict())).toEqual([]);
    expect(Object.keys(new nn.BCEWithLogitsLoss({ posWeight: tensor([2]) }).stateDict())).toEqual(['pos_weight']);
    expect(() => new nn.MSELoss({ reduction: 'avg' as never })).toThrow(/"avg" is not a valid value for reduction/);
  });

  it('functional namespace re-exports core ops under PyTorch names', () => {
    for (const name of ['linear', 'bilinear', 'conv1d', 'conv2d', 'convTranspose2d', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'relu', 'gelu', 'silu', 'softmax', 'logSoftmax',
      'leakyRelu', 'elu', 'softplus', 'mish', 'hardtanh', 'relu6', 'selu', 'glu', 'layerNorm', 'batchNorm', 'groupNorm', 'dropout', 'embedding', 'oneHot', 'pad', 'interpolate',
      'mseLoss', 'l1Loss', 'smoothL1Loss', 'huberLoss', 'crossEntropy', 'nllLoss', 'binaryCrossEntropy', 'binaryCrossEntropyWithLogits', 'klDiv', 'scaledDotProductAttention']) {
      expect(typeof (F as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(F.relu(tensor([-1, 2])).tolistSync()).toEqual([0, 2]);
  });

  it('constructing a layer creates exactly its parameters and buffers', () => {
    const count = (make: () => nn.Module<never[], unknown>) => {
      const before = memory().numTensors;
      const m = make();
      const n = memory().numTensors - before;
      m.dispose();
      expect(memory().numTensors).toBe(before);
      return n;
    };
    expect(count(() => new nn.Linear(3, 4) as never)).toBe(2);
    expect(count(() => new nn.Conv2d(3, 4, 3) as never)).toBe(2);
    expect(count(() => new nn.BatchNorm2d(3) as never)).toBe(5);
    expect(count(() => new nn.Embedding(10, 3, { paddingIdx: 0 }) as never)).toBe(1);
    expect(count(() => new nn.LayerNorm([2, 3]) as never)).toBe(2);
    expect(count(() => new nn.Bilinear(2, 3, 4) as never)).toBe(2);
  });

  it('forward passes of every layer leave no tensors behind inside tidy', () => {
    const layers: [nn.Module<[Tensor], Tensor>, number[]][] = [
      [new nn.Conv2d(2, 3, 3, { paddingMode: 'reflect', padding: 1 }), [1, 2, 5, 5]],
      [new nn.BatchNorm2d(2), [2, 2, 3, 3]],
      [new nn.GroupNorm(1, 2), [2, 2, 3]],
      [new nn.InstanceNorm1d(2), [2, 4]],
      [new nn.GELU(), [3]],
    ];
    for (const [m, shape] of layers) {
      const x = randn(shape);
      const before = memory().numTensors;
      tidy(() => void m.call(x));
      expect(memory().numTensors, m.constructor.name).toBe(before);
    }
  });
});
