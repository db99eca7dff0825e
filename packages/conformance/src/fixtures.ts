/**
 * Loading and validating the PyTorch-made op fixtures (format: fixtures/FORMAT.md). Loading is
 * synchronous so a test file can register one test per case while vitest collects it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type FixtureDType = 'float32' | 'int64' | 'bool';

/** A tensor as stored in a fixture: flat row-major data. */
export interface TensorJSON {
  shape: number[];
  dtype: FixtureDType;
  data: (number | boolean)[];
}

/** One op case of ops/<family>.json. */
export interface OpCase {
  name: string;
  /** `torch.X`, `torch.nn.functional.X` or `Tensor.X` (args[0] is self). */
  op: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  input_layout?: { arg: number; transform: string };
  output: TensorJSON | (TensorJSON | null)[];
  mutated_args?: Record<string, TensorJSON>;
  grad_output?: TensorJSON | (TensorJSON | null)[] | null;
  grads?: (TensorJSON | TensorJSON[] | null)[] | null;
  rtol: number;
  atol: number;
  note?: string;
}

/** One ops/<family>.json file. */
export interface OpFamily {
  family: string;
  torch_version: string;
  cases: OpCase[];
  /** Absolute path of the file the family was read from. */
  file: string;
}

const DTYPES: readonly string[] = ['float32', 'int64', 'bool'];

/** The package's own copy of the fixtures (packages/conformance/fixtures). */
export function packageFixturesDir(): string {
  // src/ and dist/ both sit one level below the package root.
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
}

/** The fixtures root in use: `TENSILE_FIXTURES` when set, else the package's own copy. */
export function fixturesDir(dir?: string): string {
  const env = typeof process !== 'undefined' ? process.env.TENSILE_FIXTURES : undefined;
  return resolve(dir ?? (env && env.trim() ? env : packageFixturesDir()));
}

/** An error in a fixture file, naming the file and the field. */
export class FixtureError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`${file}: ${field}: ${message}`);
    this.name = 'FixtureError';
  }
}

/**
 * Read every ops/<family>.json under `dir` (default: fixturesDir()). `dir` may be a fixtures root
 * holding `ops/`, or the ops folder itself. Files are validated; errors name the file and field.
 */
export function loadOpFixtures(dir?: string): OpFamily[] {
  const root = fixturesDir(dir);
  if (!existsSync(root)) throw new FixtureError(root, '(folder)', 'fixtures folder does not exist (check TENSILE_FIXTURES)');
  const opsDir = existsSync(join(root, 'ops')) && statSync(join(root, 'ops')).isDirectory() ? join(root, 'ops') : root;
  const files = readdirSync(opsDir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new FixtureError(opsDir, '(folder)', 'no ops/<family>.json files found');
  return files.map((f) => parseOpFamily(readFileSync(join(opsDir, f), 'utf8'), join(opsDir, f)));
}

/** Parse and validate the text of one ops/<family>.json file. */
export function parseOpFamily(text: string, file: string): OpFamily {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FixtureError(file, '(file)', `invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw new FixtureError(file, '(file)', 'expected a JSON object');
  const fail = (field: string, msg: string): never => {
    throw new FixtureError(file, field, msg);
  };
  if (typeof json.family !== 'string') fail('family', 'expected a string');
  if (typeof json.torch_version !== 'string') fail('torch_version', 'expected a string');
  if (!Array.isArray(json.cases)) fail('cases', 'expected an array');
  const names = new Set<string>();
  const cases = (json.cases as unknown[]).map((c, i) => {
    const at = (field: string) => `cases[${i}]${isObject(c) && typeof c.name === 'string' ? ` (${c.name})` : ''}.${field}`;
    if (!isObject(c)) return fail(`cases[${i}]`, 'expected an object');
    if (typeof c.name !== 'string' || !c.name) fail(at('name'), 'expected a non-empty string');
    if (names.has(c.name as string)) fail(at('name'), 'duplicate case name');
    names.add(c.name as string);
    if (typeof c.op !== 'string' || !/^(torch\.|Tensor\.)/.test(c.op)) fail(at('op'), `expected "torch.X" or "Tensor.X", got ${JSON.stringify(c.op)}`);
    if (!Array.isArray(c.args)) fail(at('args'), 'expected an array');
    (c.args as unknown[]).forEach((a, k) => checkValue(a, at(`args[${k}]`), fail));
    if (c.kwargs === undefined) c.kwargs = {};
    if (!isObject(c.kwargs)) fail(at('kwargs'), 'expected an object');
    for (const [k, v] of Object.entries(c.kwargs as object)) checkValue(v, at(`kwargs.${k}`), fail);
    if (c.input_layout !== undefined) {
      const l = c.input_layout;
      if (!isObject(l) || !Number.isInteger(l.arg) || typeof l.transform !== 'string') {
        fail(at('input_layout'), 'expected {"arg": <int>, "transform": "<view chain>"}');
      }
      const li = (l as { arg: number }).arg;
      if (li < 0 || li >= (c.args as unknown[]).length || !isTensorJSON((c.args as unknown[])[li])) {
        fail(at('input_layout.arg'), `args[${li}] is not a tensor`);
      }
    }
    checkOutputs(c.output, at('output'), fail, false);
    if (c.grad_output !== undefined && c.grad_output !== null) checkOutputs(c.grad_output, at('grad_output'), fail, true);
    if (c.grads !== undefined && c.grads !== null) {
      if (!Array.isArray(c.grads)) fail(at('grads'), 'expected an array (one entry per arg)');
      if ((c.grads as unknown[]).length !== (c.args as unknown[]).length) {
        fail(at('grads'), `expected ${(c.args as unknown[]).length} entries (one per arg), got ${(c.grads as unknown[]).length}`);
      }
      (c.grads as unknown[]).forEach((g, k) => {
        if (g === null) return;
        if (Array.isArray(g)) g.forEach((x, j) => checkTensor(x, at(`grads[${k}][${j}]`), fail));
        else checkTensor(g, at(`grads[${k}]`), fail);
      });
      if (c.grad_output === undefined || c.grad_output === null) fail(at('grad_output'), 'required when grads is given');
    }
    if (c.mutated_args !== undefined) {
      if (!isObject(c.mutated_args)) fail(at('mutated_args'), 'expected an object {"<arg index>": tensor}');
      for (const [k, v] of Object.entries(c.mutated_args as object)) {
        const idx = Number(k);
        if (!Number.isInteger(idx) || idx < 0 || idx >= (c.args as unknown[]).length) fail(at(`mutated_args.${k}`), 'not an argument index');
        checkTensor(v, at(`mutated_args.${k}`), fail);
      }
    }
    for (const tol of ['rtol', 'atol'] as const) {
      if (typeof c[tol] !== 'number' || !((c[tol] as number) >= 0)) fail(at(tol), 'expected a non-negative number');
    }
    return c as unknown as OpCase;
  });
  return { family: json.family as string, torch_version: json.torch_version as string, cases, file };
}

export function isTensorJSON(v: unknown): v is TensorJSON {
  return isObject(v) && Array.isArray(v.shape) && typeof v.dtype === 'string' && Array.isArray(v.data);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Fail = (field: string, msg: string) => never;

function checkTensor(v: unknown, field: string, fail: Fail): void {
  if (!isObject(v)) fail(field, 'expected a tensor object {"shape", "dtype", "data"}');
  const t = v as Record<string, unknown>;
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    fail(`${field}.shape`, `expected a list of non-negative integers, got ${JSON.stringify(t.shape)}`);
  }
  if (typeof t.dtype !== 'string' || !DTYPES.includes(t.dtype)) fail(`${field}.dtype`, `expected one of ${DTYPES.join(', ')}, got ${JSON.stringify(t.dtype)}`);
  if (!Array.isArray(t.data)) fail(`${field}.data`, 'expected a flat list');
  const numel = (t.shape as number[]).reduce((p, d) => p * d, 1);
  const data = t.data as unknown[];
  if (data.length !== numel) fail(`${field}.data`, `expected ${numel} values for shape [${(t.shape as number[]).join(', ')}], got ${data.length}`);
  const want = t.dtype === 'bool' ? 'boolean' : 'number';
  const bad = data.findIndex((x) => typeof x !== want || (t.dtype === 'int64' && !Number.isInteger(x)));
  if (bad >= 0) fail(`${field}.data[${bad}]`, `expected a ${t.dtype === 'int64' ? 'integer' : want} for dtype ${t.dtype}, got ${JSON.stringify(data[bad])}`);
}

/** args/kwargs values: tensors, lists (maybe of tensors), scalars, strings, null, index objects. */
function checkValue(v: unknown, field: string, fail: Fail): void {
  if (isTensorJSON(v)) return checkTensor(v, field, fail);
  if (Array.isArray(v)) return v.forEach((x, i) => checkValue(x, `${field}[${i}]`, fail));
  if (isObject(v)) {
    if ('shape' in v || 'dtype' in v || 'data' in v) return checkTensor(v, field, fail);
    for (const [k, x] of Object.entries(v)) checkValue(x, `${field}.${k}`, fail);
  }
}

function checkOutputs(v: unknown, field: string, fail: Fail, allowNull: boolean): void {
  if (Array.isArray(v)) {
    if (v.length === 0) fail(field, 'expected a tensor or a non-empty list');
    v.forEach((x, i) => {
      if (x === null && allowNull) return;
      checkTensor(x, `${field}[${i}]`, fail);
    });
  } else checkTensor(v, field, fail);
}
