/**
 * Device memory bookkeeping. JavaScript's GC cannot see device memory, so tensors are freed by
 * dispose(), `using`, or tidy() scopes; a FinalizationRegistry is only the last resort.
 */
import type { Backend, BackendBuffer } from './backend.js';
import { itemsize, type DType } from './dtype.js';

export interface DeviceStats {
  tensors: number;
  bytes: number;
  buffers: number;
}

const stats = new Map<string, DeviceStats>();

function statsFor(device: string): DeviceStats {
  let s = stats.get(device);
  if (!s) {
    s = { tensors: 0, bytes: 0, buffers: 0 };
    stats.set(device, s);
  }
  return s;
}

/**
 * A device buffer shared by a tensor and its views. Reference-counted by the tensors (and
 * autograd's saved tensors) that use it; `version` counts in-place writes.
 */
export class Storage {
  refs = 0;
  version = 0;
  freed = false;
  readonly bytes: number;
  /** This device's counters (cached: ops update them on every tensor). */
  readonly stats: DeviceStats;
  constructor(
    readonly backend: Backend,
    readonly buf: BackendBuffer,
    readonly dtype: DType,
    readonly numel: number,
  ) {
    this.bytes = numel * itemsize(dtype);
    const s = (this.stats = statsFor(backend.name));
    s.bytes += this.bytes;
    s.buffers += 1;
  }
  get device(): string {
    return this.backend.name;
  }
  retain(): void {
    this.refs++;
  }
  release(): void {
    if (--this.refs > 0 || this.freed) return;
    this.freed = true;
    this.backend.free(this.buf);
    const s = this.stats;
    s.bytes -= this.bytes;
    s.buffers -= 1;
  }
}

/** Allocate a fresh storage on a backend. */
export function allocStorage(backend: Backend, dtype: DType, numel: number): Storage {
  return new Storage(backend, backend.alloc(numel, dtype), dtype, numel);
}

export function countTensor(device: string, delta: number): void {
  statsFor(device).tensors += delta;
}

export interface MemoryInfo {
  /** Live (not disposed) tensors over all devices, including autograd's saved tensors. */
  numTensors: number;
  /** Bytes held by live device buffers over all devices. */
  numBytes: number;
  numBuffers: number;
  devices: Record<string, DeviceStats>;
}

/** Live tensors and bytes, per device and in total. */
export function memory(): MemoryInfo {
  const devices: Record<string, DeviceStats> = {};
  let numTensors = 0, numBytes = 0, numBuffers = 0;
  for (const [name, s] of stats) {
    devices[name] = { ...s };
    numTensors += s.tensors;
    numBytes += s.bytes;
    numBuffers += s.buffers;
  }
  return { numTensors, numBytes, numBuffers, devices };
}
