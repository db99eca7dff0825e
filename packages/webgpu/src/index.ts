/**
 * @tensile/webgpu: the WebGPU backend (WGSL compute shaders), in browsers (navigator.gpu) and in
 * Node (the `webgpu` package, Dawn). Importing this package registers the `webgpu` device;
 * `await ready('webgpu')` requests the adapter and device. Reads are asynchronous only:
 * `await t.data()` (dataSync() throws, naming it).
 */
import { getBackend, registerBackend } from '@tensile/core';
import { WebGPUBackend } from './backend.js';
import type { ContextStats } from './context.js';
import type { WebGPUOptions } from './driver.js';
import { WEBGPU_LIMITATIONS, type HalfStorage } from './backend.js';

export { WebGPUBackend, WEBGPU_DTYPES, WEBGPU_LIMITATIONS, isContiguous, float16Bits, type HalfStorage, type WebGPUCapabilities } from './backend.js';
export { GpuBuffer, sizeClass, type ContextStats } from './context.js';
export { getGPU, useSoftwareVulkan, releaseDawn, type WebGPUOptions } from './driver.js';

registerBackend(new WebGPUBackend('webgpu'));

function backend(): WebGPUBackend {
  const b = getBackend('webgpu');
  if (!(b instanceof WebGPUBackend)) throw new Error("webgpu: the 'webgpu' device is not this package's backend");
  return b;
}

/** Options for the webgpu device (an existing GPUDevice or GPUAdapter, adapter options, Dawn flags); call before ready('webgpu'). */
export function configureWebGPU(options: WebGPUOptions): void {
  backend().configure(options);
}

/** Buffer-pool and submission statistics of the webgpu device (after ready). */
export function webgpuStats(): ContextStats {
  return { ...backend().ctx.stats };
}

/**
 * Adapter description and features of the webgpu device (after ready), and how half-precision
 * dtypes are stored: float16 'f16' (shader-f16) or 'f32-emulated'; bfloat16 always 'f32-emulated'.
 */
export function webgpuInfo(): {
  adapter: WebGPUBackend['adapterInfo'];
  features: string[];
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  float16: HalfStorage;
  bfloat16: 'f32-emulated';
} {
  const b = backend();
  const l = b.ctx.device.limits;
  return {
    adapter: b.adapterInfo,
    features: b.features,
    limits: { maxBufferSize: l.maxBufferSize, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize },
    float16: b.halfStorage ? 'f16' : 'f32-emulated',
    bfloat16: 'f32-emulated',
  };
}

/** Free pooled (unused) GPU buffers until at most keepBytes stay pooled; returns the bytes released. */
export function emptyCache(keepBytes = 0): number {
  return backend().ctx.trim(keepBytes);
}

/** Wait until the GPU has finished all work submitted so far (flushing pending work). */
export function synchronize(): Promise<void> {
  return backend().sync();
}

/**
 * Destroy the webgpu device: frees every pooled buffer and the device (when the backend created
 * it), and drops the reference that keeps Dawn alive in Node. Tensors on 'webgpu' become unusable.
 */
export function destroyWebGPU(): void {
  backend().destroy();
}

/**
 * The conformance cases webgpu declares it cannot run, as data (the shape of @tensile/conformance's
 * SkipSpec): only capability limits.
 */
export const WEBGPU_SKIPS: readonly { dtype?: string; op?: string | RegExp; case?: string | RegExp; family?: string; reason: string }[] = [
  { dtype: 'float64', reason: `float64: ${WEBGPU_LIMITATIONS.float64}` },
];
