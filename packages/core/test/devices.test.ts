import { afterEach, describe, expect, it } from 'vitest';
import {
  CONTRACT_VERSION,
  JsBackend,
  getBackend,
  getDefaultDevice,
  listDevices,
  ready,
  registerBackend,
  setDefaultDevice,
  tensor,
  toAsync,
  zeros,
  ones,
} from '@tensile/core';

afterEach(() => setDefaultDevice('js'));

describe('registry', () => {
  it('lives on globalThis under Symbol.for("tensile.registry")', () => {
    const reg = (globalThis as Record<symbol, unknown>)[Symbol.for('tensile.registry')] as {
      contractVersion: number;
      backends: Map<string, unknown>;
    };
    expect(reg).toBeDefined();
    expect(reg.contractVersion).toBe(CONTRACT_VERSION);
    expect(reg.backends.get('js')).toBe(getBackend('js'));
    expect(reg.backends.has('js-async')).toBe(true);
    expect(listDevices()).toEqual(expect.arrayContaining(['js', 'js-async']));
  });

  it('a second registration of a name is ignored unless replace is set', () => {
    const original = getBackend('js');
    registerBackend(new JsBackend('js'));
    expect(getBackend('js')).toBe(original);
    const extra = new JsBackend('js-test-extra');
    registerBackend(extra);
    expect(getBackend('js-test-extra')).toBe(extra);
    const replacement = new JsBackend('js-test-extra');
    registerBackend(replacement, { replace: true });
    expect(getBackend('js-test-extra')).toBe(replacement);
    expect(zeros([2], { device: 'js-test-extra' }).device).toBe('js-test-extra');
  });

  it('an unknown device throws listing the known ones', () => {
    expect(() => getBackend('webgpu')).toThrow(/device 'webgpu' is not registered \(known: js, js-async.*\); import its package, e\.g\. import '@tensile\/webgpu'/);
  });
});

describe('default device', () => {
  it('setDefaultDevice changes where factories allocate', () => {
    expect(getDefaultDevice()).toBe('js');
    setDefaultDevice('js-async');
    expect(getDefaultDevice()).toBe('js-async');
    expect(zeros([2]).device).toBe('js-async');
    expect(tensor([1, 2]).device).toBe('js-async');
    expect(zeros([2], { device: 'js' }).device).toBe('js');
    setDefaultDevice('js');
    expect(zeros([2]).device).toBe('js');
  });

  it('setDefaultDevice refuses an unknown device and keeps the old one', () => {
    expect(() => setDefaultDevice('nope')).toThrow(/not registered/);
    expect(getDefaultDevice()).toBe('js');
  });

  it('ops on tensors follow the tensors, not the default device', async () => {
    const a = ones([2], { device: 'js-async' });
    setDefaultDevice('js');
    const b = a.add(1).mul(a);
    expect(b.device).toBe('js-async');
    expect(Array.from((await b.data()) as Float32Array)).toEqual([2, 2]);
  });
});

describe('moving tensors', () => {
  it("to('js-async') and back with toAsync keep values and dtype", async () => {
    const x = tensor([[1.5, 2], [3, 4]], { dtype: 'float64' });
    const y = x.to('js-async');
    expect(y.device).toBe('js-async');
    expect(y.dtype).toBe('float64');
    expect(y.shape).toEqual([2, 2]);
    expect(y.storage).not.toBe(x.storage);
    const back = await y.toAsync('js');
    expect(back.device).toBe('js');
    expect(back.tolistSync()).toEqual([[1.5, 2], [3, 4]]);
    const viaFn = await toAsync(y, 'js');
    expect(viaFn.tolistSync()).toEqual([[1.5, 2], [3, 4]]);
  });

  it('to() to the same device returns the tensor itself', () => {
    const x = ones([2]);
    expect(x.to('js')).toBe(x);
  });

  it('a non-contiguous view moves as its logical values', async () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const y = x.t().to('js-async');
    expect(await y.tolist()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });

  it('int64 and bool survive the move', async () => {
    const x = tensor([2 ** 40, -3], { dtype: 'int64' });
    expect(Array.from((await x.to('js-async').data()) as BigInt64Array)).toEqual([2n ** 40n, -3n]);
    expect(await tensor([true, false]).to('js-async').tolist()).toEqual([true, false]);
  });

  it("to() from an async-only device explains to use toAsync", () => {
    const y = ones([2], { device: 'js-async' });
    expect(() => y.to('js')).toThrow(/to\('js'\): device 'js-async' has no synchronous reads; use await t\.toAsync\('js'\)/);
  });

  it('gradients flow back across devices with synchronous reads', () => {
    registerBackend(new JsBackend('js-test-extra'));
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const y = x.to('js-test-extra').mul(3).sum();
    expect(y.device).toBe('js-test-extra');
    y.backward();
    expect(x.grad!.device).toBe('js');
    expect(x.grad!.tolistSync()).toEqual([3, 3]);
  });

  it('a gradient that must leave an async-only device during backward() fails clearly', async () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const y = x.to('js-async').mul(3).sum();
    const back = await y.toAsync('js');
    expect(() => back.backward()).toThrow(
      /^ToDeviceBackward: the gradient cannot be moved from 'js-async' back to 'js' during backward\(\), because 'js-async' has no synchronous reads/,
    );
    // the supported pattern: move the data first, differentiate on one device
    const xa = tensor([1, 2], { dtype: 'float64', device: 'js-async', requiresGrad: true });
    xa.mul(3).sum().backward();
    expect(await xa.grad!.tolist()).toEqual([3, 3]);
  });

  it('to(dtype) and to(device, { dtype })', () => {
    const x = tensor([1.25, 2.5]);
    expect(x.to('float64').dtype).toBe('float64');
    const y = x.to('js-async', { dtype: 'float16' });
    expect([y.device, y.dtype]).toEqual(['js-async', 'float16']);
  });
});

describe('ready and async reads', () => {
  it('ready() resolves for registered devices and rejects for unknown ones', async () => {
    await expect(ready('js')).resolves.toBeUndefined();
    await expect(ready('js-async')).resolves.toBeUndefined();
    await expect(ready()).resolves.toBeUndefined();
    expect(() => ready('nope')).toThrow(/not registered/);
  });

  it('ready() awaits a backend initialiser once', async () => {
    let calls = 0;
    const b = new JsBackend('js-test-ready');
    (b as { ready?: () => Promise<void> }).ready = async () => {
      calls++;
    };
    registerBackend(b);
    await ready('js-test-ready');
    await ready('js-test-ready');
    expect(calls).toBe(1);
  });

  it('dataSync, itemSync and tolistSync on js-async throw telling to await data()', async () => {
    const y = tensor([1, 2], { device: 'js-async' });
    expect(() => y.dataSync()).toThrow("dataSync: device 'js-async' has no synchronous reads; use await t.data() (or await t.item()) instead");
    expect(() => y.sum().itemSync()).toThrow(/itemSync: .*use await/);
    expect(() => y.tolistSync()).toThrow(/tolistSync: .*use await/);
    expect(Array.from(await y.data(), Number)).toEqual([1, 2]);
    expect(await y.sum().item()).toBe(3);
    expect(await y.tolist()).toEqual([1, 2]);
  });

  it('toString on js-async does not read synchronously', () => {
    const y = tensor([1, 2], { dtype: 'int64', device: 'js-async' });
    expect(String(y)).toBe("tensor(..., shape=[2], dtype=int64, device='js-async')");
    expect(String(tensor([1.5, 2]))).toBe('tensor([1.5,2], shape=[2], dtype=float32)');
  });
});
