/**
 * Generic runner for fixtures/modules/<family>.json (format: shared/fixtures/README.md, "modules").
 *
 * Usage in a test file:
 *   moduleFixtureTests('linear', (init) => new Linear(init.in_features, init.out_features, { bias: init.bias }));
 * registers, per device ('js', and 'cpu' when `@tensile/cpu` loads), one named test per case:
 * build the module from the case's `init` kwargs, load `state_dict`, set train/eval from `mode`,
 * run forward on `inputs` (nested lists are tuples; `forward_kwargs` become a final camelCase
 * options object), compare every output (flattened in order), backpropagate
 * sum_k sum(outputs[k] * grad_outputs[k]), check `grads.inputs` and `grads.params` (by PyTorch
 * name) and `state_dict_after` (buffers). When cpu is unavailable a skipped test says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { keep, tensor, tidy, type Tensor } from '@tensile/core';
import type { Module } from '@tensile/nn';

// ---- fixture types ----

/** A tensor as the fixtures store it: flat row-major data. */
export interface FixtureTensor {
  shape: number[];
  dtype: 'float32' | 'int64' | 'bool';
  data: (number | boolean)[];
}
/** An input: a tensor, a tuple (nested list) of inputs, or null (None). */
export type FixtureValue = FixtureTensor | null | FixtureValue[];

/** One case of a modules/<family>.json file. */
export interface ModuleCase {
  name: string;
  module: string;
  init: Record<string, unknown>;
  mode: 'train' | 'eval';
  state_dict: Record<string, FixtureTensor>;
  inputs: FixtureValue[];
  forward_kwargs?: Record<string, unknown>;
  output_names?: string[];
  outputs: FixtureTensor[];
  grad_outputs?: (FixtureTensor | null)[];
  grads?: { inputs?: FixtureValue[]; params?: Record<string, FixtureTensor | null> };
  state_dict_after?: Record<string, FixtureTensor>;
  rtol: number;
  atol: number;
  note?: string;
}

export interface ModuleFamily {
  family: string;
  module: string;
  torch_version?: string;
  cases: ModuleCase[];
}

/** Builds the module for a case from its PyTorch constructor kwargs (snake_case, as stored). */
export type ModuleFactory = (init: Record<string, any>, c: ModuleCase) => Module<any[], unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

// ---- locating ----

const here = fileURLToPath(new URL('.', import.meta.url)); // packages/nn/test/support/

/** Folders searched, in order: $TENSILE_FIXTURES, packages/conformance/fixtures, ../shared/fixtures. */
export function fixtureDirs(): string[] {
  return [process.env.TENSILE_FIXTURES, join(here, '../../../conformance/fixtures'), join(here, '../../../../../shared/fixtures')].filter(
    (d): d is string => !!d,
  );
}

/** Path of `<kind>/<name>.json` (kind 'modules' or 'optim') in the first folder that has it. */
export function findFixture(kind: 'modules' | 'optim', name: string): string | undefined {
  return fixtureDirs().map((d) => join(d, kind, `${name}.json`)).find((f) => existsSync(f));
}

/** The parsed modules/<family>.json; throws naming the folders searched. */
export function loadModuleFamily(family: string): ModuleFamily {
  const file = findFixture('modules', family);
  if (!file) throw new Error(`fixtures modules/${family}.json not found in ${fixtureDirs().join(', ')} (set TENSILE_FIXTURES)`);
  return JSON.parse(readFileSync(file, 'utf8')) as ModuleFamily;
}

/** Any fixture JSON file by kind and name (e.g. loadFixtureFile('optim', 'optimizers')). */
export function loadFixtureFile<T = unknown>(kind: 'modules' | 'optim', name: string): T {
  const file = findFixture(kind, name);
  if (!file) throw new Error(`fixtures ${kind}/${name}.json not found in ${fixtureDirs().join(', ')} (set TENSILE_FIXTURES)`);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

// ---- decoding ----

export const isFixtureTensor = (v: unknown): v is FixtureTensor =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'shape' in v && 'dtype' in v && 'data' in v;

/** A fixture tensor as a core tensor on `device` (float32 values rounded with Math.fround). */
export function decodeTensor(f: FixtureTensor, device: string, requiresGrad = false): Tensor {
  const shape = [...f.shape];
  switch (f.dtype) {
    case 'float32':
      return tensor(Float32Array.from(f.data as number[], (v) => Math.fround(v)), { dtype: 'float32', shape, device, requiresGrad });
    case 'int64':
      return tensor(BigInt64Array.from(f.data as number[], (v) => BigInt(v)), { dtype: 'int64', shape, device });
    case 'bool':
      return tensor(Uint8Array.from(f.data, (v) => (v ? 1 : 0)), { dtype: 'bool', shape, device });
  }
  throw new TypeError(`fixture tensor: unknown dtype ${JSON.stringify((f as { dtype: unknown }).dtype)}`);
}

/** snake_case -> camelCase (key_padding_mask -> keyPaddingMask). */
export const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Decode an input (tensor, tuple or null); float tensors whose expected grad is given require grad. */
function decodeInput(v: FixtureValue, grad: FixtureValue | undefined, device: string): unknown {
  if (v === null) return null;
  if (isFixtureTensor(v)) return decodeTensor(v, device, v.dtype === 'float32' && isFixtureTensor(grad));
  return v.map((x, i) => decodeInput(x, Array.isArray(grad) ? grad[i] : undefined, device));
}

function decodeKwarg(v: unknown, device: string): unknown {
  if (isFixtureTensor(v)) return decodeTensor(v, device);
  if (Array.isArray(v)) return v.map((x) => decodeKwarg(x, device));
  return v;
}

/** Outputs flattened in order (tuples nested in tuples, e.g. LSTM's [output, [h, c]]). */
export function flattenOutputs(out: unknown): (Tensor | null)[] {
  if (Array.isArray(out)) return out.flatMap((o) => flattenOutputs(o));
  if (out === null || out === undefined) return [null];
  return [out as Tensor];
}

// ---- comparing ----

/** null when `actual` matches `expected` within tolerance, else a message naming `what` and the worst element. */
export async function compareTensor(actual: Tensor | null | undefined, expected: FixtureTensor, rtol: number, atol: number, what: string): Promise<string | null> {
  if (!actual) return `${what}: expected a tensor of shape [${expected.shape.join(', ')}], got ${String(actual)}`;
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return `${what}: shape [${actual.shape.join(', ')}] != expected [${expected.shape.join(', ')}]`;
  }
  const exact = expected.dtype !== 'float32';
  if (exact && actual.dtype !== expected.dtype) return `${what}: dtype ${actual.dtype} != expected ${expected.dtype}`;
  if (!exact && !actual.dtype.startsWith('float') && actual.dtype !== 'bfloat16') return `${what}: dtype ${actual.dtype}, expected a float tensor`;
  const got = Array.from((await actual.data()) as ArrayLike<number | bigint>, Number);
  const want = expected.data.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : exact ? v : Math.fround(v)));
  let bad = 0, worst = -1, worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, e = want[i]!;
    let excess = 0;
    if (exact) excess = a === e ? 0 : Infinity;
    else if (Number.isNaN(e) || Number.isNaN(a)) excess = Number.isNaN(e) && Number.isNaN(a) ? 0 : Infinity;
    else if (!Number.isFinite(e)) excess = a === e ? 0 : Infinity;
    else {
      const allowed = atol + rtol * Math.abs(e), diff = Math.abs(a - e);
      excess = diff <= allowed ? 0 : diff / allowed;
    }
    if (excess > 0) {
      bad++;
      if (worst < 0 || excess > worstExcess) [worst, worstExcess] = [i, excess];
    }
  }
  if (!bad) return null;
  return `${what}: ${bad} of ${want.length} elements out of tolerance (rtol ${rtol}, atol ${atol}); worst at flat index ${worst}: got ${got[worst]}, expected ${want[worst]}`;
}

// ---- running ----

/** Run one case on `device`; resolves when every check passed, else throws listing all mismatches. */
export async function runModuleCase(c: ModuleCase, factory: ModuleFactory, device: string): Promise<void> {
  const module = factory(c.init, c);
  try {
    module.to(device);
    tidy(() => {
      const sd = Object.fromEntries(Object.entries(c.state_dict).map(([k, v]) => [k, decodeTensor(v, device)]));
      module.loadStateDict(sd);
    });
    module.train(c.mode === 'train');
    const checks: [string, Tensor | null, FixtureTensor][] = [];
    const held: Tensor[] = [];
    const hold = (t: Tensor | null): Tensor | null => (t ? (held.push(keep(t)), t) : t);
    tidy(() => {
      const inputs = c.inputs.map((v, i) => decodeInput(v, c.grads?.inputs?.[i] ?? undefined, device));
      const args: unknown[] = [...inputs];
      const kw = c.forward_kwargs ?? {};
      if (Object.keys(kw).length) args.push(Object.fromEntries(Object.entries(kw).map(([k, v]) => [camel(k), decodeKwarg(v, device)])));
      const outs = flattenOutputs((module.call as (...a: unknown[]) => unknown)(...args));
      expect(outs.length, `${c.name}: number of outputs (${(c.output_names ?? []).join(', ')})`).toBe(c.outputs.length);
      c.outputs.forEach((e, k) => checks.push([`output ${k} (${c.output_names?.[k] ?? k})`, hold(outs[k] ?? null), e]));
      if (c.grad_outputs && c.grads) {
        let loss: Tensor | null = null;
        c.grad_outputs.forEach((go, k) => {
          const o = outs[k];
          if (!go || !o || !o.requiresGrad) return;
          const term = o.mul(decodeTensor(go, device)).sum();
          loss = loss ? loss.add(term) : term;
        });
        if (loss) (loss as Tensor).backward();
        const walk = (val: unknown, exp: FixtureValue | undefined, label: string): void => {
          if (isFixtureTensor(exp)) {
            const t = val as Tensor | null;
            checks.push([`grad of input ${label}`, hold(t?.grad ?? null), exp]);
          } else if (Array.isArray(exp)) exp.forEach((e, j) => walk((val as unknown[])[j], e, `${label}[${j}]`));
        };
        c.grads.inputs?.forEach((e, i) => walk(inputs[i], e, String(i)));
        const params = Object.fromEntries(module.namedParameters());
        for (const [name, e] of Object.entries(c.grads.params ?? {})) {
          if (!e) continue;
          const p = params[name];
          expect(p, `${c.name}: module has parameter ${name} (has ${Object.keys(params).join(', ')})`).toBeDefined();
          checks.push([`grad of parameter ${name}`, p!.grad, e]);
        }
      }
      const after = module.stateDict();
      for (const [name, e] of Object.entries(c.state_dict_after ?? {})) {
        expect(after[name], `${c.name}: state dict has ${name}`).toBeDefined();
        checks.push([`state_dict_after ${name}`, hold(after[name]!), e]);
      }
    });
    const failures: string[] = [];
    for (const [what, t, e] of checks) {
      const msg = await compareTensor(t, e, c.rtol, c.atol, `${c.name} [${device}] ${what}`);
      if (msg) failures.push(msg);
    }
    held.forEach((t) => t.dispose());
    expect(failures, `${c.name} on ${device}`).toEqual([]);
  } finally {
    module.zeroGrad();
    module.dispose();
  }
}

// ---- devices ----

/** Devices the fixture tests run on, and why any is skipped. */
export interface DeviceStatus {
  device: string;
  skip: string | null;
}

let cpuStatus: Promise<DeviceStatus> | null = null;
/** 'cpu' when `@tensile/cpu` loads (dynamic import with a string variable), else a skip reason. */
export function cpuDevice(): Promise<DeviceStatus> {
  cpuStatus ??= (async () => {
    const spec = '@tensile/cpu';
    try {
      await import(/* @vite-ignore */ spec);
      return { device: 'cpu', skip: null };
    } catch (e) {
      return { device: 'cpu', skip: `@tensile/cpu did not load: ${String((e as Error)?.message ?? e).split('\n')[0]}` };
    }
  })();
  return cpuStatus;
}

/** 'js' always, and 'cpu' (or its skip reason). */
export async function fixtureDevices(): Promise<DeviceStatus[]> {
  return [{ device: 'js', skip: null }, await cpuDevice()];
}

const devices = await fixtureDevices();

/**
 * Register one test per case of modules/<family>.json, per device. `only` limits to named cases;
 * `skipCases` maps case names to a reason (registered as skipped tests naming it).
 */
export function moduleFixtureTests(family: string, factory: ModuleFactory, opts: CaseTestOptions = {}): void {
  moduleCaseTests(family, loadModuleFamily(family).cases, factory, opts);
}

export interface CaseTestOptions {
  only?: string[];
  skipCases?: Record<string, string>;
}

/** Register one test per case (cases in the modules format from any source), per device. */
export function moduleCaseTests(label: string, cases: ModuleCase[], factory: ModuleFactory, opts: CaseTestOptions = {}): void {
  for (const { device, skip } of devices) {
    describe(`${label} fixtures on ${device}`, () => {
      if (skip) {
        it.skip(`${label} on ${device}: skipped, ${skip}`, () => {});
        return;
      }
      for (const c of cases) {
        if (opts.only && !opts.only.includes(c.name)) continue;
        const why = opts.skipCases?.[c.name];
        if (why) it.skip(`${c.name} (skipped: ${why})`, () => {});
        else it(c.name, () => runModuleCase(c, factory, device));
      }
    });
  }
}
