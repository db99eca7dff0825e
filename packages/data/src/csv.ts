/**
 * CSV parsing (RFC 4180), browser-safe: quoted fields with doubled quotes, delimiters and line breaks
 * inside quotes, LF / CRLF / CR line endings, an optional UTF-8 BOM. Reading files is in
 * `@tensile/data/node` (readCsv, CsvDataset).
 */
import { tensor, type Tensor, type TensorOptions } from '@tensile/core';

/** How a column's values are typed: numbers, strings, or 'auto' (numbers when every non-empty value parses). */
export type CsvColumnType = 'number' | 'string' | 'auto';
export type CsvValue = string | number;

export interface CsvOptions {
  /** The first record names the columns (default true); otherwise columns are named '0', '1', ... */
  header?: boolean;
  /** Field separator, one character (default ','). */
  delimiter?: string;
  /** Quote character (default '"'). */
  quote?: string;
  /** Keep only these columns (names or 0-based indices), in this order. */
  columns?: readonly (string | number)[];
  /** Column types: one for all columns or per column name (default 'auto'); empty numeric fields are NaN. */
  dtype?: CsvColumnType | Readonly<Record<string, CsvColumnType>>;
  /** Skip empty lines (default true). */
  skipEmptyLines?: boolean;
  /** Name used in error messages (a file name); default 'parseCsv'. */
  source?: string;
}

/** One parsed record and the line it starts on (1-based). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** Split CSV text into records of raw string fields (RFC 4180 quoting). */
export function parseCsvRecords(text: string, opts: Pick<CsvOptions, 'delimiter' | 'quote' | 'skipEmptyLines' | 'source'> = {}): CsvRecord[] {
  const who = opts.source ?? 'parseCsv';
  const delim = opts.delimiter ?? ',';
  const quote = opts.quote ?? '"';
  if (delim.length !== 1) throw new RangeError(`${who}: delimiter must be a single character, got ${JSON.stringify(delim)}`);
  if (quote.length !== 1 || quote === delim || quote === '\n' || quote === '\r') throw new RangeError(`${who}: invalid quote character ${JSON.stringify(quote)}`);
  if (delim === '\n' || delim === '\r') throw new RangeError(`${who}: delimiter cannot be a line break`);
  const skipEmpty = opts.skipEmptyLines ?? true;
  const out: CsvRecord[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let recLine = 1;
  let fields: string[] = [];
  let anyQuoted = false;
  let pending = false; // a field has started on this record (so EOF must close it)
  const endRecord = () => {
    if (!(skipEmpty && !anyQuoted && fields.length === 1 && fields[0] === '')) out.push({ fields, line: recLine });
    fields = [];
    anyQuoted = false;
  };
  while (i < n) {
    let field: string;
    if (text[i] === quote) {
      const qLine = line;
      anyQuoted = true;
      i++;
      const parts: string[] = [];
      for (;;) {
        const j = text.indexOf(quote, i);
        if (j < 0) throw new SyntaxError(`${who}: unterminated quoted field starting on line ${qLine}`);
        const chunk = text.slice(i, j);
        for (let k = 0; k < chunk.length; k++) {
          const c = chunk.charCodeAt(k);
          if (c === 10 || (c === 13 && chunk.charCodeAt(k + 1) !== 10)) line++;
        }
        parts.push(chunk);
        if (text[j + 1] === quote) {
          parts.push(quote);
          i = j + 2;
          continue;
        }
        i = j + 1;
        break;
      }
      field = parts.join('');
      if (i < n && text[i] !== delim && text[i] !== '\n' && text[i] !== '\r') {
        throw new SyntaxError(`${who}: line ${line}: unexpected ${JSON.stringify(text[i])} after a closing quote (a quote inside a quoted field must be doubled)`);
      }
    } else {
      let j = i;
      while (j < n) {
        const c = text[j];
        if (c === delim || c === '\n' || c === '\r') break;
        j++;
      }
      field = text.slice(i, j);
      i = j;
    }
    fields.push(field);
    pending = true;
    if (i >= n) break;
    const c = text[i];
    if (c === delim) {
      i++;
      if (i >= n) fields.push(''); // a trailing delimiter ends with an empty field
      continue;
    }
    // Line break: CRLF, LF or CR.
    i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    line++;
    endRecord();
    pending = false;
    recLine = line;
  }
  if (pending) endRecord();
  return out;
}

const NUMBER_WORDS: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity };

/** Parse a CSV field as a number: undefined when it is not one; empty fields are NaN (missing). */
export function parseCsvNumber(s: string): number | undefined {
  const t = s.trim();
  if (t === '') return NaN;
  const w = NUMBER_WORDS[t.toLowerCase()];
  if (w !== undefined) return w;
  const v = Number(t);
  // Number() also accepts '0x1f', '0b1' and '0o7'; those are not decimal CSV numbers.
  if (Number.isNaN(v) || /^[+-]?0[xXbBoO]/.test(t)) return undefined;
  return v;
}

/** A parsed CSV: column names, per-column types and typed rows. */
export class CsvTable {
  constructor(
    /** Column names (from the header, or '0', '1', ...). */
    readonly columns: string[],
    /** The type of each column's values. */
    readonly dtypes: ('number' | 'string')[],
    /** Records, each with one value per column (numbers in numeric columns). */
    readonly rows: CsvValue[][],
  ) {}
  get numRows(): number {
    return this.rows.length;
  }
  private colIndex(col: string | number, who: string): number {
    const k = typeof col === 'number' ? col : this.columns.indexOf(col);
    if (!Number.isInteger(k) || k < 0 || k >= this.columns.length) throw new RangeError(`${who}: no column ${JSON.stringify(col)}; columns are ${this.columns.join(', ')}`);
    return k;
  }
  /** The values of one column (numbers for a numeric column). */
  column(col: string | number): CsvValue[] {
    const k = this.colIndex(col, 'CsvTable.column');
    return this.rows.map((r) => r[k]!);
  }
  /** Rows as objects keyed by column name. */
  toObjects(): Record<string, CsvValue>[] {
    return this.rows.map((r) => Object.fromEntries(this.columns.map((c, k) => [c, r[k]!])));
  }
  /** A [numRows, numColumns] tensor of numeric columns (all numeric columns by default). */
  toTensor(columns?: readonly (string | number)[], opts: TensorOptions = {}): Tensor {
    const idx = columns ? columns.map((c) => this.colIndex(c, 'CsvTable.toTensor')) : this.dtypes.flatMap((d, k) => (d === 'number' ? [k] : []));
    for (const k of idx) {
      if (this.dtypes[k] !== 'number') throw new TypeError(`CsvTable.toTensor: column ${JSON.stringify(this.columns[k])} holds strings, not numbers`);
    }
    const vals = new Float64Array(this.rows.length * idx.length);
    this.rows.forEach((r, i) => idx.forEach((k, j) => (vals[i * idx.length + j] = r[k] as number)));
    return tensor(vals, { ...opts, dtype: opts.dtype ?? 'float32', shape: [this.rows.length, idx.length] });
  }
}

/** Parse CSV text into a column-typed table (see CsvOptions). */
export function parseCsv(text: string, opts: CsvOptions = {}): CsvTable {
  const who = opts.source ?? 'parseCsv';
  const records = parseCsvRecords(text, opts);
  const header = opts.header ?? true;
  let names: string[];
  let body: CsvRecord[];
  if (header) {
    if (records.length === 0) throw new SyntaxError(`${who}: no header line (the input is empty)`);
    names = records[0]!.fields;
    body = records.slice(1);
  } else {
    names = records.length ? records[0]!.fields.map((_, k) => String(k)) : [];
    body = records;
  }
  const width = names.length;
  for (const r of body) {
    if (r.fields.length !== width) {
      throw new RangeError(`${who}: line ${r.line} has ${r.fields.length} fields but ${header ? 'the header has' : 'the first line has'} ${width}`);
    }
  }
  let keep = names.map((_, k) => k);
  if (opts.columns) {
    keep = opts.columns.map((c) => {
      const k = typeof c === 'number' ? c : names.indexOf(c);
      if (!Number.isInteger(k) || k < 0 || k >= width) throw new RangeError(`${who}: no column ${JSON.stringify(c)}; columns are ${names.join(', ')}`);
      return k;
    });
  }
  const typeOf = (name: string): CsvColumnType => {
    const d = opts.dtype;
    if (d === undefined) return 'auto';
    if (typeof d === 'string') return d;
    return d[name] ?? 'auto';
  };
  if (opts.dtype && typeof opts.dtype === 'object') {
    for (const key of Object.keys(opts.dtype)) if (!names.includes(key)) throw new RangeError(`${who}: dtype names unknown column ${JSON.stringify(key)}; columns are ${names.join(', ')}`);
  }
  const dtypes: ('number' | 'string')[] = [];
  const cols: CsvValue[][] = keep.map((k) => {
    const name = names[k]!;
    const t = typeOf(name);
    const raw = body.map((r) => r.fields[k]!);
    if (t === 'string') {
      dtypes.push('string');
      return raw;
    }
    const nums: number[] = [];
    let ok = true;
    for (let i = 0; i < raw.length; i++) {
      const v = parseCsvNumber(raw[i]!);
      if (v === undefined) {
        if (t === 'number') throw new TypeError(`${who}: line ${body[i]!.line}, column ${JSON.stringify(name)}: cannot parse ${JSON.stringify(raw[i])} as a number`);
        ok = false;
        break;
      }
      nums.push(v);
    }
    // 'auto' needs at least one non-empty value to call a column numeric.
    if (ok && (t === 'number' || raw.some((s) => s.trim() !== ''))) {
      dtypes.push('number');
      return nums;
    }
    dtypes.push('string');
    return raw;
  });
  const rows = body.map((_, i) => cols.map((c) => c[i]!));
  return new CsvTable(keep.map((k) => names[k]!), dtypes, rows);
}
