import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, memory, noGrad, tensor } from '@tensile/core';
import { useDevice } from '@tensile/app-kit';
import { BpttBatcher, loadMobyDick, splitText, Vocab } from '../src/data.js';
import { CharModel } from '../src/model.js';
import { bitsPerChar, evaluateBpc, sampleText, train, type CharLstmOptions } from '../src/train.js';

// The LSTM is too slow on the js reference backend for these tests: cpu when it loads.
let device = 'cpu';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensile-char-lstm-'));
let slice = '';
beforeAll(async () => {
  try {
    await useDevice('cpu');
  } catch {
    device = 'js';
    await useDevice('js');
  }
  slice = loadMobyDick().slice(0, 40_000);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A small, fast configuration on the first 40k characters of the book. */
function small(extra: Partial<CharLstmOptions>): Partial<CharLstmOptions> {
  return {
    device, text: slice, quiet: true, log: () => {}, batchSize: 8, seqLen: 16, hidden: 32, embedding: 16,
    stepsPerEpoch: 5, epochs: 2, lr: 1e-2, validChars: 800, evalBatch: 4, sampleLength: 20, writeFiles: false, ...extra,
  };
}

describe('data', () => {
  it('loads the whole book and splits it contiguously 90/5/5', () => {
    const text = loadMobyDick();
    expect(text.length).toBeGreaterThan(1_100_000);
    expect(text).toContain('Call me Ishmael.');
    const s = splitText('abcdefghijklmnopqrst', [0.9, 0.05]);
    expect(s).toEqual({ train: 'abcdefghijklmnopqr', valid: 's', test: 't' });
  });

  it('maps characters absent from the training text to the unknown id 0', () => {
    const v = Vocab.fromText('hello');
    expect(v.size).toBe(5); // unknown, e, h, l, o
    expect(Array.from(v.encode('hex'))).toEqual([v.encode('h')[0], v.encode('e')[0], Vocab.UNK]);
    expect(v.decode(v.encode('hole'))).toBe('hole');
  });

  it('cuts contiguous streams so chunk k+1 continues chunk k, targets shifted by one', () => {
    const ids = Int32Array.from({ length: 100 }, (_, i) => i);
    const b = new BpttBatcher(ids, 2, 4); // streams 0..49 and 50..99
    const c0 = b.chunk(0), c1 = b.chunk(1);
    // [seqLen, batch] time-major: stream 1 is the second column
    expect(Array.from(c0.x)).toEqual([0, 50, 1, 51, 2, 52, 3, 53]);
    expect(Array.from(c0.y)).toEqual([1, 51, 2, 52, 3, 53, 4, 54]);
    expect(Array.from(c1.x).slice(0, 2)).toEqual([4, 54]);
    expect(Array.from(b.chunk(1, 3).x).slice(0, 2)).toEqual([7, 57]);
    expect(b.chunksPerPass(0)).toBe(12);
  });
});

describe('bits per character', () => {
  it('is the cross-entropy in nats divided by ln 2 on a known case', async () => {
    // p(target) = 3/4 and 1/2: mean bits = (-log2 0.75 - log2 0.5) / 2
    const logits = tensor([[0, Math.log(3)], [0, 0]]);
    const targets = tensor([1, 0], { dtype: 'int64' });
    expect(await bitsPerChar(logits, targets)).toBeCloseTo((-Math.log2(0.75) + 1) / 2, 5);
    logits.dispose();
    targets.dispose();
  });

  it('is log2(vocab) for a model that predicts the uniform distribution', async () => {
    manualSeed(0);
    const m = new CharModel({ vocabSize: 10, hiddenSize: 8, embeddingDim: 4 });
    noGrad(() => {
      m.head.weight.zero_();
      m.head.bias!.zero_();
    });
    const ids = Int32Array.from({ length: 300 }, (_, i) => (i * 7) % 10);
    expect(await evaluateBpc(m, ids, 3, 16)).toBeCloseTo(Math.log2(10), 5);
    m.dispose();
  });
});

describe('training', () => {
  it('lowers the loss over a few steps on a small slice', async () => {
    const r = await train(small({ epochs: 1, stepsPerEpoch: 30 }));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(r.stepLosses).toHaveLength(30);
    expect(mean(r.stepLosses.slice(-5))).toBeLessThan(mean(r.stepLosses.slice(0, 5)) - 0.5);
    expect(r.history[0]!.validBpc).toBeLessThan(Math.log2(r.vocab.size));
  });

  it('resumes from the checkpoint with the same losses and parameters as an uninterrupted run', async () => {
    // 640 characters: 3 chunks per pass, so the 5-step epochs cross passes (new offsets, state resets)
    const opts = { text: slice.slice(0, 640) };
    const full = await train(small({ ...opts, out: path.join(tmp, 'full') }));
    const dir = path.join(tmp, 'resumed');
    const first = await train(small({ ...opts, out: dir, epochs: 1 }));
    const rest = await train(small({ ...opts, out: dir, resume: true }));
    expect(full.stepLosses).toHaveLength(10);
    expect([...first.stepLosses, ...rest.stepLosses]).toEqual(full.stepLosses);
    expect(rest.history).toEqual(full.history.map((h, i) => ({ ...h, msPerStep: rest.history[i]!.msPerStep, charsPerS: rest.history[i]!.charsPerS })));
    for (const [k, v] of Object.entries(full.parameters)) expect(rest.parameters[k], k).toEqual(v);
    expect(rest.sample).toBe(full.sample);
  });

  it('keeps the live tensor count flat across epochs and frees everything at the end', async () => {
    const before = memory().numTensors;
    const r = await train(small({ epochs: 3, stepsPerEpoch: 3, cell: 'gru' }));
    expect(r.liveTensors).toHaveLength(3);
    expect(new Set(r.liveTensors).size).toBe(1);
    expect(memory().numTensors).toBe(before);
  });

  it('writes metrics.json, report.html and sample.txt, and samples reproducibly', async () => {
    const out = path.join(tmp, 'files');
    const r = await train(small({ out, epochs: 1, writeFiles: true, cell: 'rnn', clip: 0.5 }));
    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { final: { validBpc: number }; history: unknown[]; wallTimeS: number };
    expect(m.final.validBpc).toBe(r.final.validBpc);
    expect(m.history).toHaveLength(1);
    expect(m.wallTimeS).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('validBpc');
    expect(fs.readFileSync(path.join(out, 'sample.txt'), 'utf8')).toBe(`${r.sample}\n`);
    expect(r.sample.startsWith('Call me Ishmael. ')).toBe(true);
    manualSeed(0);
    const model = new CharModel({ vocabSize: r.vocab.size, hiddenSize: 16, embeddingDim: 8 });
    const a = await sampleText(model, r.vocab, { prime: 'The ', length: 40, temperature: 0.7, seed: 3 });
    const b = await sampleText(model, r.vocab, { prime: 'The ', length: 40, temperature: 0.7, seed: 3 });
    const c = await sampleText(model, r.vocab, { prime: 'The ', length: 40, temperature: 0.7, seed: 4 });
    model.dispose();
    expect(Array.from(a)).toHaveLength(44);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });
});
