import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataLoader, disposeTensors, parseJsonl } from '../src/index.js';
import { iterJsonl, JsonlDataset, readJsonl } from '../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'tensile-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JSONL', () => {
  it('parses text, skipping blank lines, CRLF', () => {
    expect(parseJsonl('{"a":1}\r\n\r\n  \n[2,3]\n"s"\n')).toEqual([{ a: 1 }, [2, 3], 's']);
  });
  it('a bad line gives an error naming the line number', () => {
    expect(() => parseJsonl('{"a":1}\n\n{"a":\n', { source: 'x.jsonl' })).toThrow(/x\.jsonl: line 3 is not valid JSON/);
  });
  it('reads files line by line (plain and .gz), and bad lines name file and line', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i, text: `row ${i} ${'x'.repeat(i % 50)}` }));
    const text = lines.join('\n') + '\n\n';
    const path = join(dir, 'big.jsonl');
    writeFileSync(path, text);
    writeFileSync(join(dir, 'big.jsonl.gz'), gzipSync(text));
    const all = await readJsonl<{ i: number }>(path);
    expect(all.length).toBe(1000);
    expect(all.map((r) => r.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect((await readJsonl<{ i: number }>(join(dir, 'big.jsonl.gz'))).length).toBe(1000);
    // Streaming stops early without reading the rest.
    let n = 0;
    for await (const _ of iterJsonl(path)) if (++n === 3) break;
    expect(n).toBe(3);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"ok":1}\n\n{"ok":2}\r\n{broken\n');
    await expect(readJsonl(bad)).rejects.toThrow(/readJsonl\(.*bad\.jsonl\): line 4 is not valid JSON/);
    await expect(readJsonl(join(dir, 'nope.jsonl'))).rejects.toThrow(/nope\.jsonl\): cannot read the file: ENOENT/);
    expect(await readJsonl('{"a":1}\n{"a":2}')).toEqual([{ a: 1 }, { a: 2 }]);
  });
  it('JsonlDataset streams into a DataLoader each epoch', async () => {
    const path = join(dir, 'ds.jsonl');
    writeFileSync(path, '{"x":[1,2],"y":0}\n{"x":[3,4],"y":1}\n{"x":[5,6],"y":1}\n');
    const ds = new JsonlDataset<{ x: number[]; y: number }>(path);
    const dl = new DataLoader(ds, { batchSize: 2 });
    for (let epoch = 0; epoch < 2; epoch++) {
      const ys: number[] = [];
      const xs: unknown[] = [];
      for await (const b of dl) {
        ys.push(...(b.y.tolistSync() as number[]));
        xs.push(b.x.map((t) => t.tolistSync()));
        disposeTensors(b);
      }
      expect(ys).toEqual([0, 1, 1]);
      expect(xs).toEqual([[[1, 3], [2, 4]], [[5], [6]]]);
    }
    const mapped = new JsonlDataset(path, { transform: (v: { y: number }) => v.y * 2 });
    const out: number[] = [];
    for await (const v of mapped) out.push(v);
    expect(out).toEqual([0, 2, 2]);
  });
});
