import { describe, expect, it } from 'vitest';
import { Tensor, keep, manualSeed, memory, noGrad, randn, tensor, tidy, zeros } from '@tensile/core';

const live = () => memory().numTensors;
const bytes = () => memory().numBytes;

describe('training loop memory', () => {
  it('1,000 steps of a small MLP inside tidy() keep memory() exactly flat', () => {
    manualSeed(0);
    const x = randn([16, 4]);
    const y = randn([16, 2]);
    const w1 = randn([4, 8]).mul(0.5).requiresGrad_();
    const b1 = zeros([8], { requiresGrad: true });
    const w2 = randn([8, 2]).mul(0.5).requiresGrad_();
    const b2 = zeros([2], { requiresGrad: true });
    const params = [w1, b1, w2, b2];
    const lr = 0.05;
    const step = (): number =>
      tidy(() => {
        const h = x.matmul(w1).add(b1).relu();
        const out = h.matmul(w2).add(b2).tanh();
        const loss = out.sub(y).square().mean();
        loss.backward();
        noGrad(() => {
          for (const p of params) {
            p.sub_(p.grad!.mul(lr));
            p.grad!.zero_();
          }
        });
        return loss.itemSync();
      });

    const losses: number[] = [];
    let at10: ReturnType<typeof memory> | undefined;
    for (let i = 1; i <= 1000; i++) {
      losses.push(step());
      if (i === 10) at10 = memory();
    }
    const at1000 = memory();
    expect(at1000.numTensors).toBe(at10!.numTensors);
    expect(at1000.numBytes).toBe(at10!.numBytes);
    expect(at1000.numBuffers).toBe(at10!.numBuffers);
    // it actually trained
    expect(losses[999]!).toBeLessThan(losses[0]! * 0.9);
  });

  it('the same loop with grads reset to null (optimizer.zeroGrad({ setToNone })) is flat too', () => {
    manualSeed(1);
    const x = randn([8, 3]);
    const w = randn([3, 1]).requiresGrad_();
    const step = () =>
      tidy(() => {
        const loss = x.matmul(w).sigmoid().sum();
        loss.backward();
        noGrad(() => w.sub_(w.grad!, { alpha: 0.1 }));
        w.grad!.dispose();
        w.grad = null;
      });
    step();
    const m1 = memory();
    for (let i = 0; i < 100; i++) step();
    const m2 = memory();
    expect(m2.numTensors).toBe(m1.numTensors);
    expect(m2.numBytes).toBe(m1.numBytes);
  });
});

describe('dispose, using, keep, tidy', () => {
  it('dispose() frees the tensor and its bytes once; a second dispose is a no-op', () => {
    const n0 = live(), b0 = bytes();
    const t = zeros([10], { dtype: 'float64' });
    expect(live()).toBe(n0 + 1);
    expect(bytes()).toBe(b0 + 80);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(live()).toBe(n0);
    expect(bytes()).toBe(b0);
    t.dispose();
    expect(live()).toBe(n0);
  });

  it('a view keeps the buffer alive after the base is disposed', () => {
    const b0 = bytes();
    const base = tensor([1, 2, 3, 4], { dtype: 'float32' });
    const v = base.slice(0, 1, 3);
    base.dispose();
    expect(bytes()).toBe(b0 + 16);
    expect(Array.from(v.dataSync() as Float32Array)).toEqual([2, 3]);
    v.dispose();
    expect(bytes()).toBe(b0);
  });

  it('memory() reports per device', () => {
    const t = zeros([3], { device: 'js-async', dtype: 'int32' });
    const m = memory();
    expect(m.devices['js-async']!.tensors).toBeGreaterThanOrEqual(1);
    expect(m.devices['js-async']!.bytes).toBeGreaterThanOrEqual(12);
    t.dispose();
    expect(memory().devices['js-async']!.bytes).toBe(m.devices['js-async']!.bytes - 12);
  });

  it('`using` disposes at the end of the block', () => {
    const n0 = live();
    let inner: Tensor | undefined;
    {
      using t = zeros([4]);
      inner = t;
      expect(live()).toBe(n0 + 1);
    }
    expect(inner!.isDisposed).toBe(true);
    expect(live()).toBe(n0);
    const t2 = zeros([1]);
    t2[Symbol.dispose]();
    expect(t2.isDisposed).toBe(true);
  });

  it('tidy frees everything not returned, including nested returns', () => {
    const n0 = live();
    const a = tensor([1, 2, 3]);
    let tmp: Tensor | undefined;
    const out = tidy(() => {
      tmp = a.mul(2);
      const b = tmp.add(1);
      const c = b.mul(b);
      return { b, nested: [c, { d: a.add(100) }], n: 5, s: 'x' };
    });
    expect(tmp!.isDisposed).toBe(true);
    expect(out.b.isDisposed).toBe(false);
    expect(out.nested[0] instanceof Tensor && !out.nested[0].isDisposed).toBe(true);
    const d = (out.nested[1] as { d: Tensor }).d;
    expect(d.tolistSync()).toEqual([101, 102, 103]);
    expect(a.isDisposed).toBe(false); // created outside the scope
    expect(live()).toBe(n0 + 4);
    out.b.dispose();
    (out.nested[0] as Tensor).dispose();
    d.dispose();
    a.dispose();
    expect(live()).toBe(n0);
  });

  it('nested tidy hands results to the outer scope, which frees them', () => {
    const n0 = live();
    let innerResult: Tensor | undefined;
    tidy(() => {
      innerResult = tidy(() => zeros([2]).add(1));
      expect(innerResult.isDisposed).toBe(false);
    });
    expect(innerResult!.isDisposed).toBe(true);
    expect(live()).toBe(n0);
  });

  it('keep() exempts a tensor from every enclosing scope', () => {
    let kept: Tensor | undefined;
    let other: Tensor | undefined;
    tidy(() => {
      tidy(() => {
        kept = keep(zeros([2]).add(3));
        other = zeros([2]);
      });
    });
    expect(kept!.isDisposed).toBe(false);
    expect(other!.isDisposed).toBe(true);
    expect(kept!.tolistSync()).toEqual([3, 3]);
    kept!.dispose();
  });

  it('tidy refuses async functions', () => {
    expect(() => tidy((async () => zeros([1])) as never)).toThrow(/synchronous/);
  });

  it('tidy returning a tensor with a graph keeps backward working', () => {
    const w = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const loss = tidy(() => w.mul(w).exp().sum());
    loss.backward();
    expect(Array.from(w.grad!.dataSync() as Float64Array)).toEqual([2 * Math.exp(1), 4 * Math.exp(4)]);
  });

  it('a graph left inside tidy is released with its saved tensors', () => {
    const w = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const n0 = live();
    tidy(() => {
      w.mul(w).exp().sin().sum();
    });
    expect(live()).toBe(n0);
  });

  it('backward releases saved tensors (no leak without tidy)', () => {
    const w = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    w.mul(w).sum().backward(); // creates w.grad once
    const n0 = live();
    const a = w.mul(w);
    const e = a.exp();
    const loss = e.sum();
    // 3 results, plus saved aliases: MulBackward saves w twice, ExpBackward its output
    expect(live()).toBe(n0 + 6);
    loss.backward();
    expect(live()).toBe(n0 + 3);
    for (const t of [a, e, loss]) t.dispose();
    expect(live()).toBe(n0);
  });
});

describe('use after dispose', () => {
  it('throws naming the op', () => {
    const t = tensor([1, 2, 3], { dtype: 'float32' });
    t.name = 'weights';
    t.dispose();
    expect(() => t.add(1)).toThrow(/^add: tensor weights of shape \[3\] was disposed and cannot be used$/);
    expect(() => t.sum()).toThrow(/^sum: .*disposed/);
    expect(() => t.matmul(t)).toThrow(/^matmul: .*disposed/);
    expect(() => t.dataSync()).toThrow(/^dataSync: .*disposed/);
    expect(() => t.reshape([3, 1])).toThrow(/^reshape: .*disposed/);
    expect(() => t.exp()).toThrow(/^exp: .*disposed/);
  });

  it('an int tensor disposed then promoted still names the op', () => {
    const t = tensor([1, 2, 3], { dtype: 'int64' });
    t.dispose();
    expect(() => t.add(2.5)).toThrow(/^add: tensor #\d+ of shape \[3\] was disposed/);
    expect(() => t.mul(tensor([1.5, 2, 3]))).toThrow(/^mul: .*disposed/);
  });

  it('reading a disposed tensor asynchronously rejects', async () => {
    const t = tensor([1, 2]);
    t.dispose();
    await expect(t.data()).rejects.toThrow(/^data: .*disposed/);
  });
});

describe('ops do not leak temporaries', () => {
  // Each op, called outside any tidy() and disposed, must leave the live count where it was.
  const x = tensor([[0.5, -1, 2], [3, -0.25, 1]], { dtype: 'float32' });
  const xi = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int64' });
  const xT = x.t();
  const xg = tensor([[0.5, -1, 2], [3, -0.25, 1]], { dtype: 'float64', requiresGrad: true });
  const cases: [string, () => Tensor][] = [
    ['add', () => x.add(x)],
    ['add alpha', () => x.add(x, { alpha: 2 })],
    ['sub alpha', () => x.sub(x, { alpha: 2 })],
    ['add int + float scalar', () => xi.add(2.5)],
    ['div int', () => xi.div(xi)],
    ['relu', () => x.relu()],
    ['where with a scalar', () => {
      const m = x.gt(0);
      const r = x.where(m, 0);
      m.dispose();
      return r;
    }],
    ['log2', () => x.log2()],
    ['div trunc', () => x.div(2, { roundingMode: 'trunc' })],
    ['tanh', () => x.tanh()],
    ['exp of int', () => xi.exp()],
    ['clamp', () => x.clamp(-0.5, 0.5)],
    ['sum', () => x.sum()],
    ['mean', () => x.mean()],
    ['matmul', () => x.matmul(xT)],
    ['reshape copy', () => xT.reshape([6])],
    ['transpose', () => x.transpose(0, 1)],
    ['eq', () => x.eq(x)],
    ['to float64', () => x.to('float64')],
  ];
  for (const [name, fn] of cases) {
    it(name, () => {
      const n0 = live();
      const out = fn();
      out.dispose();
      expect(live()).toBe(n0);
    });
  }

  it('in-place ops (with and without autograd)', () => {
    const buf = tensor([1, 2, 3], { dtype: 'float32' });
    const other = tensor([3, 2, 1], { dtype: 'float32' });
    const n0 = live();
    buf.add_(other, { alpha: 2 });
    buf.mul_(2).sub_(1).div_(2).clamp_(0, 100);
    buf.lerp_(other, 0.5);
    buf.addcmul_(other, other, { value: 0.1 });
    buf.addcdiv_(other, other.add(1), { value: 0.1 }).zero_().fill_(3).copy_(other);
    // other.add(1) above is the caller's temporary
    expect(live()).toBe(n0 + 1);
  });

  it('backward of a small graph, once its result is disposed', () => {
    const n0 = live();
    const sq = xg.mul(xg);
    const th = sq.tanh();
    const loss = th.sum();
    loss.backward();
    for (const t of [sq, th, loss]) t.dispose();
    xg.grad!.dispose();
    xg.grad = null;
    expect(live()).toBe(n0);
  });
});
