import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keep, memory, tensor } from '@tensile/core';
import {
  ADAPTERS,
  ASYNC_READ_ADAPTERS,
  adapterFor,
  compareTensor,
  coreFn,
  coverage,
  findSkip,
  FixtureError,
  loadOpFixtures,
  parseLayout,
  parseOpFamily,
  runConformance,
  runOpCase,
  type OpCase,
} from '@tensile/conformance';
import { describe, expect, it } from 'vitest';

const t = (shape: number[], data: number[], dtype = 'float32') => ({ shape, dtype, data });

/** A tiny ops fixture family in the fixtures format (values checked by hand). */
const tiny = {
  family: 'tiny',
  torch_version: 'test',
  cases: [
    {
      name: 'tiny_add',
      op: 'torch.add',
      args: [t([2, 2], [1, 2, 3, 4]), t([2], [0.5, -1])],
      kwargs: { alpha: 2 },
      output: t([2, 2], [2, 0, 4, 2]),
      grad_output: t([2, 2], [1, 1, 1, 1]),
      grads: [t([2, 2], [1, 1, 1, 1]), t([2], [4, 4])],
      rtol: 1e-5,
      atol: 1e-6,
    },
    {
      name: 'tiny_gt_transposed',
      op: 'torch.gt',
      args: [t([2, 2], [1, 2, 3, 4]), 1.5],
      kwargs: {},
      input_layout: { arg: 0, transform: 'transpose(0,1)' },
      output: { shape: [2, 2], dtype: 'bool', data: [false, true, true, true] },
      rtol: 1e-5,
      atol: 1e-6,
    },
  ],
};

function writeFixtures(family: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'tensile-fixtures-'));
  mkdirSync(join(dir, 'ops'));
  writeFileSync(join(dir, 'ops', 'tiny.json'), JSON.stringify(family));
  return dir;
}

// TENSILE_FIXTURES pointing at another folder registers the same tests on that folder.
// (These tiny runs must not overwrite the real suites' coverage files.)
delete process.env.TENSILE_COVERAGE_DIR;
const tinyDir = writeFixtures(tiny);
const saved = process.env.TENSILE_FIXTURES;
process.env.TENSILE_FIXTURES = tinyDir;
runConformance('js');
runConformance('js-async');
if (saved === undefined) delete process.env.TENSILE_FIXTURES;
else process.env.TENSILE_FIXTURES = saved;

describe('fixture loader', () => {
  it('reads TENSILE_FIXTURES (a root with ops/, or the ops folder itself)', () => {
    process.env.TENSILE_FIXTURES = tinyDir;
    try {
      const fams = loadOpFixtures();
      expect(fams.map((f) => f.family)).toEqual(['tiny']);
      expect(fams[0]!.cases.map((c) => c.name)).toEqual(['tiny_add', 'tiny_gt_transposed']);
    } finally {
      if (saved === undefined) delete process.env.TENSILE_FIXTURES;
      else process.env.TENSILE_FIXTURES = saved;
    }
    expect(loadOpFixtures(join(tinyDir, 'ops'))[0]!.family).toBe('tiny');
  });

  it('loads the package fixtures by default', () => {
    const fams = loadOpFixtures();
    expect(fams.map((f) => f.family).sort()).toEqual(['elementwise', 'indexing', 'linalg', 'loss', 'nn_functional', 'reduction', 'shape']);
  });

  it('names the file and the field on a bad fixture', () => {
    const bad = structuredClone(tiny);
    bad.cases[0]!.args[0] = t([2, 2], [1, 2, 3]);
    expect(() => parseOpFamily(JSON.stringify(bad), '/x/tiny.json')).toThrow(FixtureError);
    expect(() => parseOpFamily(JSON.stringify(bad), '/x/tiny.json')).toThrow('/x/tiny.json: cases[0] (tiny_add).args[0].data: expected 4 values for shape [2, 2], got 3');
    const bad2 = structuredClone(tiny) as { cases: Record<string, unknown>[] };
    bad2.cases[1]!.output = { shape: [2, 2], dtype: 'float16', data: [1, 2, 3, 4] };
    expect(() => parseOpFamily(JSON.stringify(bad2), 'f.json')).toThrow('f.json: cases[1] (tiny_gt_transposed).output.dtype: expected one of float32, int64, bool, got "float16"');
    expect(() => parseOpFamily('{', 'g.json')).toThrow(/g\.json: \(file\): invalid JSON/);
    const dir = writeFixtures({ family: 'tiny', torch_version: 'x', cases: [{ ...tiny.cases[0], grads: [null] }] });
    expect(() => loadOpFixtures(dir)).toThrow(/tiny\.json: cases\[0\] \(tiny_add\)\.grads: expected 2 entries/);
  });

  it('parses input_layout chains', () => {
    expect(parseLayout('permute(1,2,0).narrow(1,1,3)')).toEqual([
      { name: 'permute', args: [1, 2, 0] },
      { name: 'narrow', args: [1, 1, 3] },
    ]);
    expect(parseLayout('expand(3, -1)')).toEqual([{ name: 'expand', args: [3, -1] }]);
    expect(() => parseLayout('flip(0)')).toThrow(/unknown view "flip"/);
    expect(() => parseLayout('transpose(0)')).toThrow(/transpose takes 2 arguments/);
    expect(() => parseLayout('transpose(0,1)x')).toThrow(/cannot parse/);
  });
});

describe('case runner', () => {
  it('reports the worst element with its index and values', async () => {
    const a = tensor([1, 2, 3, 4.5], { shape: [2, 2] });
    const msg = await compareTensor(a, t([2, 2], [1, 2, 3, 4]) as never, { rtol: 1e-5, atol: 1e-6 }, 'output 0');
    expect(msg).toMatch(/^output 0: 1 of 4 elements differ; worst at \[1, 1\]: actual 4\.5, expected 4/);
    expect(await compareTensor(a, t([4], [1, 2, 3, 4]) as never, { rtol: 0, atol: 0 }, 'output')).toBe('output: shape [2, 2] != expected [4]');
    a.dispose();
  });

  it('fails a case whose op leaks, or that core lacks, with clear messages', async () => {
    type T = ReturnType<typeof tensor>;
    const leaky: OpCase = { ...(tiny.cases[1] as unknown as OpCase), name: 'leaky', op: 'torch.leaky_for_test', input_layout: undefined };
    let leaked: T | undefined;
    ADAPTERS['torch.leaky_for_test'] = (a) => {
      leaked = keep((a[0] as T).add(1));
      return (a[0] as T).gt(a[1] as number);
    };
    const before = memory().devices.js?.tensors ?? 0;
    const r = await runOpCase('tiny', leaky, 'js');
    delete ADAPTERS['torch.leaky_for_test'];
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual(["leak: 1 tensors and 16 bytes on 'js' still live after the case's tensors were disposed"]);
    leaked!.dispose();
    expect(memory().devices.js?.tensors ?? 0).toBe(before);

    ADAPTERS['torch.nope_for_test'] = (a) => coreFn('nopeForTest')(a[0]);
    const missing = await runOpCase('tiny', { ...leaky, op: 'torch.nope_for_test' }, 'js');
    delete ADAPTERS['torch.nope_for_test'];
    expect(missing.status).toBe('missing');
    expect(missing.message).toContain('forward threw: not implemented in core: nopeForTest');

    const unknown = await runOpCase('tiny', { ...leaky, op: 'torch.unknown_for_test' }, 'js');
    expect(unknown.status).toBe('fail');
    expect(unknown.message).toContain('no conformance adapter for op torch.unknown_for_test');
  });

  it('detects wrong values and gradients', async () => {
    const c = structuredClone(tiny.cases[0]) as unknown as OpCase;
    (c.grads![1] as { data: number[] }).data = [4, 3];
    (c.output as { data: number[] }).data[3] = 2.5;
    const r = await runOpCase('tiny', c, 'js-async');
    expect(r.status).toBe('fail');
    expect(r.failures).toEqual([
      'output: 1 of 4 elements differ; worst at [1, 1]: actual 2, expected 2.5 (|diff| 0.500 > atol 0.000001 + rtol 0.00001 * |expected|)',
      'grad of args[1]: 1 of 2 elements differ; worst at [1]: actual 4, expected 3 (|diff| 1.00 > atol 0.000001 + rtol 0.00001 * |expected|)',
    ]);
  });

  it('runs bool-mask indexing and one_hot without num_classes through the async variants on js-async', async () => {
    expect(adapterFor('Tensor.__getitem__', { syncRead: false })).toBe(ASYNC_READ_ADAPTERS['Tensor.__getitem__']);
    expect(adapterFor('Tensor.__getitem__')).toBe(ADAPTERS['Tensor.__getitem__']);
    expect(adapterFor('torch.add', { syncRead: false })).toBe(ADAPTERS['torch.add']);
    // x.t()[mask] on a transposed input: values, gradient, and no leak (the layout view is freed)
    const mask: OpCase = {
      name: 'mask_transposed',
      op: 'Tensor.__getitem__',
      args: [t([2, 3], [1, 2, 3, 4, 5, 6]), [{ shape: [3, 2], dtype: 'bool', data: [true, false, false, true, true, true] }]],
      kwargs: {},
      input_layout: { arg: 0, transform: 'transpose(0,1)' },
      output: t([4], [1, 5, 3, 6]),
      grad_output: t([4], [1, 2, 3, 4]),
      grads: [t([2, 3], [1, 0, 3, 0, 2, 4]), null],
      rtol: 1e-6,
      atol: 1e-6,
    } as OpCase;
    const oneHot: OpCase = {
      name: 'one_hot_inferred_tiny',
      op: 'torch.nn.functional.one_hot',
      args: [t([3], [0, 2, 1], 'int64')],
      kwargs: { num_classes: -1 },
      output: t([3, 3], [1, 0, 0, 0, 0, 1, 0, 1, 0], 'int64'),
      rtol: 0,
      atol: 0,
    } as OpCase;
    for (const c of [mask, oneHot]) {
      for (const device of ['js', 'js-async']) {
        const r = await runOpCase('tiny', c, device);
        expect(r.message, `${c.name} on ${device}`).toBe('');
      }
    }
  });

  it('matches skip rules by family, op, case and dtype', () => {
    const c = tiny.cases[1] as unknown as OpCase;
    expect(findSkip([{ dtype: 'bool', reason: 'no bool' }], 'tiny', c)?.reason).toBe('no bool');
    expect(findSkip([{ dtype: 'int64', reason: 'no int64' }], 'tiny', c)).toBeUndefined();
    expect(findSkip([{ family: 'tiny', op: /^torch\.g/, reason: 'r' }], 'tiny', c)?.reason).toBe('r');
    expect(findSkip([{ case: 'other', reason: 'r' }], 'tiny', c)).toBeUndefined();
  });

  it('records coverage rows for the dashboard', () => {
    const rows = coverage().filter((e) => e.family === 'tiny');
    expect(rows.every((e) => ['pass', 'fail', 'skip', 'missing'].includes(e.status))).toBe(true);
  });
});
