import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Generator, manualSeed, memory, rand, randn, setDefaultDevice, tidy, type Tensor } from '@tensile/core';
import { Linear, MSELoss, ReLU, Sequential, Dropout } from '@tensile/nn';
import { Adam, StepLR } from '@tensile/optim';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type EpochRecord } from '../src/index.js';

setDefaultDevice('js');

function makeRun(seed = 0) {
  manualSeed(seed);
  const model = new Sequential(new Linear(3, 8), new ReLU(), new Dropout(0.2), new Linear(8, 2));
  const optimizer = new Adam(model.parameters(), { lr: 0.05 });
  const scheduler = new StepLR(optimizer, 2, 0.5);
  // the data are the same in every run; weights, dropout and noise follow `seed`
  const data = new Generator(123);
  const x = randn([16, 3], { generator: data });
  const y = randn([16, 2], { generator: data });
  const lossFn = new MSELoss();
  /** One step; dropout and the noise draw from the default generator. */
  const step = (): number =>
    tidy(() => {
      optimizer.zeroGrad();
      const noise = rand([16, 3]).mul(0.01);
      const loss = lossFn.call(model.call(x.add(noise)), y);
      loss.backward();
      optimizer.step();
      scheduler.step();
      return loss.itemSync();
    });
  const dispose = () => {
    model.dispose();
    optimizer.dispose();
    x.dispose();
    y.dispose();
  };
  return { model, optimizer, scheduler, step, dispose };
}

const values = (ts: Iterable<Tensor>) => [...ts].map((t) => Array.from(t.dataSync() as Float32Array));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-ckpt-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('checkpoints', () => {
  it('returns null when there is no checkpoint', async () => {
    const r = makeRun();
    expect(hasCheckpoint(dir)).toBe(false);
    expect(await loadCheckpoint(dir, { model: r.model })).toBeNull();
    r.dispose();
  });

  it('round-trips model, optimizer, scheduler, RNG, epoch, history and extra, and resumes identically', async () => {
    const before = memory().numTensors;
    const a = makeRun(1);
    for (let i = 0; i < 3; i++) a.step();
    const history: EpochRecord[] = [{ epoch: 1, loss: 0.5 }, { epoch: 2, loss: 0.25 }];
    const named = new Generator(42);
    rand([5], { generator: named }).dispose();
    const live = memory().numTensors;
    await saveCheckpoint(dir, { model: a.model, optimizer: a.optimizer, scheduler: a.scheduler, epoch: 2, step: 3, history, rng: { aug: named }, extra: { best: 0.25, vocab: ['a', 'b'] } });
    expect(memory().numTensors).toBe(live); // saving creates no lasting tensors
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint.json', 'checkpoint.safetensors']);
    const savedParams = values(a.model.parameters());
    const savedLr = a.optimizer.paramGroups[0]!.lr;
    const namedState = named.getState();
    // the uninterrupted continuation
    const straight = [a.step(), a.step(), a.step()];
    const straightParams = values(a.model.parameters());

    // a fresh run with other weights, other RNG positions, no optimizer state
    const b = makeRun(99);
    b.step();
    const named2 = new Generator(7);
    const r = await loadCheckpoint(dir, { model: b.model, optimizer: b.optimizer, scheduler: b.scheduler, rng: { aug: named2 } });
    expect(r).not.toBeNull();
    expect(r!.epoch).toBe(2);
    expect(r!.step).toBe(3);
    expect(r!.history).toEqual(history);
    expect(r!.extra).toEqual({ best: 0.25, vocab: ['a', 'b'] });
    expect(values(b.model.parameters())).toEqual(savedParams);
    expect(b.optimizer.paramGroups[0]!.lr).toBe(savedLr);
    expect(b.scheduler.lastEpoch).toBe(3);
    expect(named2.getState()).toEqual(namedState);
    // optimizer moments and step counts
    const sa = a.optimizer.stateDict().state, sb = b.optimizer.stateDict().state;
    expect(Object.keys(sb)).toEqual(Object.keys(sa));
    expect(sb[0]!.step).toBe(3);
    // b continues exactly as a did after the save (data, dropout, Adam state, lr schedule)
    const resumed = [b.step(), b.step(), b.step()];
    expect(resumed).toEqual(straight);
    expect(values(b.model.parameters())).toEqual(straightParams);
    a.dispose();
    b.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('a save that fails before its JSON is written leaves the previous checkpoint loadable', async () => {
    const a = makeRun(2);
    a.step();
    await saveCheckpoint(dir, { model: a.model, optimizer: a.optimizer, epoch: 1, history: [{ epoch: 1, loss: 1 }] });
    const v1 = values(a.model.parameters());
    a.step();
    // crash after the new tensors are on disk, before the JSON commit
    await expect(saveCheckpoint(dir, { model: a.model, optimizer: a.optimizer, epoch: 2, history: [] }, { crashAfter: 'tensors' })).rejects.toThrow(/injected crash/);
    // unserialisable state fails before anything is written
    await expect(saveCheckpoint(dir, { model: a.model, epoch: 2, history: [], extra: { big: 1n } })).rejects.toThrow();
    const b = makeRun(3);
    const r = await loadCheckpoint(dir, { model: b.model, optimizer: b.optimizer });
    expect(r!.epoch).toBe(1);
    expect(values(b.model.parameters())).toEqual(v1);
    a.dispose();
    b.dispose();
  });

  it('a save interrupted between the JSON and the final rename is completed on load', async () => {
    const a = makeRun(4);
    a.step();
    await saveCheckpoint(dir, { model: a.model, optimizer: a.optimizer, epoch: 1, history: [] });
    a.step();
    await expect(saveCheckpoint(dir, { model: a.model, optimizer: a.optimizer, epoch: 2, history: [] }, { crashAfter: 'json' })).rejects.toThrow(/injected crash/);
    const v2 = values(a.model.parameters());
    const b = makeRun(5);
    const r = await loadCheckpoint(dir, { model: b.model, optimizer: b.optimizer });
    expect(r!.epoch).toBe(2);
    expect(values(b.model.parameters())).toEqual(v2);
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint.json', 'checkpoint.safetensors']);
    a.dispose();
    b.dispose();
  });

  it('refuses a tensor file that does not belong to the JSON', async () => {
    const a = makeRun(6);
    await saveCheckpoint(dir, { model: a.model, epoch: 1, history: [] });
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-ckpt-'));
    await saveCheckpoint(other, { model: a.model, epoch: 1, history: [] });
    fs.copyFileSync(path.join(other, 'checkpoint.safetensors'), path.join(dir, 'checkpoint.safetensors'));
    fs.rmSync(other, { recursive: true });
    await expect(loadCheckpoint(dir, { model: a.model })).rejects.toThrow(/does not belong to .*checkpoint\.json/);
    a.dispose();
  });

  it('refuses a checkpoint of another model shape', async () => {
    const a = makeRun(7);
    await saveCheckpoint(dir, { model: a.model, epoch: 1, history: [] });
    const other = new Sequential(new Linear(3, 4), new ReLU(), new Dropout(0.2), new Linear(4, 2));
    await expect(loadCheckpoint(dir, { model: other })).rejects.toThrow(/size mismatch/);
    other.dispose();
    a.dispose();
  });
});
