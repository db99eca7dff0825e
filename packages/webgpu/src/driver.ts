/**
 * Getting a GPUDevice: the browser's navigator.gpu, or in Node the `webgpu` package (Dawn).
 *
 * Dawn for Node lives as long as the object `create()` returns is referenced: if V8 collects it
 * while devices exist, Dawn crashes in its event processing. It is therefore held here, in a
 * module-level strong reference, until `releaseDawn()` (after the device is destroyed).
 */
import type {} from './gpu-types.js';

export interface WebGPUOptions {
  /** Use this device (e.g. shared with a renderer); the backend does not destroy it. */
  device?: GPUDevice;
  /** Request the device from this adapter. */
  adapter?: GPUAdapter;
  /** Passed to requestAdapter (e.g. powerPreference). */
  adapterOptions?: GPURequestAdapterOptions;
  /** Node only: flags for the `webgpu` package's create() (Dawn toggles, backend=..., adapter=...). */
  dawnFlags?: string[];
  /**
   * Use the adapter's `shader-f16` feature for float16 (2-byte f16 storage) when it has it
   * (default true). false ignores the feature: float16 is then emulated (f32 storage rounded to
   * float16 after every kernel), as on adapters without it.
   */
  shaderF16?: boolean;
}

// Strong reference to Dawn's GPU object (see the module comment).
let dawnGPU: GPU | null = null;
let dawnGlobalsInstalled = false;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** The GPU entry point: navigator.gpu where it exists, else Dawn from the `webgpu` package in Node. */
export async function getGPU(flags: string[] = []): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (dawnGPU) return dawnGPU;
  if (!isNode) throw new Error('webgpu: navigator.gpu is not available in this browser (WebGPU disabled or unsupported)');
  const name = 'webgpu';
  let mod: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    mod = (await import(/* @vite-ignore */ name)) as typeof mod;
  } catch (e) {
    throw new Error(`webgpu: the 'webgpu' npm package (Dawn for Node) could not be loaded: ${(e as Error).message}. Install it next to @tensile/webgpu.`);
  }
  if (!dawnGlobalsInstalled) {
    // GPUBufferUsage, GPUMapMode, ... as the browser has them (only those not defined already)
    for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    dawnGlobalsInstalled = true;
  }
  dawnGPU = mod.create(flags);
  return dawnGPU;
}

/** Drop the strong reference to Dawn (call after every device made from it is destroyed). */
export function releaseDawn(): void {
  dawnGPU = null;
}

// Devices created by acquireDevice and not yet released (Dawn must outlive all of them).
let ownedDevices = 0;

/** A device from acquireDevice was destroyed: release Dawn when it was the last one. */
export function releaseDevice(): void {
  ownedDevices = Math.max(0, ownedDevices - 1);
  if (ownedDevices === 0) releaseDawn();
}

/** Request an adapter and a device with the adapter's largest buffer limits and shader-f16 when present. */
export async function acquireDevice(opts: WebGPUOptions = {}): Promise<{ device: GPUDevice; adapter: GPUAdapter | null; owned: boolean }> {
  if (opts.device) return { device: opts.device, adapter: opts.adapter ?? null, owned: false };
  let adapter = opts.adapter ?? null;
  if (!adapter) {
    const gpu = await getGPU(opts.dawnFlags);
    adapter = await gpu.requestAdapter(opts.adapterOptions);
    if (!adapter) {
      const hint = isNode
        ? ' In Node without a GPU, install a software Vulkan driver (packages/webgpu/scripts/setup-driver.sh: Mesa lavapipe or SwiftShader) and set VK_ICD_FILENAMES.'
        : '';
      throw new Error(`webgpu: no GPU adapter is available.${hint}`);
    }
  }
  const requiredFeatures: GPUFeatureName[] = [];
  if (opts.shaderF16 !== false && adapter.features.has('shader-f16')) requiredFeatures.push('shader-f16');
  const requiredLimits: Record<string, number> = {};
  const lim = adapter.limits;
  requiredLimits.maxStorageBufferBindingSize = lim.maxStorageBufferBindingSize;
  requiredLimits.maxBufferSize = lim.maxBufferSize;
  requiredLimits.maxStorageBuffersPerShaderStage = Math.min(lim.maxStorageBuffersPerShaderStage, 10);
  requiredLimits.maxComputeWorkgroupStorageSize = lim.maxComputeWorkgroupStorageSize;
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  ownedDevices++;
  return { device, adapter, owned: true };
}

/**
 * Node only: point the Vulkan loader at a software driver before Dawn starts, when no
 * VK_ICD_FILENAMES is set: TENSILE_VK_ICD, else Mesa lavapipe, else SwiftShader (chromium).
 * Returns the ICD file used, or null. Meant for CI and tests on machines without a GPU.
 */
export async function useSoftwareVulkan(): Promise<string | null> {
  if (!isNode) return null;
  const { existsSync, readdirSync } = await import('node:fs');
  const env = process.env;
  if (env.TENSILE_VK_ICD) {
    env.VK_ICD_FILENAMES = env.TENSILE_VK_ICD;
    return env.TENSILE_VK_ICD;
  }
  if (env.VK_ICD_FILENAMES) return env.VK_ICD_FILENAMES;
  const dir = '/usr/share/vulkan/icd.d';
  const lvp = existsSync(dir) ? readdirSync(dir).filter((f) => /^lvp_icd.*\.json$/.test(f)).sort()[0] : undefined;
  const candidates = [lvp ? `${dir}/${lvp}` : '', '/usr/lib/chromium/vk_swiftshader_icd.json'];
  for (const c of candidates) {
    if (c && existsSync(c)) {
      env.VK_ICD_FILENAMES = c;
      return c;
    }
  }
  return null;
}
