import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { memory, tensor, type Tensor } from '@tensile/core';
import { DataLoader, decodeIdx, encodeIdx, parseIdx } from '../src/index.js';
import { MnistDataset, readIdx, writeIdx } from '../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'tensile-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** IDX bytes built by hand: header then big-endian payload. */
function idx(type: number, dims: number[], payload: number[]): Uint8Array {
  const head = [0, 0, type, dims.length];
  for (const d of dims) head.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...head, ...payload]);
}

describe('IDX parsing', () => {
  it('ubyte images: uint8 tensor of the header shape', () => {
    const t = parseIdx(idx(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]));
    expect(t.dtype).toBe('uint8');
    expect(t.shape).toEqual([2, 2, 3]);
    expect(t.tolistSync()).toEqual([[[0, 1, 2], [3, 4, 5]], [[250, 251, 252], [253, 254, 255]]]);
    t.dispose();
  });
  it('signed byte, short, int, float, double (big-endian)', () => {
    const cases: [number, number[], string, number[]][] = [
      [0x09, [0x7f, 0x80, 0xff], 'int32', [127, -128, -1]],
      [0x0b, [0x01, 0x02, 0xff, 0xfe, 0x80, 0x00], 'int32', [258, -2, -32768]],
      [0x0c, [0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0xff, 0xfd, 0x7f, 0xff, 0xff, 0xff], 'int32', [65536, -3, 2147483647]],
      [0x0d, [0x3f, 0xc0, 0, 0, 0xc1, 0x20, 0, 0, 0, 0, 0, 0], 'float32', [1.5, -10, 0]],
      [0x0e, [0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0x24, 0, 0, 0, 0, 0, 0, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a], 'float64', [1.5, -10, 0.1]],
    ];
    for (const [type, payload, dtype, values] of cases) {
      const t = parseIdx(idx(type, [3], payload));
      expect(t.dtype).toBe(dtype);
      expect(t.tolistSync()).toEqual(values);
      t.dispose();
    }
  });
  it('encodeIdx round-trips every type', () => {
    const vals = [0, 1, 2, 100, 7, 3];
    for (const type of ['ubyte', 'byte', 'short', 'int', 'float', 'double'] as const) {
      const bytes = encodeIdx(vals, { shape: [2, 3], type });
      const d = decodeIdx(bytes);
      expect(d.type).toBe(type);
      expect(d.shape).toEqual([2, 3]);
      expect(Array.from(d.data as ArrayLike<number>)).toEqual(vals);
    }
    const f = tensor([[0.25, -2], [3, 4]], { dtype: 'float64' });
    const back = parseIdx(encodeIdx(f));
    expect(back.dtype).toBe('float64');
    expect(back.tolistSync()).toEqual([[0.25, -2], [3, 4]]);
    f.dispose();
    back.dispose();
  });
  it('validation errors say what is wrong', () => {
    const good = idx(0x08, [2, 2], [1, 2, 3, 4]);
    expect(() => parseIdx(good.subarray(0, 7), { source: 'x.idx' })).toThrow(/readIdx\(x\.idx\): truncated header: 2 dimensions need 12 header bytes, got 7/);
    expect(() => parseIdx(good.subarray(0, 13), { source: 'x.idx' })).toThrow(/readIdx\(x\.idx\): truncated data: shape \[2, 2\] of ubyte needs 4 bytes .* only 1 are there/);
    expect(() => parseIdx(Uint8Array.from([...good, 9]))).toThrow(/1 unexpected trailing bytes/);
    expect(() => parseIdx(Uint8Array.from([1, 2, 8, 1, 0, 0, 0, 0]))).toThrow(/bad magic number 0x01020801/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 0]))).toThrow(/unknown type byte 0x0a; expected one of 0x08 ubyte/);
    expect(() => parseIdx(Uint8Array.from([0, 0]))).toThrow(/truncated header: expected at least 4 bytes/);
    expect(() => parseIdx(gzipSync(good))).toThrow(/gzip-compressed/);
  });
});

describe('readIdx files', () => {
  const images = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 7) % 256);
  const labels = Uint8Array.from([3, 1, 4, 1, 5]);
  const imgBytes = encodeIdx(images, { shape: [5, 4, 3], type: 'ubyte' });
  const lblBytes = encodeIdx(labels, { shape: [5], type: 'ubyte' });
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), imgBytes);
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), lblBytes);
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(encodeIdx(images.subarray(0, 24), { shape: [2, 4, 3] })));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(encodeIdx(labels.subarray(0, 2), { shape: [2] })));

  it('reads plain and .gz files, and writeIdx writes them', () => {
    const a = readIdx(join(dir, 'train-images-idx3-ubyte'));
    expect(a.dtype).toBe('uint8');
    expect(a.shape).toEqual([5, 4, 3]);
    expect(Array.from(a.dataSync() as Uint8Array)).toEqual(Array.from(images));
    const b = readIdx(join(dir, 't10k-images-idx3-ubyte.gz'));
    expect(b.shape).toEqual([2, 4, 3]);
    expect(Array.from(b.dataSync() as Uint8Array)).toEqual(Array.from(images.subarray(0, 24)));
    const w = tensor([[1.5, 2], [3, -4]]);
    writeIdx(join(dir, 'w.idx.gz'), w);
    const r = readIdx(join(dir, 'w.idx.gz'));
    expect(r.dtype).toBe('float32');
    expect(r.tolistSync()).toEqual([[1.5, 2], [3, -4]]);
    expect(readFileSync(join(dir, 'w.idx.gz'))[0]).toBe(0x1f);
    [a, b, w, r].forEach((t) => t.dispose());
  });
  it('truncated and corrupt files: errors name the file', () => {
    const cut = join(dir, 'cut-images-idx3-ubyte');
    writeFileSync(cut, imgBytes.subarray(0, imgBytes.length - 10));
    expect(() => readIdx(cut)).toThrow(/readIdx\(.*cut-images-idx3-ubyte\): truncated data: shape \[5, 4, 3\] of ubyte needs 60 bytes after the 16-byte header, but only 50 are there/);
    const cutGz = join(dir, 'cut.gz');
    const gz = gzipSync(imgBytes);
    writeFileSync(cutGz, gz.subarray(0, gz.length - 12));
    expect(() => readIdx(cutGz)).toThrow(/readIdx\(.*cut\.gz\): cannot decompress gzip data/);
    const notIdx = join(dir, 'notes.txt');
    writeFileSync(notIdx, 'hello world');
    expect(() => readIdx(notIdx)).toThrow(/readIdx\(.*notes\.txt\): bad magic number 0x68656c6c/);
    expect(() => readIdx(join(dir, 'absent'))).toThrow(/readIdx\(.*absent\): cannot read the file: ENOENT/);
  });
  it('MnistDataset: items, transform, DataLoader batches, memory', () => {
    const ds = new MnistDataset(join(dir, 'train-images-idx3-ubyte'), join(dir, 'train-labels-idx1-ubyte'));
    expect(ds.length).toBe(5);
    expect(ds.data.shape).toEqual([5, 4, 3]);
    expect(ds.targets.tolistSync()).toEqual([3, 1, 4, 1, 5]);
    const [img, label] = ds.get(2);
    expect(img.dtype).toBe('uint8');
    expect(img.shape).toEqual([4, 3]);
    expect(Array.from(img.dataSync() as Uint8Array)).toEqual(Array.from(images.subarray(24, 36)));
    expect(label).toBe(4);
    img.dispose();

    const before = memory().numTensors;
    const dl = new DataLoader(ds, { batchSize: 2 });
    expect(dl.length).toBe(3);
    const labelsSeen: number[] = [];
    for (const [x, y] of dl) {
      expect(x.dtype).toBe('uint8');
      expect(x.shape.slice(1)).toEqual([4, 3]);
      expect(y.dtype).toBe('int64');
      labelsSeen.push(...(y.tolistSync() as number[]));
      x.dispose();
      y.dispose();
    }
    expect(labelsSeen).toEqual([3, 1, 4, 1, 5]);
    expect(memory().numTensors).toBe(before);

    const scaled = new MnistDataset<Tensor, number>(join(dir, 'train-images-idx3-ubyte'), join(dir, 'train-labels-idx1-ubyte'), {
      transform: (im) => im.to('float32').div(255).reshape(-1),
      targetTransform: (l) => l + 10,
    });
    const before2 = memory().numTensors;
    const [fx, fy] = scaled.get(0);
    expect(fx.shape).toEqual([12]);
    expect(fx.dtype).toBe('float32');
    expect((fx.tolistSync() as number[]).map((v) => Math.round(v * 255))).toEqual(Array.from(images.subarray(0, 12)));
    expect(fy).toBe(13);
    fx.dispose();
    expect(memory().numTensors).toBe(before2);
    ds.dispose();
    scaled.dispose();
  });
  it('MnistDataset.fromDirectory and mismatched files', () => {
    const test = MnistDataset.fromDirectory(dir, { train: false });
    expect(test.length).toBe(2);
    expect(test.data.shape).toEqual([2, 4, 3]);
    test.dispose();
    expect(() => new MnistDataset(join(dir, 'train-images-idx3-ubyte'), join(dir, 't10k-labels-idx1-ubyte.gz'))).toThrow(/has 5 images but .*t10k-labels-idx1-ubyte\.gz has 2 labels/);
    expect(() => new MnistDataset(join(dir, 'train-labels-idx1-ubyte'), join(dir, 'train-labels-idx1-ubyte'))).toThrow(/ubyte images of shape \[N, H, W\], got uint8 of shape \[5\]/);
    expect(() => MnistDataset.fromDirectory(join(dir, 'nowhere'))).toThrow(/no train-images-idx3-ubyte\[\.gz\] file/);
  });
});

/**
 * Files of Debian's dataset-fashion-mnist package, when it is installed (TENSILE_FASHION_MNIST may
 * name another folder holding the same files).
 */
function fashionMnistFiles(): { images: string; labels: string } | string {
  const roots: string[] = [];
  const root = process.env.TENSILE_FASHION_MNIST ?? '/usr/share/dataset-fashion-mnist';
  if (existsSync(root)) roots.push(root);
  let listed: string[] = [];
  try {
    listed = execFileSync('dpkg', ['-L', 'dataset-fashion-mnist'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
  } catch {
    // not installed (or no dpkg)
  }
  const walk = (d: string, depth = 0): string[] =>
    depth > 3 ? [] : readdirSync(d).flatMap((n) => {
      const p = join(d, n);
      return statSync(p).isDirectory() ? walk(p, depth + 1) : [p];
    });
  const files = [...new Set([...listed, ...roots.flatMap((r) => walk(r))])].filter((p) => p && existsSync(p) && statSync(p).isFile());
  const pick = (re: RegExp) => files.find((p) => re.test(p));
  const images = pick(/t10k-images-idx3-ubyte(\.gz)?$/) ?? pick(/images-idx3-ubyte(\.gz)?$/);
  const labels = images && pick(new RegExp(images.replace(/.*\//, '').replace('images-idx3', 'labels-idx1').replace('.', '\\.') + '$'));
  if (!images || !labels) return `dataset-fashion-mnist is not installed (no IDX files in ${root}; \`apt-get install dataset-fashion-mnist\` to run it)`;
  return { images, labels };
}

const fashion = fashionMnistFiles();
describe('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  if (typeof fashion === 'string') {
    console.info(`skipping the real Fashion-MNIST test: ${fashion}`);
    it.skip(`reads the real files: skipped because ${fashion}`, () => {});
    return;
  }
  it(`reads the real files (${fashion.images})`, () => {
    const ds = new MnistDataset(fashion.images, fashion.labels);
    const n = ds.length;
    expect([10000, 60000]).toContain(n);
    expect(ds.data.shape).toEqual([n, 28, 28]);
    expect(ds.data.dtype).toBe('uint8');
    const counts = new Array(10).fill(0);
    for (const l of ds.targets.dataSync() as Uint8Array) counts[l]++;
    // Fashion-MNIST is balanced: 1,000 (test) or 6,000 (train) per class.
    expect(counts).toEqual(new Array(10).fill(n / 10));
    const [img] = ds.get(0);
    const px = Array.from(img.dataSync() as Uint8Array);
    expect(Math.max(...px)).toBeGreaterThan(100);
    img.dispose();
    ds.dispose();
  });
});
