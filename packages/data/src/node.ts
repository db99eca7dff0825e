/**
 * @tensile/data/node: file readers that need Node (node:fs, node:zlib). They live in this separate
 * entry point so that `@tensile/data` itself stays browser-safe; in a browser, fetch the bytes or
 * text yourself and use parseCsv / parseJsonl / parseIdx from `@tensile/data`.
 *
 * Sources: a file path (a string with no line break), a file URL, or the contents as a Uint8Array.
 * CSV and JSONL also take their text directly (any string containing a line break is text).
 * Files whose name ends in `.gz` (or whose bytes start with the gzip magic number) are decompressed.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { tensor, tidy, type Tensor } from '@tensile/core';
import { parseCsv, type CsvOptions, type CsvTable, type CsvValue } from './csv.js';
import { Dataset, IterableDataset, normIndex } from './dataset.js';
import { decodeIdx, encodeIdx, isGzip, parseIdx, type IdxType } from './idx.js';
import { isBlankLine, parseJsonl, parseJsonlLine } from './jsonl.js';

/** A file path, a file URL, or the file's bytes. */
export type FileSource = string | URL | Uint8Array;

function isText(s: string): boolean {
  return s.includes('\n') || s.includes('\r');
}

function pathOf(source: string | URL): string {
  return source instanceof URL ? fileURLToPath(source) : source;
}

/** Read a file (gunzipping .gz / gzip data); errors name the file. */
function readBytes(source: FileSource, who: string): { bytes: Uint8Array; name: string } {
  if (source instanceof Uint8Array) return { bytes: maybeGunzip(source, '<bytes>', who), name: '<bytes>' };
  const path = pathOf(source);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const hint = err.code === 'ENOENT' && typeof source === 'string' && who !== 'readIdx' ? ' (a string without a line break is read as a path; to parse a one-line text, use the parse* function of @tensile/data)' : '';
    throw new Error(`${who}(${path}): cannot read the file: ${err.code ?? err.message}${hint}`, { cause: e });
  }
  return { bytes: maybeGunzip(bytes, path, who), name: path };
}

function maybeGunzip(bytes: Uint8Array, name: string, who: string): Uint8Array {
  if (!isGzip(bytes) && !name.endsWith('.gz')) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new Error(`${who}(${name}): cannot decompress gzip data (${(e as Error).message}); the file is truncated or corrupt`, { cause: e });
  }
}

function readText(source: FileSource, who: string): { text: string; name: string } {
  if (typeof source === 'string' && isText(source)) return { text: source, name: who };
  const { bytes, name } = readBytes(source, who);
  return { text: new TextDecoder('utf-8').decode(bytes), name: source instanceof Uint8Array ? who : `${who}(${name})` };
}

// ---- CSV ----

/** Read CSV from a file (or text, or bytes) into a column-typed table (RFC 4180; see CsvOptions). */
export function readCsv(source: FileSource, opts: CsvOptions = {}): CsvTable {
  const { text, name } = readText(source, 'readCsv');
  return parseCsv(text, { ...opts, source: opts.source ?? name });
}

export interface CsvDatasetOptions<T> extends CsvOptions {
  /** Maps a row (an object keyed by column name) to the item. */
  transform?: (row: Record<string, CsvValue>, index: number) => T;
}

/**
 * A map-style dataset over the rows of a CSV file: item i is row i as an object keyed by column
 * name (numbers in numeric columns), or `transform(row, i)`.
 */
export class CsvDataset<T = Record<string, CsvValue>> extends Dataset<T> {
  readonly table: CsvTable;
  private readonly transform?: (row: Record<string, CsvValue>, index: number) => T;
  constructor(source: FileSource, opts: CsvDatasetOptions<T> = {}) {
    super();
    const { transform, ...csv } = opts;
    this.table = readCsv(source, csv);
    this.transform = transform;
  }
  len(): number {
    return this.table.numRows;
  }
  get(index: number): T {
    const i = normIndex(index, this.table.numRows, 'CsvDataset.get');
    const r = this.table.rows[i]!;
    const row = Object.fromEntries(this.table.columns.map((c, k) => [c, r[k]!]));
    return this.transform ? this.transform(row, i) : (row as T);
  }
}

// ---- JSONL ----

async function* fileLines(path: string, who: string): AsyncGenerator<string> {
  const file = createReadStream(path);
  const stream = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  file.on('error', (e) => stream !== file && stream.destroy(e));
  const dec = new TextDecoder('utf-8');
  let rest = '';
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      const parts = (rest + dec.decode(chunk, { stream: true })).split('\n');
      rest = parts.pop()!;
      yield* parts;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`${who}(${path}): cannot read the file: ${err.code ?? err.message}`, { cause: e });
  } finally {
    stream.destroy();
    file.destroy();
  }
  rest += dec.decode();
  if (rest !== '') yield rest;
}

/**
 * Stream the values of a JSONL file one line at a time (memory stays flat however big the file);
 * blank lines are skipped; a bad line throws an error naming the file and the line number.
 */
export async function* iterJsonl<T = unknown>(source: FileSource): AsyncGenerator<T> {
  if ((typeof source === 'string' && isText(source)) || source instanceof Uint8Array) {
    const { text, name } = readText(source, 'readJsonl');
    yield* parseJsonl<T>(text, { source: name });
    return;
  }
  const path = pathOf(source);
  let lineNo = 0;
  for await (let line of fileLines(path, 'readJsonl')) {
    lineNo++;
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (isBlankLine(line)) continue;
    yield parseJsonlLine<T>(line, lineNo, `readJsonl(${path})`);
  }
}

/** Read all values of a JSONL file (streamed line by line) or text. */
export async function readJsonl<T = unknown>(source: FileSource): Promise<T[]> {
  const out: T[] = [];
  for await (const v of iterJsonl<T>(source)) out.push(v);
  return out;
}

/**
 * An IterableDataset streaming a JSONL file line by line each epoch (for files too big to hold in
 * memory); items are the parsed values, or `transform(value)`. For random access and shuffling,
 * use `await readJsonl(path)` (an array is a map-style dataset).
 */
export class JsonlDataset<T = unknown, R = unknown> extends IterableDataset<T> {
  constructor(readonly source: string | URL, readonly opts: { transform?: (value: R) => T } = {}) {
    super();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    const f = this.opts.transform;
    for await (const v of iterJsonl<R>(this.source)) yield f ? f(v) : (v as unknown as T);
  }
}

// ---- IDX / MNIST ----

/**
 * Read an IDX file (MNIST / Fashion-MNIST; .gz decompressed) into a tensor of its dtype and shape
 * (uint8 for images). Errors name the file and what is wrong (bad magic number, unknown type,
 * truncated header or data, trailing bytes, corrupt gzip).
 */
export function readIdx(source: FileSource, opts: { device?: string } = {}): Tensor {
  const { bytes, name } = readBytes(source, 'readIdx');
  return parseIdx(bytes, { source: name, device: opts.device });
}

/** Write a tensor (or flat values with `shape`) as an IDX file; gzip-compressed when the path ends in .gz. */
export function writeIdx(path: string | URL, values: Tensor | ArrayLike<number>, opts: { shape?: readonly number[]; type?: IdxType } = {}): void {
  const p = pathOf(path);
  const bytes = encodeIdx(values, opts);
  writeFileSync(p, p.endsWith('.gz') ? gzipSync(bytes) : bytes);
}

export interface MnistOptions<T, L> {
  /** Maps the uint8 [H, W] image view to the item's image (e.g. `img => img.float().div(255)`). */
  transform?: (image: Tensor) => T;
  /** Maps the label (a number) to the item's target. */
  targetTransform?: (label: number) => L;
  device?: string;
}

/**
 * MNIST-format dataset (MNIST, Fashion-MNIST, KMNIST...) from an IDX images file ([N, H, W] ubyte)
 * and an IDX labels file ([N] ubyte), plain or .gz. Item i is `[image, label]`: image is a uint8
 * [H, W] view of `data` (or transform(image), run inside tidy() so its intermediates and the view
 * are freed), label a number (or targetTransform(label)). `data` and `targets` are the whole tensors
 * (torchvision's names); `dispose()` frees them.
 */
export class MnistDataset<T = Tensor, L = number> extends Dataset<[T, L]> {
  readonly data: Tensor;
  readonly targets: Tensor;
  private readonly labels: Uint8Array;
  private readonly transform?: (image: Tensor) => T;
  private readonly targetTransform?: (label: number) => L;

  constructor(imagesPath: FileSource, labelsPath: FileSource, opts: MnistOptions<T, L> = {}) {
    super();
    const imgName = imagesPath instanceof Uint8Array ? 'images' : pathOf(imagesPath);
    const lblName = labelsPath instanceof Uint8Array ? 'labels' : pathOf(labelsPath);
    const images = readIdx(imagesPath, { device: opts.device });
    let labels: Tensor | undefined;
    try {
      if (images.dtype !== 'uint8' || images.ndim !== 3) {
        throw new TypeError(`MnistDataset(${imgName}): expected an IDX file of ubyte images of shape [N, H, W], got ${images.dtype} of shape [${images.shape.join(', ')}]`);
      }
      const lb = readBytes(labelsPath, 'readIdx');
      const dec = decodeIdx(lb.bytes, lb.name);
      if (dec.type !== 'ubyte' || dec.shape.length !== 1) {
        throw new TypeError(`MnistDataset(${lblName}): expected an IDX file of ubyte labels of shape [N], got ${dec.type} of shape [${dec.shape.join(', ')}]`);
      }
      if (dec.shape[0] !== images.shape[0]) {
        throw new RangeError(`MnistDataset: ${imgName} has ${images.shape[0]} images but ${lblName} has ${dec.shape[0]} labels`);
      }
      // Labels live on the host too, so get() never reads the device.
      this.labels = dec.data as Uint8Array;
      labels = tensor(this.labels, opts.device ? { dtype: 'uint8', device: opts.device } : { dtype: 'uint8' });
    } catch (e) {
      images.dispose();
      labels?.dispose();
      throw e;
    }
    this.data = images;
    this.targets = labels;
    this.transform = opts.transform;
    this.targetTransform = opts.targetTransform;
  }

  /**
   * The standard file names in a folder: `train-images-idx3-ubyte` / `train-labels-idx1-ubyte` (or
   * `t10k-*` with `train: false`), each optionally `.gz`.
   */
  static fromDirectory<T = Tensor, L = number>(dir: string, opts: MnistOptions<T, L> & { train?: boolean } = {}): MnistDataset<T, L> {
    const prefix = opts.train === false ? 't10k' : 'train';
    const find = (kind: string) => {
      const names = existsSync(dir) ? readdirSync(dir) : [];
      const hit = [`${prefix}-${kind}`, `${prefix}-${kind}.gz`].find((n) => names.includes(n));
      if (!hit) throw new Error(`MnistDataset.fromDirectory(${dir}): no ${prefix}-${kind}[.gz] file there`);
      return join(dir, hit);
    };
    return new MnistDataset(find('images-idx3-ubyte'), find('labels-idx1-ubyte'), opts);
  }

  len(): number {
    return this.labels.length;
  }
  get(index: number): [T, L] {
    const i = normIndex(index, this.labels.length, 'MnistDataset.get');
    // Inside tidy(): the row view and the transform's intermediates are freed; only what the
    // transform returns survives.
    const image = this.transform ? tidy(() => this.transform!(this.data.select(0, i))) : (this.data.select(0, i) as T);
    const label = this.labels[i]!;
    return [image, this.targetTransform ? tidy(() => this.targetTransform!(label)) : (label as L)];
  }
  /** Free `data` and `targets`. */
  dispose(): void {
    this.data.dispose();
    this.targets.dispose();
  }
}
