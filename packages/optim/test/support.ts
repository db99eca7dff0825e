/**
 * Test support: fixture loading (optim/*.json from $TENSILE_FIXTURES, then the conformance copy),
 * fixture tensor decoding and comparison, the devices to run on, and the fixtures' tiny MLP.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { crossEntropy, keep, linear, noGrad, tanh, tensor, type Tensor } from '@tensile/core';

export interface FixtureTensor { shape: number[]; dtype: 'float32' | 'int64' | 'bool'; data: (number | boolean)[] }

const here = fileURLToPath(new URL('.', import.meta.url)); // packages/optim/test/

/** Folders searched for optim/<name>.json, in order: $TENSILE_FIXTURES, then packages/conformance/fixtures. */
export function fixtureDirs(): string[] {
  return [process.env.TENSILE_FIXTURES, join(here, '../../conformance/fixtures')].filter((d): d is string => !!d);
}

/** Parse optim/<name>.json from the first folder that has it; throws naming the folders otherwise. */
export function loadOptimFixture<T>(name: string): T {
  const file = fixtureDirs().map((d) => join(d, 'optim', `${name}.json`)).find((f) => existsSync(f));
  if (!file) throw new Error(`fixtures optim/${name}.json not found in ${fixtureDirs().join(', ')} (set TENSILE_FIXTURES)`);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Build a tensor from its fixture form on a device. */
export function decodeTensor(f: FixtureTensor, device: string): Tensor {
  const shape = [...f.shape];
  if (f.dtype === 'float32') return tensor(Float32Array.from(f.data as number[]), { dtype: 'float32', shape, device });
  if (f.dtype === 'int64') return tensor(BigInt64Array.from(f.data as number[], (v) => BigInt(v)), { dtype: 'int64', shape, device });
  return tensor(Uint8Array.from(f.data, (v) => (v ? 1 : 0)), { dtype: 'bool', shape, device });
}

/** Assert a float tensor matches a fixture tensor within atol + rtol * |expected| per element. */
export function expectClose(actual: Tensor, expected: FixtureTensor, rtol: number, atol: number, what: string): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const got = Array.from(actual.dataSync() as ArrayLike<number>, Number);
  const want = Float32Array.from(expected.data as number[]);
  const bad: string[] = [];
  let nBad = 0;
  want.forEach((w, i) => {
    const g = got[i]!;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w)) && nBad++ < 8) bad.push(`[${i}] got ${g}, expected ${w}`);
  });
  expect(bad, `${what}: ${nBad} of ${want.length} elements out of tolerance (rtol ${rtol}, atol ${atol})`).toEqual([]);
}

/** Assert a number matches within atol + rtol * |expected|. */
export function expectNear(actual: number, expected: number, rtol: number, atol: number, what: string): void {
  const ok = Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
  expect(ok, `${what}: got ${actual}, expected ${expected} (rtol ${rtol}, atol ${atol})`).toBe(true);
}

/**
 * Devices for the fixture tests: 'js' always; 'cpu' when `@tensile/cpu` loads. `skipped` says why
 * cpu is not run (tests register a skipped test with that name).
 */
export async function testDevices(): Promise<{ devices: string[]; skipped: string | null }> {
  const cpuModule = '@tensile/cpu';
  try {
    await import(/* @vite-ignore */ cpuModule);
    return { devices: ['js', 'cpu'], skipped: null };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
    return { devices: ['js'], skipped: `cpu: @tensile/cpu did not load (${msg})` };
  }
}

/** A parameter: a kept leaf tensor that requires grad (what nn.Parameter makes). */
export function param(t: Tensor): Tensor {
  return keep(t.requiresGrad_(true));
}

/**
 * The fixtures' model: Linear(4, 8) -> Tanh -> Linear(8, 3), from leaf tensors and core ops (no
 * dependency on @tensile/nn layers, which are written in parallel).
 */
export class TinyMLP {
  w0: Tensor;
  b0: Tensor;
  w2: Tensor;
  b2: Tensor;
  constructor(sd: Record<string, FixtureTensor>, device: string) {
    this.w0 = param(decodeTensor(sd['0.weight']!, device));
    this.b0 = param(decodeTensor(sd['0.bias']!, device));
    this.w2 = param(decodeTensor(sd['2.weight']!, device));
    this.b2 = param(decodeTensor(sd['2.bias']!, device));
  }
  forward(x: Tensor): Tensor {
    return linear(tanh(linear(x, this.w0, this.b0)), this.w2, this.b2);
  }
  /** Parameters in PyTorch's state_dict order (0.weight, 0.bias, 2.weight, 2.bias). */
  ordered(): Tensor[] {
    return [this.w0, this.b0, this.w2, this.b2];
  }
  /** The state dict (PyTorch names; the live tensors). */
  stateDict(): Record<string, Tensor> {
    return { '0.weight': this.w0, '0.bias': this.b0, '2.weight': this.w2, '2.bias': this.b2 };
  }
  /** Copy values in place. */
  loadStateDict(sd: Record<string, Tensor>): void {
    const own = this.stateDict();
    noGrad(() => {
      for (const [k, t] of Object.entries(own)) t.copy_(sd[k]!);
    });
  }
  dispose(): void {
    for (const p of this.ordered()) {
      p.grad?.dispose();
      p.dispose();
    }
  }
  loss(x: Tensor, y: Tensor): Tensor {
    return crossEntropy(this.forward(x), y);
  }
}

