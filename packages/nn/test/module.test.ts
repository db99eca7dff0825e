import { describe, expect, it } from 'vitest';
import { randn, zeros, memory, type Tensor } from '@tensile/core';
import { Module, Parameter, Sequential, ModuleList } from '@tensile/nn';

class Lin extends Module {
  weight: Parameter;
  bias: Parameter;
  declare runningMean: Tensor;
  constructor(i: number, o: number) {
    super();
    this.weight = new Parameter(randn([o, i]));
    this.bias = new Parameter(zeros([o]));
    this.registerBuffer('running_mean', zeros([o]), { property: 'runningMean' });
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight.t()).add(this.bias);
  }
}
class Net extends Module {
  fc1 = new Lin(3, 4);
  layers = new Sequential(new Lin(4, 4), new Lin(4, 2));
  forward(x: Tensor): Tensor {
    return this.layers.call(this.fc1.call(x));
  }
}

describe('Module', () => {
  it('registers by assignment with PyTorch names', () => {
    const n = new Net();
    expect([...n.namedParameters()].map(([k]) => k)).toEqual(['fc1.weight', 'fc1.bias', 'layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);
    expect(Object.keys(n.stateDict())).toEqual(['fc1.weight', 'fc1.bias', 'fc1.running_mean', 'layers.0.weight', 'layers.0.bias', 'layers.0.running_mean', 'layers.1.weight', 'layers.1.bias', 'layers.1.running_mean']);
    const y = n.call(randn([5, 3]));
    expect(y.shape).toEqual([5, 2]);
    const m = new Net();
    m.loadStateDict(n.stateDict());
    expect(m.fc1.weight.tolistSync()).toEqual(n.fc1.weight.tolistSync());
    expect(() => m.loadStateDict({})).toThrow(/missing keys: fc1.weight/);
    const l = new ModuleList([new Lin(1, 1)]);
    expect([...l.namedParameters()].map(([k]) => k)).toEqual(['0.weight', '0.bias']);
    void memory;
  });
});
