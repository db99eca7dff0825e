/**
 * Atomic checkpoints for resumable training: `dir/checkpoint.safetensors` holds the tensors (model
 * parameters and buffers as `model.<name>`, optimizer state as `optimizer.<param index>.<key>`),
 * `dir/checkpoint.json` everything else (epoch, step, history, optimizer hyper-parameters and step
 * counts, scheduler state, RNG states, extra). Both carry the same random checkpoint id.
 *
 * Save order (each write is atomic: temp file + fsync + rename):
 *   1. tensors -> checkpoint.next.safetensors
 *   2. JSON    -> checkpoint.json             (the commit point)
 *   3. rename checkpoint.next.safetensors -> checkpoint.safetensors
 * A crash before 2 leaves the previous pair untouched (the stray .next file is ignored); a crash
 * between 2 and 3 is repaired by loadCheckpoint, which finds the tensors of the JSON's id in the
 * .next file. A tensor file whose id does not match the JSON is never loaded.
 *
 * Resume gives the same run as an uninterrupted one when everything random is restored or
 * re-derived: the default generator's state is saved here, and the data order of each epoch must
 * derive from (seed, epoch) (see epochGenerator), not from a stream consumed across epochs.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultGenerator, Tensor, type Generator } from '@tensile/core';
import { load, save, type Module, type StateDict } from '@tensile/nn';
import type { Optimizer, OptimizerStateDict } from '@tensile/optim';
import { writeFileAtomic } from './files.js';
import type { EpochRecord } from './metrics.js';

export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_TENSORS = 'checkpoint.safetensors';
const NEXT_TENSORS = 'checkpoint.next.safetensors';
const FORMAT = 'tensile-app-checkpoint';

/** Anything with PyTorch-style stateDict/loadStateDict (learning-rate schedulers, EarlyStopping). */
export interface Stateful {
  stateDict(): unknown;
  loadStateDict?(sd: never): void;
}

export interface CheckpointState {
  model: Module<never[], unknown>;
  optimizer?: Optimizer<object>;
  scheduler?: Stateful;
  /** Number of completed epochs. */
  epoch: number;
  /** Number of completed optimizer steps (default 0). */
  step?: number;
  history: EpochRecord[];
  /** Extra generators to save by name (core's defaultGenerator is always saved as 'default'). */
  rng?: Record<string, Generator>;
  /** Any JSON-serialisable app state (best metric, vocabulary, config...). */
  extra?: Record<string, unknown>;
}

export interface LoadedCheckpoint {
  epoch: number;
  step: number;
  history: EpochRecord[];
  extra: Record<string, unknown>;
  id: string;
}

interface CheckpointJson {
  format: typeof FORMAT;
  version: 1;
  id: string;
  savedAt: string;
  epoch: number;
  step: number;
  history: EpochRecord[];
  optimizer: { param_groups: OptimizerStateDict['param_groups']; state: Record<string, Record<string, number>>; tensors: Record<string, string[]> } | null;
  scheduler: unknown;
  rng: Record<string, { key: [number, number]; offset: number }>;
  extra: Record<string, unknown>;
}

/** Internal fault injection for the atomicity tests: throw right after the given save stage. */
export interface SaveFaults {
  crashAfter?: 'tensors' | 'json';
}

/**
 * Save model, optimizer, scheduler, RNG states, epoch, step, history and extra to
 * `dir/checkpoint.{safetensors,json}` atomically (see the file comment for the protocol).
 */
export async function saveCheckpoint(dir: string, state: CheckpointState, faults: SaveFaults = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const id = randomUUID();
  const tensors: StateDict = {};
  for (const [k, t] of Object.entries(state.model.stateDict({ keepVars: true }))) tensors[`model.${k}`] = t;

  let optimizer: CheckpointJson['optimizer'] = null;
  if (state.optimizer) {
    const sd = state.optimizer.stateDict();
    const scalars: Record<string, Record<string, number>> = {};
    const tensorKeys: Record<string, string[]> = {};
    for (const [i, st] of Object.entries(sd.state)) {
      for (const [k, v] of Object.entries(st)) {
        if (v instanceof Tensor) {
          tensors[`optimizer.${i}.${k}`] = v;
          (tensorKeys[i] ??= []).push(k);
        } else {
          (scalars[i] ??= {})[k] = v;
        }
      }
    }
    optimizer = { param_groups: sd.param_groups, state: scalars, tensors: tensorKeys };
  }

  const rng: CheckpointJson['rng'] = { default: defaultGenerator.getState() };
  for (const [name, g] of Object.entries(state.rng ?? {})) {
    if (name === 'default') throw new Error("saveCheckpoint: the generator name 'default' is reserved for core's defaultGenerator");
    rng[name] = g.getState();
  }

  const json: CheckpointJson = {
    format: FORMAT,
    version: 1,
    id,
    savedAt: new Date().toISOString(),
    epoch: state.epoch,
    step: state.step ?? 0,
    history: state.history,
    optimizer,
    scheduler: state.scheduler ? state.scheduler.stateDict() : null,
    rng,
    extra: state.extra ?? {},
  };
  // Serialise the JSON before touching the disk, so unserialisable state fails early.
  const text = `${JSON.stringify(json, null, 1)}\n`;

  await save(tensors, path.join(dir, NEXT_TENSORS), { metadata: { checkpoint_id: id } });
  if (faults.crashAfter === 'tensors') throw new Error('saveCheckpoint: injected crash after writing the tensors');
  writeFileAtomic(path.join(dir, CHECKPOINT_JSON), text);
  if (faults.crashAfter === 'json') throw new Error('saveCheckpoint: injected crash after writing the JSON');
  fs.renameSync(path.join(dir, NEXT_TENSORS), path.join(dir, CHECKPOINT_TENSORS));
}

function fileId(file: string): string | undefined {
  if (!fs.existsSync(file)) return undefined;
  // The header alone: the first 8 bytes give its length.
  const fd = fs.openSync(file, 'r');
  try {
    const prefix = new Uint8Array(8);
    if (fs.readSync(fd, prefix, 0, 8, 0) < 8) return undefined;
    const n = Number(new DataView(prefix.buffer).getBigUint64(0, true));
    const size = fs.fstatSync(fd).size;
    if (n <= 0 || n > size - 8) return undefined;
    const bytes = new Uint8Array(8 + n);
    fs.readSync(fd, bytes, 0, 8 + n, 0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8))) as { __metadata__?: Record<string, string> };
    return header.__metadata__?.checkpoint_id;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether `dir` holds a checkpoint (checkpoint.json). */
export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, CHECKPOINT_JSON));
}

/**
 * Restore a checkpoint saved by saveCheckpoint into `model` (and `optimizer`, `scheduler`, the
 * named generators in `rng`, and core's defaultGenerator). Returns null when `dir` has no
 * checkpoint; throws when the checkpoint is unreadable or does not fit the model.
 */
export async function loadCheckpoint(
  dir: string,
  targets: { model: Module<never[], unknown>; optimizer?: Optimizer<object>; scheduler?: Stateful; rng?: Record<string, Generator> },
): Promise<LoadedCheckpoint | null> {
  const jsonFile = path.join(dir, CHECKPOINT_JSON);
  if (!fs.existsSync(jsonFile)) return null;
  let json: CheckpointJson;
  try {
    json = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as CheckpointJson;
  } catch (e) {
    throw new Error(`loadCheckpoint: ${jsonFile} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (json.format !== FORMAT || typeof json.id !== 'string') throw new Error(`loadCheckpoint: ${jsonFile} is not a Tensile app checkpoint`);

  const tensorFile = path.join(dir, CHECKPOINT_TENSORS);
  const nextFile = path.join(dir, NEXT_TENSORS);
  if (fileId(tensorFile) !== json.id) {
    // A save stopped between writing the JSON and renaming the tensors into place: finish it.
    if (fileId(nextFile) === json.id) fs.renameSync(nextFile, tensorFile);
    else throw new Error(`loadCheckpoint: ${tensorFile} does not belong to ${jsonFile} (checkpoint id ${json.id}); the checkpoint is damaged`);
  }
  const loaded = await load(tensorFile);
  try {
    const modelSd: StateDict = {};
    for (const [k, t] of Object.entries(loaded)) if (k.startsWith('model.')) modelSd[k.slice(6)] = t;
    targets.model.loadStateDict(modelSd);

    if (targets.optimizer) {
      if (!json.optimizer) throw new Error(`loadCheckpoint: ${jsonFile} has no optimizer state`);
      const state: OptimizerStateDict['state'] = {};
      for (const [i, st] of Object.entries(json.optimizer.state)) state[Number(i)] = { ...st };
      for (const [i, keys] of Object.entries(json.optimizer.tensors)) {
        const st = (state[Number(i)] ??= {});
        for (const k of keys) {
          const t = loaded[`optimizer.${i}.${k}`];
          if (!t) throw new Error(`loadCheckpoint: ${tensorFile} lacks optimizer tensor optimizer.${i}.${k}`);
          st[k] = t;
        }
      }
      targets.optimizer.loadStateDict({ state, param_groups: json.optimizer.param_groups });
    }
    if (targets.scheduler) {
      if (json.scheduler === null || json.scheduler === undefined) throw new Error(`loadCheckpoint: ${jsonFile} has no scheduler state`);
      if (typeof targets.scheduler.loadStateDict !== 'function') throw new Error('loadCheckpoint: the scheduler has no loadStateDict()');
      targets.scheduler.loadStateDict(json.scheduler as never);
    }
  } finally {
    // Module and optimizer copy what they load: free the loaded tensors.
    for (const t of Object.values(loaded)) t.dispose();
  }
  const rng = json.rng ?? {};
  if (rng.default) defaultGenerator.setState(rng.default);
  for (const [name, g] of Object.entries(targets.rng ?? {})) {
    const s = rng[name];
    if (!s) throw new Error(`loadCheckpoint: ${jsonFile} has no state for generator '${name}'`);
    g.setState(s);
  }
  return { epoch: json.epoch, step: json.step ?? 0, history: json.history ?? [], extra: json.extra ?? {}, id: json.id };
}
