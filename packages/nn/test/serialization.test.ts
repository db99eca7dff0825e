import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory, tensor, type Tensor } from '@tensile/core';
import { BatchNorm1d, Linear, Sequential, SafetensorsError, deserialize, load, loadSync, save, serialize, readMetadata } from '@tensile/nn';
import { fixtureDirs } from './support/module-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tensile-nn-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A state dict covering every dtype, a 0-d tensor, an empty tensor and a non-contiguous view. */
function sample(): Record<string, Tensor> {
  return {
    'layer.weight': tensor([[1.5, -2.25, 3], [0.1, 1e-8, -7e30]], { dtype: 'float32' }),
    'f64': tensor([Math.PI, -1 / 3], { dtype: 'float64' }),
    'f16': tensor([1, -0.5, 65504, 6e-8, 0.1], { dtype: 'float16' }),
    'bf16': tensor([1, -0.5, 3.0e38, 0.1], { dtype: 'bfloat16' }),
    'i32': tensor([1, -2, 2147483647], { dtype: 'int32' }),
    'i64': tensor(BigInt64Array.from([0n, -5n, 9007199254740991n, -4294967297n]), { dtype: 'int64' }),
    'u8': tensor([0, 7, 255], { dtype: 'uint8' }),
    'mask': tensor([[true, false], [false, true]], { dtype: 'bool' }),
    'scalar': tensor(BigInt64Array.from([42n]), { dtype: 'int64', shape: [] }),
    'empty': tensor(new Float32Array(0), { shape: [0, 3] }),
    'view': tensor([[1, 2, 3], [4, 5, 6]]).transpose(0, 1),
  };
}

const raw = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));

describe('safetensors round trip', () => {
  it('save then load gives identical names, dtypes, shapes and values', async () => {
    const sd = sample();
    const file = join(dir, 'all.safetensors');
    await save(sd, file, { metadata: { step: '10' } });
    const back = await load(file);
    expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
    for (const [k, t] of Object.entries(sd)) {
      expect(back[k]!.dtype, k).toBe(t.dtype);
      expect(back[k]!.shape, k).toEqual(t.shape);
      expect(raw(back[k]!), k).toEqual(raw(t));
    }
    expect(raw(back.i64!)).toEqual(['0', '-5', '9007199254740991', '-4294967297']);
    expect(back.mask!.tolistSync()).toEqual([[true, false], [false, true]]);
    const bytes = readFileSync(file);
    expect(readMetadata(bytes)).toEqual({ format: 'pt', step: '10' });
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header.__metadata__.format).toBe('pt');
    expect(header['i64']).toMatchObject({ dtype: 'I64', shape: [4] });
    expect(header['bf16'].dtype).toBe('BF16');
    // in memory too
    const again = deserialize(serialize(sd));
    expect(raw(again['f16']!)).toEqual(raw(sd['f16']!));
  });

  it('a module state dict (with int64 num_batches_tracked) round-trips into a fresh module', async () => {
    const net = new Sequential(new Linear(3, 4), new BatchNorm1d(4));
    net.call(tensor([[1, 2, 3], [4, 5, 6], [0, 1, 0]]));
    const file = join(dir, 'net.safetensors');
    await save(net.stateDict(), file);
    const fresh = new Sequential(new Linear(3, 4), new BatchNorm1d(4));
    const sd = await load(file);
    expect(sd['1.num_batches_tracked']!.dtype).toBe('int64');
    fresh.loadStateDict(sd);
    for (const [k, t] of Object.entries(net.stateDict())) expect(raw(fresh.stateDict()[k]!), k).toEqual(raw(t));
    expect(fresh.stateDict()['1.num_batches_tracked']!.itemSync()).toBe(1);
  });

  it('loading does not leak and the loaded tensors are live until disposed', async () => {
    const file = join(dir, 'leak.safetensors');
    await save({ w: tensor([1, 2]) }, file);
    const before = memory().numTensors;
    const sd = await load(file);
    expect(memory().numTensors).toBe(before + 1);
    sd.w!.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe('safetensors validation', () => {
  const good = () => serialize({ a: tensor([1, 2, 3, 4]), b: tensor(BigInt64Array.from([1n, 2n]), { dtype: 'int64' }) });
  const withHeader = (h: unknown, data = new Uint8Array(0)) => {
    let json = Buffer.from(JSON.stringify(h));
    const pad = (8 - (json.length % 8)) % 8;
    json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
    const out = Buffer.alloc(8 + json.length + data.length);
    out.writeBigUInt64LE(BigInt(json.length), 0);
    json.copy(out, 8);
    out.set(data, 8 + json.length);
    return out;
  };
  const fileWith = (name: string, bytes: Uint8Array) => {
    const f = join(dir, name);
    writeFileSync(f, bytes);
    return f;
  };

  it('a truncated file names the file and what is wrong', () => {
    const bytes = good();
    const f1 = fileWith('trunc-data.safetensors', bytes.subarray(0, bytes.length - 3));
    expect(() => loadSync(f1)).toThrow(SafetensorsError);
    expect(() => loadSync(f1)).toThrow(/trunc-data\.safetensors: .*tensor "(a|b)" data_offsets.*truncated/);
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    const f2 = fileWith('trunc-header.safetensors', bytes.subarray(0, 8 + n - 5));
    expect(() => loadSync(f2)).toThrow(/trunc-header\.safetensors: header length: header length \d+ is larger than the rest of the file/);
    const f3 = fileWith('trunc-tiny.safetensors', bytes.subarray(0, 5));
    expect(() => loadSync(f3)).toThrow(/trunc-tiny\.safetensors: .*too small/);
    expect(() => loadSync(join(dir, 'missing.safetensors'))).toThrow(/missing\.safetensors: cannot open file/);
  });

  it('a corrupted header gives a clear error naming the file and the field', async () => {
    const bytes = Buffer.from(good());
    const bad = Buffer.from(bytes);
    bad[9] = 0x7b; // '{' inside the JSON
    bad[10] = 0x7b;
    await expect(load(fileWith('corrupt-json.safetensors', bad))).rejects.toThrow(/corrupt-json\.safetensors: header: header is not valid JSON/);
    const huge = Buffer.from(bytes);
    huge.writeBigUInt64LE(1n << 40n, 0);
    expect(() => loadSync(fileWith('corrupt-len.safetensors', huge))).toThrow(/corrupt-len\.safetensors: header length: .*exceeds the 100 MB limit/);
    const data16 = new Uint8Array(16);
    const cases: [unknown, RegExp][] = [
      [{ x: { dtype: 'F8', shape: [4], data_offsets: [0, 16] } }, /tensor "x" dtype: unsupported dtype "F8"/],
      [{ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 16] } }, /tensor "x" shape: shape must be a list of non-negative integers/],
      [{ x: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, /tensor "x" data_offsets: holds 16 bytes but shape \[3\] of F32 needs 12/],
      [{ x: { dtype: 'F32', shape: [4], data_offsets: [0, 32] } }, /tensor "x" data_offsets: data_offsets \[0, 32\] run past the end/],
      [{ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, /tensor "y" data_offsets: .*overlaps the previous tensor/],
      [{ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, /tensor "y" data_offsets: .*gap of 4 bytes/],
      [{ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, /cover 8 bytes but the data section holds 16/],
      [{ x: { dtype: 'F32', shape: [4], data_offsets: [0] } }, /tensor "x" data_offsets: data_offsets must be \[begin, end\]/],
      [{ __metadata__: { format: 1 } }, /__metadata__: value of "format" must be a string/],
      [[1, 2], /header: header must be a JSON object/],
    ];
    for (const [h, re] of cases) {
      const f = fileWith('bad-header.safetensors', withHeader(h, data16));
      expect(() => loadSync(f), JSON.stringify(h)).toThrow(re);
      expect(() => loadSync(f)).toThrow(/bad-header\.safetensors: /);
    }
  });

  it('validation happens before any tensor is created', () => {
    const before = memory().numTensors;
    const h = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, z: { dtype: 'F32', shape: [2], data_offsets: [8, 20] } };
    expect(() => deserialize(withHeader(h, new Uint8Array(20)), { name: 'mem' })).toThrow(/mem: tensor "z" data_offsets: holds 12 bytes/);
    expect(memory().numTensors).toBe(before);
  });
});

describe('atomic save', () => {
  const fs = process.getBuiltinModule('node:fs');

  it('a failing rename leaves the previous checkpoint intact and no temp file behind', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const file = join(sub, 'model.safetensors');
    await save({ w: tensor([1, 2, 3]) }, file);
    const before = readFileSync(file);
    const orig = fs.renameSync;
    fs.renameSync = () => {
      throw new Error('simulated crash before rename');
    };
    try {
      await expect(save({ w: tensor([9, 9, 9, 9]) }, file)).rejects.toThrow(/model\.safetensors: could not save checkpoint \(simulated crash before rename\)/);
    } finally {
      fs.renameSync = orig;
    }
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(sub)).toEqual(['model.safetensors']);
    expect((await load(file)).w!.tolistSync()).toEqual([1, 2, 3]);
  });

  it('a write that dies half way leaves the previous checkpoint intact', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const file = join(sub, 'model.safetensors');
    await save({ w: tensor([1, 2, 3]) }, file);
    const orig = fs.writeSync;
    let calls = 0;
    fs.writeSync = ((fd: number, buf: Uint8Array, off: number) => {
      if (calls++ > 0) throw new Error('ENOSPC: no space left on device');
      return orig(fd, buf, off, 10);
    }) as typeof fs.writeSync;
    try {
      await expect(save({ w: tensor(new Float32Array(1000)) }, file)).rejects.toThrow(/ENOSPC/);
    } finally {
      fs.writeSync = orig;
    }
    expect(readdirSync(sub)).toEqual(['model.safetensors']);
    expect((await load(file)).w!.tolistSync()).toEqual([1, 2, 3]);
  });

  it('saving into a missing folder fails clearly and creates nothing', async () => {
    const file = join(dir, 'no-such-dir', 'x.safetensors');
    await expect(save({ w: tensor([1]) }, file)).rejects.toThrow(/x\.safetensors: could not save checkpoint \(ENOENT/);
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
  });
});

describe('Hugging Face safetensors files from PyTorch', () => {
  const models = ['bert-tiny', 'bert-tiny-token-classification', 'roberta-tiny', 'gpt2-tiny'];
  for (const m of models) {
    const file = fixtureDirs().map((d) => join(d, 'models', m, 'model.safetensors')).find((f) => existsSync(f));
    it.skipIf(!file)(`${m}/model.safetensors loads with the header's names and shapes`, () => {
      const bytes = readFileSync(file!);
      const n = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
      const sd = loadSync(file!);
      const names = Object.keys(header).filter((k) => k !== '__metadata__');
      expect(Object.keys(sd).sort()).toEqual(names.sort());
      for (const k of names) {
        expect(sd[k]!.shape, k).toEqual(header[k]!.shape);
        expect(sd[k]!.dtype, k).toBe(header[k]!.dtype === 'F32' ? 'float32' : sd[k]!.dtype);
        // spot-check the first value against the raw bytes
        if (header[k]!.dtype === 'F32' && sd[k]!.numel > 0) {
          expect((sd[k]!.dataSync() as Float32Array)[0]).toBe(bytes.readFloatLE(8 + n + header[k]!.data_offsets[0]));
        }
      }
      if (m.startsWith('bert-tiny')) expect(sd['bert.embeddings.word_embeddings.weight']!.ndim).toBe(2);
      if (m === 'gpt2-tiny') expect(sd['lm_head.weight']).toBeUndefined();
      for (const t of Object.values(sd)) t.dispose();
    });
  }
});

// PyTorch interop through the system python (json header + torch.frombuffer; no safetensors package needed).
const torchCheck = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
const torchOk = torchCheck.status === 0;
const torchWhy = torchOk ? '' : `python3 with torch is not available (${(torchCheck.stderr || String(torchCheck.error ?? '')).trim().split('\n').pop()})`;
if (!torchOk) console.warn(`[serialization.test] skipping PyTorch interop: ${torchWhy}`);

// One python process reads the file we wrote and writes one of its own (torch import is slow).
const PY = `
import json, struct, sys, torch
DT = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I32': torch.int32, 'I64': torch.int64, 'U8': torch.uint8, 'BOOL': torch.bool}
NAMES = {v: k for k, v in DT.items()}

def read(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    h = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for k, v in h.items():
        if k == '__metadata__':
            out[k] = v
            continue
        b, e = v['data_offsets']
        t = torch.frombuffer(bytearray(data[base + b: base + e]), dtype=DT[v['dtype']]) if e > b else torch.empty(0, dtype=DT[v['dtype']])
        t = t.reshape(v['shape'])
        vals = t.double().flatten().tolist() if t.is_floating_point() else t.flatten().tolist()
        out[k] = {'dtype': str(t.dtype), 'shape': list(t.shape), 'values': [str(x) if isinstance(x, int) and not isinstance(x, bool) else x for x in vals]}
    return out

def write(path):
    torch.manual_seed(0)
    sd = {
        'fc.weight': torch.randn(3, 2),
        'fc.bias': torch.tensor([0.5, -1.0, 2.0]),
        'bn.num_batches_tracked': torch.tensor(7),
        'half': torch.tensor([1.0, -2.5, 0.1], dtype=torch.float16),
        'brain': torch.tensor([1.0, -2.5, 0.1], dtype=torch.bfloat16),
        'mask': torch.tensor([True, False, True]),
        'd': torch.tensor([1 / 3], dtype=torch.float64),
    }
    # data layout as the safetensors library: by alignment (descending), then name
    items = sorted(sd.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header, blobs, off = {'__metadata__': {'format': 'pt'}}, [], 0
    for k, t in items:
        t = t.contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[k] = {'dtype': NAMES[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hb = json.dumps(header).encode()
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(hb)) + hb + b''.join(blobs))
    return {k: {'shape': list(t.shape), 'values': t.double().flatten().tolist() if t.is_floating_point() else [int(x) for x in t.flatten().tolist()]} for k, t in sd.items()}

print(json.dumps({'read': read(sys.argv[1]), 'wrote': write(sys.argv[2])}))
`;

describe.skipIf(!torchOk)(`PyTorch interop${torchOk ? '' : ` (skipped: ${torchWhy})`}`, () => {
  let result: { read: Record<string, { dtype: string; shape: number[]; values: (number | string | boolean)[] }>; wrote: Record<string, { shape: number[]; values: number[] }> };
  const sd = sample();
  const ours = join(dir, 'for-torch.safetensors');
  const theirs = join(dir, 'from-torch.safetensors');
  beforeAll(async () => {
    await save(sd, ours);
    const r = spawnSync('/usr/bin/python3', ['-c', PY, ours, theirs], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
    result = JSON.parse(r.stdout);
  });

  it('a file we save reads back in PyTorch with the same names, dtypes and values', () => {
    const got = result.read;
    expect(got.__metadata__).toEqual({ format: 'pt' });
    const torchName: Record<string, string> = { float32: 'torch.float32', float64: 'torch.float64', float16: 'torch.float16', bfloat16: 'torch.bfloat16', int32: 'torch.int32', int64: 'torch.int64', uint8: 'torch.uint8', bool: 'torch.bool' };
    expect(Object.keys(got).filter((k) => k !== '__metadata__').sort()).toEqual(Object.keys(sd).sort());
    for (const [k, t] of Object.entries(sd)) {
      expect(got[k]!.dtype, k).toBe(torchName[t.dtype]);
      expect(got[k]!.shape, k).toEqual(t.shape);
      const vals = Array.from(t.dataSync() as ArrayLike<number | bigint>);
      const mine = t.dtype === 'bool' ? vals.map((v) => v !== 0) : ['int32', 'int64', 'uint8'].includes(t.dtype) ? vals.map(String) : vals.map(Number);
      expect(got[k]!.values, k).toEqual(mine);
    }
  });

  it('a file PyTorch wrote loads here', () => {
    const want = result.wrote;
    const back = loadSync(theirs);
    expect(Object.keys(back).sort()).toEqual(Object.keys(want).sort());
    expect(back['bn.num_batches_tracked']!.dtype).toBe('int64');
    expect(back['bn.num_batches_tracked']!.shape).toEqual([]);
    expect(back['half']!.dtype).toBe('float16');
    expect(back['brain']!.dtype).toBe('bfloat16');
    expect(back['mask']!.dtype).toBe('bool');
    expect(back['d']!.dtype).toBe('float64');
    for (const [k, w] of Object.entries(want)) {
      expect(back[k]!.shape, k).toEqual(w.shape);
      expect(Array.from(back[k]!.dataSync() as ArrayLike<number | bigint>, Number), k).toEqual(w.values);
    }
  });
});
