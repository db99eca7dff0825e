/**
 * The GPU side of the backend: buffer pool, lazy command submission, the kernel-argument arena,
 * pipeline cache and error surfacing. Kernels (kernels.ts) call `dispatch`; nothing is
 * submitted until a read (or a full batch/arena) flushes.
 *
 * - Buffer pool: freed buffers return to a free list keyed by size class (powers of two split
 *   into quarters, >= 256 bytes) and are reused by the next alloc of that class; reuse is safe
 *   without waiting because every command runs in queue order. Pooled bytes beyond
 *   `poolLimit` are destroyed (after the batch that may still use them is submitted).
 * - Lazy submission: dispatches and copies are encoded into one command encoder (one open
 *   compute pass while only dispatches follow each other) and submitted when a read needs the
 *   results, when `maxBatch` commands are pending, or when the arena is full.
 * - Arena: kernel metadata (shapes, strides, offsets, scalars) and small uploads are written
 *   into one host buffer; at flush it is copied into a GPU buffer with one writeBuffer, ahead of
 *   the batch that binds it (queue order makes the reuse safe).
 */
import { numelOf, type View } from '@tensile/core';
import type {} from './gpu-types.js';
import { INDEX_ERROR_OPS } from './templates.js';
import { withHalfStorage } from './wgsl.js';
export const META_ALIGN = 256;

/** A buffer of the webgpu device. */
export class GpuBuffer {
  freed = false;
  constructor(
    readonly buffer: GPUBuffer,
    /** Allocated bytes (its size class). */
    readonly size: number,
    /** Bytes asked for (numel x the dtype's element size); at most `size`. */
    readonly bytes: number = size,
  ) {}
}

export interface ContextStats {
  /** Buffers handed out and not freed. */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers kept in the pool for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  poolHits: number;
  poolMisses: number;
  /** Command buffers submitted so far. */
  submits: number;
  /** Compute dispatches encoded so far. */
  dispatches: number;
  /** Distinct compute pipelines compiled. */
  pipelines: number;
}

/** Size class of a byte count: the next value of the form 2^k * (4..7)/4, at least 256. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes - 1));
  const q = p / 4;
  return Math.ceil(bytes / q) * q;
}

const ARENA_BYTES = 1 << 20;
const UPLOAD_INLINE_MAX = 64 << 10;

export type Binding = { buf: GpuBuffer; write?: boolean };

export class GpuContext {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private readonly pool = new Map<number, GPUBuffer[]>();
  private pooledBytes = 0;
  private readonly toDestroy: GPUBuffer[] = [];
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly arenaHost = new ArrayBuffer(ARENA_BYTES);
  readonly arenaI32 = new Int32Array(this.arenaHost);
  readonly arenaF32 = new Float32Array(this.arenaHost);
  private readonly arenaU8 = new Uint8Array(this.arenaHost);
  private arenaUsed = 0;
  private arenaGpu: GPUBuffer;
  /** Zero-filled scratch binding for unused optional inputs. */
  readonly dummy: GpuBuffer;
  /** Out-of-range index flags written by gather/scatterAdd/embedding (see templates.ts ERR_DECL). */
  readonly errFlags: GpuBuffer;
  private stagingPool: GPUBuffer[] = [];
  /** Set when the device is lost or an error was captured; thrown by the next call. */
  private fatal: Error | null = null;
  private deferredError: Error | null = null;
  poolLimit = 256 << 20;
  maxBatch = 512;
  readonly stats: ContextStats = {
    liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0, poolHits: 0, poolMisses: 0, submits: 0, dispatches: 0, pipelines: 0,
  };
  destroyed = false;

  /**
   * @param f16 generate shaders with float16 stored as WGSL f16 (the device has `shader-f16`);
   * shaders that use the f16 type then start with `enable f16;`.
   */
  constructor(readonly device: GPUDevice, readonly f16 = false) {
    this.arenaGpu = device.createBuffer({ size: ARENA_BYTES, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    this.dummy = this.alloc(16);
    this.errFlags = this.alloc(16);
    this.errFlags.buffer.label = 'index-error-flags';
    this.upload(this.errFlags, new Uint8Array(16));
    void device.lost.then((info) => {
      if (this.destroyed) return;
      this.fatal = new Error(`webgpu: the device was lost (${info.reason}): ${info.message || 'no message'}. Tensors on 'webgpu' are gone; re-create the backend (registerWebGPU) to continue.`);
    });
    device.addEventListener?.('uncapturederror', (ev: Event) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      const kind = typeof GPUOutOfMemoryError !== 'undefined' && e instanceof GPUOutOfMemoryError ? 'out of memory' : 'error';
      this.deferredError ??= new Error(`webgpu: ${kind}: ${e.message}`);
    });
  }

  check(op: string): void {
    if (this.destroyed) throw new Error(`webgpu.${op}: the webgpu backend was destroyed`);
    if (this.fatal) throw this.fatal;
  }

  // ---- buffers ----

  alloc(bytes: number): GpuBuffer {
    this.check('alloc');
    const size = sizeClass(Math.max(bytes, 4));
    const lim = Math.min(this.device.limits.maxBufferSize, this.device.limits.maxStorageBufferBindingSize);
    if (size > lim) {
      throw new RangeError(`webgpu.alloc: ${bytes} bytes exceed the adapter's largest storage buffer (${lim} bytes); split the tensor or use another device`);
    }
    const list = this.pool.get(size);
    let b = list?.pop();
    if (b) {
      this.stats.poolHits++;
      this.pooledBytes -= size;
      this.stats.pooledBuffers--;
    } else {
      this.stats.poolMisses++;
      this.device.pushErrorScope('out-of-memory');
      b = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      void this.device.popErrorScope().then((err) => {
        if (err) this.deferredError ??= new Error(`webgpu: out of memory allocating ${size} bytes: ${err.message}`);
      });
    }
    this.stats.liveBuffers++;
    this.stats.liveBytes += size;
    return new GpuBuffer(b, size, bytes);
  }

  free(b: GpuBuffer): void {
    if (b.freed) return;
    b.freed = true;
    this.stats.liveBuffers--;
    this.stats.liveBytes -= b.size;
    if (this.destroyed) return;
    if (this.pooledBytes + b.size > this.poolLimit) {
      this.toDestroy.push(b.buffer);
      if (!this.encoder) this.destroyPending();
      return;
    }
    let list = this.pool.get(b.size);
    if (!list) this.pool.set(b.size, (list = []));
    list.push(b.buffer);
    this.pooledBytes += b.size;
    this.stats.pooledBuffers++;
    this.stats.pooledBytes = this.pooledBytes;
  }

  /** Destroy pooled buffers until at most keepBytes stay pooled; returns the bytes released. */
  trim(keepBytes = 0): number {
    let released = 0;
    for (const [size, list] of this.pool) {
      while (list.length && this.pooledBytes > keepBytes) {
        this.toDestroy.push(list.pop()!);
        this.pooledBytes -= size;
        this.stats.pooledBuffers--;
        released += size;
      }
    }
    this.stats.pooledBytes = this.pooledBytes;
    if (!this.encoder) this.destroyPending();
    return released;
  }

  private destroyPending(): void {
    for (const b of this.toDestroy.splice(0)) b.destroy();
  }

  // ---- arena ----

  /** Reserve `bytes` (256-aligned) of kernel metadata; returns the byte offset. Flushes when full. */
  reserve(bytes: number, align = META_ALIGN): number {
    if (bytes > ARENA_BYTES) throw new RangeError(`webgpu: kernel metadata of ${bytes} bytes exceeds the arena`);
    let at = Math.ceil(this.arenaUsed / align) * align;
    if (at + bytes > ARENA_BYTES) {
      this.flush();
      at = 0;
    }
    this.arenaUsed = at + bytes;
    return at;
  }

  get arena(): GPUBuffer {
    return this.arenaGpu;
  }

  // ---- encoding ----

  private enc(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  pipeline(key: string, code: () => string): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const src = withHalfStorage(this.f16, code);
      // `enable f16;` only where the shader uses the f16 type (float32 shaders stay as they were)
      const module = this.device.createShaderModule({ code: this.f16 && /\bf16\b/.test(src) ? `enable f16;\n${src}` : src, label: key });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      this.pipelines.set(key, p);
      this.stats.pipelines++;
    }
    return p;
  }

  /**
   * Encode one dispatch. `meta` is the byte offset/size of the kernel's arena slot (binding 0);
   * `bindings` follow at 1, 2, ... A read binding whose buffer is also written in the same
   * dispatch is first cloned (WebGPU forbids read + read_write aliasing in one dispatch).
   */
  dispatch(pipe: GPUComputePipeline, meta: { at: number; bytes: number }, bindings: Binding[], groups: [number, number?, number?]): void {
    this.check('dispatch');
    const written = new Set(bindings.filter((b) => b.write).map((b) => b.buf));
    const temps: GpuBuffer[] = [];
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.arenaGpu, offset: meta.at, size: Math.max(16, meta.bytes) } }];
    bindings.forEach((b, i) => {
      let buf = b.buf;
      if (buf.freed) throw new Error('webgpu: a kernel input was freed (a disposed tensor was used)');
      if (!b.write && written.has(buf)) {
        const t = this.alloc(buf.size);
        this.copyBuffer(buf, t, buf.size);
        temps.push(t);
        buf = t;
      }
      entries.push({ binding: i + 1, resource: { buffer: buf.buffer } });
    });
    const bg = this.device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
    if (!this.pass) this.pass = this.enc().beginComputePass();
    this.pass.setPipeline(pipe);
    this.pass.setBindGroup(0, bg);
    this.pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    this.stats.dispatches++;
    for (const t of temps) this.free(t);
    if (++this.pending >= this.maxBatch) this.flush();
  }

  copyBuffer(src: GpuBuffer, dst: GpuBuffer, bytes: number, srcOff = 0, dstOff = 0): void {
    this.endPass();
    this.enc().copyBufferToBuffer(src.buffer, srcOff, dst.buffer, dstOff, bytes);
    this.pending++;
  }

  /** Upload bytes into a buffer, in order with the encoded kernels. */
  upload(dst: GpuBuffer, data: Uint8Array): void {
    this.check('write');
    const n = data.byteLength;
    if (n === 0) return;
    const padded = Math.ceil(n / 4) * 4;
    if (padded > dst.size) throw new RangeError(`webgpu.write: ${n} bytes do not fit a buffer of ${dst.size} bytes`);
    this.endPass();
    if (padded <= UPLOAD_INLINE_MAX) {
      const at = this.reserve(padded, 4);
      this.arenaU8.set(data, at);
      this.arenaU8.fill(0, at + n, at + padded);
      this.endPass();
      this.enc().copyBufferToBuffer(this.arenaGpu, at, dst.buffer, 0, padded);
    } else {
      const staging = this.device.createBuffer({ size: padded, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
      new Uint8Array(staging.getMappedRange()).set(data);
      staging.unmap();
      this.enc().copyBufferToBuffer(staging, 0, dst.buffer, 0, padded);
      this.toDestroy.push(staging);
    }
    this.pending++;
  }

  /** Submit everything encoded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arenaGpu, 0, this.arenaHost, 0, Math.ceil(this.arenaUsed / 4) * 4);
    this.device.queue.submit([this.encoder.finish()]);
    this.stats.submits++;
    this.encoder = null;
    this.arenaUsed = 0;
    this.pending = 0;
    this.destroyPending();
  }

  /** Read `bytes` of a buffer (flushes pending work first). */
  async read(src: GpuBuffer, bytes: number): Promise<ArrayBuffer> {
    this.check('read');
    if (src.freed) throw new Error('webgpu.read: the buffer was freed (a disposed tensor was read)');
    const padded = Math.max(4, Math.ceil(bytes / 4) * 4);
    const flagsAt = Math.ceil(padded / 16) * 16;
    const staging = this.takeStaging(sizeClass(flagsAt + 16));
    this.copyBuffer(src, { buffer: staging } as GpuBuffer, padded);
    // the index-error flags ride along, then are cleared
    this.copyBuffer(this.errFlags, { buffer: staging } as GpuBuffer, 16, 0, flagsAt);
    this.enc().clearBuffer(this.errFlags.buffer);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, flagsAt + 16);
    } catch (e) {
      this.check('read');
      throw new Error(`webgpu.read: mapping the staging buffer failed: ${(e as Error).message}`);
    }
    const out = staging.getMappedRange(0, padded).slice(0, bytes);
    const flags = new Uint32Array(staging.getMappedRange(flagsAt, 16))[0]!;
    staging.unmap();
    this.stagingPool.push(staging);
    if (this.stagingPool.length > 8) this.stagingPool.shift()!.destroy();
    const err = this.deferredError;
    if (err) {
      this.deferredError = null;
      throw err;
    }
    if (flags) {
      const ops = INDEX_ERROR_OPS.filter(([bit]) => flags & bit).map(([, op]) => op);
      throw new RangeError(`${ops.join(', ')}: an index was out of bounds (detected on the GPU by a kernel queued before this read; gather/embedding read the clamped index, scatterAdd skipped it)`);
    }
    return out;
  }

  private takeStaging(size: number): GPUBuffer {
    size = Math.max(size, 32);
    const i = this.stagingPool.findIndex((b) => b.size === size);
    if (i >= 0) return this.stagingPool.splice(i, 1)[0]!;
    return this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** Wait until the GPU finished everything submitted (flushing first). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    const err = this.deferredError;
    if (err) {
      this.deferredError = null;
      throw err;
    }
  }

  /** Destroy every pooled buffer, staging buffer and the arena (live buffers stay usable only until the device goes). */
  destroy(): void {
    if (this.destroyed) return;
    this.flush();
    this.trim(0);
    for (const b of this.stagingPool.splice(0)) b.destroy();
    this.arenaGpu.destroy();
    this.destroyed = true;
  }
}

/** Kernel metadata: i32 values, some of them f32 bit patterns. */
export class Meta {
  readonly v: number[] = [];
  private readonly floats: number[] = [];
  i(...xs: readonly number[]): this {
    for (const x of xs) this.v.push(x);
    return this;
  }
  f(x: number): this {
    this.floats.push(this.v.length);
    this.v.push(x);
    return this;
  }
  /**
   * The meta of a kernel over the lines along `dim` of a strided view (cumsum, softmax): [lines,
   * size, inner, rank, shape, offset, strides], with the line count (0 when the view is empty).
   */
  static lines(x: View, dim: number): { m: Meta; lines: number } {
    const size = x.shape[dim]!;
    const lines = size === 0 ? 0 : numelOf(x.shape) / size;
    const inner = numelOf(x.shape.slice(dim + 1));
    return { m: new Meta().i(lines, size, inner, x.shape.length, ...x.shape, x.offset, ...x.strides), lines };
  }
  /** Write into the context's arena; returns the slot. */
  commit(ctx: GpuContext): { at: number; bytes: number } {
    const bytes = Math.max(16, this.v.length * 4);
    const at = ctx.reserve(bytes);
    const w = at / 4;
    const I = ctx.arenaI32, F = ctx.arenaF32;
    for (let k = 0; k < this.v.length; k++) I[w + k] = this.v[k]!;
    for (const k of this.floats) F[w + k] = this.v[k]!;
    return { at, bytes };
  }
}

