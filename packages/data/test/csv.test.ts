import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataLoader, disposeTensors, parseCsv, parseCsvRecords } from '../src/index.js';
import { CsvDataset, readCsv } from '../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'tensile-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fields = (text: string, opts = {}) => parseCsvRecords(text, opts).map((r) => r.fields);

describe('parseCsvRecords (RFC 4180)', () => {
  it('plain fields, LF / CRLF / CR, trailing newline', () => {
    expect(fields('a,b\n1,2\n')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fields('a,b\r\n1,2\r\n')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fields('a,b\r1,2')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fields('a,b\n1,2')).toEqual([['a', 'b'], ['1', '2']]);
  });
  it('quotes: doubled quotes, embedded delimiters and line breaks', () => {
    const text = 'name,quote\r\n"Smith, J.","He said ""hi"""\r\n"multi\r\nline","x\ny"\r\n';
    expect(fields(text)).toEqual([
      ['name', 'quote'],
      ['Smith, J.', 'He said "hi"'],
      ['multi\r\nline', 'x\ny'],
    ]);
  });
  it('empty fields, quoted empty fields, trailing delimiter, blank lines', () => {
    expect(fields('a,,c\n,\n"",x\n\n\nlast,')).toEqual([['a', '', 'c'], ['', ''], ['', 'x'], ['last', '']]);
    expect(fields('a\n\nb', { skipEmptyLines: false })).toEqual([['a'], [''], ['b']]);
    expect(fields('""\n')).toEqual([['']]);
  });
  it('line numbers count lines inside quoted fields', () => {
    const recs = parseCsvRecords('h\n"a\nb"\nc\r\n"d\r\ne"\nf');
    expect(recs.map((r) => r.line)).toEqual([1, 2, 4, 5, 7]);
  });
  it('other delimiters, BOM', () => {
    expect(fields('\ufeffa;b\n"1;2";3', { delimiter: ';' })).toEqual([['a', 'b'], ['1;2', '3']]);
    expect(fields('a\tb\n1\t2', { delimiter: '\t' })).toEqual([['a', 'b'], ['1', '2']]);
  });
  it('errors name the line', () => {
    expect(() => fields('a,b\n1,"oops\n2,3')).toThrow(/unterminated quoted field starting on line 2/);
    expect(() => fields('a\n"x"y\n')).toThrow(/line 2: unexpected "y" after a closing quote/);
    expect(() => fields('a', { delimiter: ';;' })).toThrow(/single character/);
  });
});

describe('parseCsv', () => {
  it('types columns and builds tables', () => {
    const t = parseCsv('id,name,score\n1,"Doe, Jane",3.5\n2,Bob,\n3,Al,-1e3\n');
    expect(t.columns).toEqual(['id', 'name', 'score']);
    expect(t.dtypes).toEqual(['number', 'string', 'number']);
    expect(t.numRows).toBe(3);
    expect(t.rows[0]).toEqual([1, 'Doe, Jane', 3.5]);
    expect(t.column('score')).toEqual([3.5, NaN, -1000]);
    expect(t.toObjects()[1]).toEqual({ id: 2, name: 'Bob', score: NaN });
    const x = t.toTensor(['id', 'score']);
    expect(x.shape).toEqual([3, 2]);
    expect(x.dtype).toBe('float32');
    expect(x.tolistSync()).toEqual([[1, 3.5], [2, NaN], [3, -1000]]);
    x.dispose();
    expect(() => t.toTensor(['name'])).toThrow(/column "name" holds strings/);
  });
  it('columns, dtype overrides, no header', () => {
    const text = 'a,b,c\n01,x,2\n02,y,3\n';
    const t = parseCsv(text, { columns: ['c', 'a'], dtype: { a: 'string' } });
    expect(t.columns).toEqual(['c', 'a']);
    expect(t.rows).toEqual([[2, '01'], [3, '02']]);
    const n = parseCsv('1,2\n3,4', { header: false });
    expect(n.columns).toEqual(['0', '1']);
    expect(n.rows).toEqual([[1, 2], [3, 4]]);
    expect(parseCsv('1,2\n3,4', { header: false, dtype: 'string' }).rows).toEqual([['1', '2'], ['3', '4']]);
    expect(() => parseCsv(text, { dtype: { b: 'number' } })).toThrow(/line 2, column "b": cannot parse "x" as a number/);
    expect(() => parseCsv(text, { columns: ['zz'] })).toThrow(/no column "zz"; columns are a, b, c/);
  });
  it('field-count mismatch names the line', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n', { source: 'data.csv' })).toThrow(/data\.csv: line 3 has 1 fields but the header has 2/);
  });
});

describe('readCsv and CsvDataset', () => {
  const csv = 'x1,x2,label\r\n0.5,1,0\r\n"1.5",2,1\r\n2.5,3,0\r\n';
  const path = join(dir, 'data.csv');
  writeFileSync(path, csv);
  writeFileSync(join(dir, 'data.csv.gz'), gzipSync(csv));
  it('reads files, .gz, text and bytes alike', () => {
    const expected = [[0.5, 1, 0], [1.5, 2, 1], [2.5, 3, 0]];
    expect(readCsv(path).rows).toEqual(expected);
    expect(readCsv(join(dir, 'data.csv.gz')).rows).toEqual(expected);
    expect(readCsv(csv).rows).toEqual(expected);
    expect(readCsv(new TextEncoder().encode(csv)).rows).toEqual(expected);
    expect(() => readCsv(join(dir, 'missing.csv'))).toThrow(/readCsv\(.*missing\.csv\): cannot read the file: ENOENT/);
  });
  it('CsvDataset feeds a DataLoader', () => {
    const ds = new CsvDataset(path, {
      transform: (row) => ({ features: [row.x1 as number, row.x2 as number], label: row.label as number }),
    });
    expect(ds.length).toBe(3);
    expect(ds.get(1)).toEqual({ features: [1.5, 2], label: 1 });
    const [batch] = [...new DataLoader(ds, { batchSize: 3 })];
    expect(batch!.features[0]!.tolistSync()).toEqual([0.5, 1.5, 2.5]);
    expect(batch!.label.dtype).toBe('int64');
    expect(batch!.label.tolistSync()).toEqual([0, 1, 0]);
    disposeTensors(batch);
    const raw = new CsvDataset(path);
    expect(raw.get(-1)).toEqual({ x1: 2.5, x2: 3, label: 0 });
  });
});
