/** Device selection for the apps: load the backend package a device needs, wait for it, make it the default. */
import { getDefaultDevice, listDevices, ready, setDefaultDevice } from '@tensile/core';
import { UsageError } from './args.js';

/** Backend package of each device ('js' is built into @tensile/core). */
export const DEVICE_PACKAGES: Record<string, string | null> = {
  js: null,
  cpu: '@tensile/cpu',
  webgpu: '@tensile/webgpu',
  cuda: '@tensile/cuda',
};

/** What useDevice needs from @tensile/webgpu (typed here: the kit does not depend on the package). */
interface WebGPUModule {
  useSoftwareVulkan?: () => Promise<string | null>;
  webgpuInfo?: () => { adapter: { description?: string; vendor?: string; architecture?: string; device?: string } };
  destroyWebGPU?: () => void;
}

// Backend modules imported by useDevice, by device name (for describeDevice / releaseDevices).
const loaded = new Map<string, unknown>();
// The Vulkan ICD useDevice('webgpu') pointed the loader at (null: the system's own discovery).
let vulkanIcd: string | null = null;

/** Node on Linux with no GPU device node: the Vulkan loader can only find a software driver. */
async function noHardwareGpu(): Promise<boolean> {
  if (typeof process === 'undefined' || process.platform !== 'linux') return false;
  const { existsSync, readdirSync } = await import('node:fs');
  const dri = existsSync('/dev/dri') ? readdirSync('/dev/dri').some((f) => f.startsWith('renderD')) : false;
  return !dri && !existsSync('/dev/nvidia0') && !existsSync('/dev/kfd');
}

/**
 * webgpu in Node: pick the Vulkan driver before Dawn starts. An explicit VK_ICD_FILENAMES is left
 * alone; TENSILE_VK_ICD, or a Linux machine without a GPU device node (CI, containers), gets the
 * webgpu package's software driver discovery (Mesa lavapipe, else SwiftShader); otherwise the
 * system's Vulkan loader finds the GPU.
 */
async function prepareWebGPU(mod: WebGPUModule): Promise<void> {
  if (typeof process === 'undefined' || !process.versions?.node || !mod.useSoftwareVulkan) return;
  const env = process.env;
  if (env.VK_ICD_FILENAMES && !env.TENSILE_VK_ICD) return;
  if (env.TENSILE_VK_ICD || (await noHardwareGpu())) vulkanIcd = await mod.useSoftwareVulkan();
}

/**
 * Import the backend of `name` (js needs none; cpu -> @tensile/cpu, webgpu -> @tensile/webgpu,
 * cuda -> @tensile/cuda), wait until it is ready, and make it the default device. Throws a clear
 * error when the device is unknown or its package is missing or fails to load. For webgpu in Node
 * on a machine without a GPU, it points Vulkan at a software driver first (see prepareWebGPU).
 */
export async function useDevice(name: string): Promise<void> {
  if (!(name in DEVICE_PACKAGES)) {
    throw new UsageError(`--device: unknown device '${name}' (known: ${Object.keys(DEVICE_PACKAGES).join(', ')})`);
  }
  const pkg = DEVICE_PACKAGES[name];
  if (pkg && !loaded.has(name)) {
    try {
      loaded.set(name, await import(/* @vite-ignore */ pkg));
    } catch (e) {
      if (listDevices().includes(name)) {
        loaded.set(name, null); // registered by other means (e.g. imported under another specifier)
      } else {
        const why = (e as Error).message.split('\n')[0];
        throw new Error(`device '${name}' is not available: importing ${pkg} failed (${why}). ` + (name === 'cpu' ? 'Build the native addon with `cd packages/cpu && node scripts/build.mjs`, or use --device js.' : 'Install and build that backend, or use --device cpu.'), { cause: e });
      }
    }
    if (name === 'webgpu' && loaded.get(name)) await prepareWebGPU(loaded.get(name) as WebGPUModule);
  }
  try {
    await ready(name);
  } catch (e) {
    const icd = name === 'webgpu' && typeof process !== 'undefined' ? ` (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'})` : '';
    throw new Error(`device '${name}' failed to initialise: ${(e as Error).message}${icd}`, { cause: e });
  }
  setDefaultDevice(name);
}

/**
 * One line about a device after useDevice: for webgpu the adapter and the Vulkan driver chosen
 * (e.g. "webgpu: llvmpipe (LLVM 19.1.7, 256 bits) via /usr/share/vulkan/icd.d/lvp_icd.json"), else the name.
 */
export function describeDevice(name: string = getDefaultDevice()): string {
  const mod = loaded.get(name) as WebGPUModule | null | undefined;
  if (name === 'webgpu' && mod?.webgpuInfo) {
    try {
      const a = mod.webgpuInfo().adapter;
      const what = a.description || [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unknown adapter';
      return `webgpu: ${what}${vulkanIcd ? ` via ${vulkanIcd}` : ''}`;
    } catch {
      return name;
    }
  }
  return name;
}

/**
 * Free what the devices useDevice started hold, so that Node can exit: for webgpu, destroyWebGPU()
 * (the device, its buffers and Dawn). Tensors on those devices become unusable. runMain calls it
 * when the app's main resolves.
 */
export function releaseDevices(): void {
  const mod = loaded.get('webgpu') as WebGPUModule | null | undefined;
  if (mod?.destroyWebGPU && listDevices().includes('webgpu')) {
    try {
      mod.destroyWebGPU();
    } catch {
      // not initialised: nothing to free
    }
  }
}

/**
 * Start device `name` as useDevice does, keeping the current default device: null when it works,
 * else why not (the error's message). For tests that must skip, with the reason printed, where a
 * device (e.g. a WebGPU adapter) cannot be had.
 */
export async function probeDevice(name: string): Promise<string | null> {
  const prev = getDefaultDevice();
  try {
    await useDevice(name);
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    setDefaultDevice(prev);
  }
}

/**
 * For tests that run an app on `device` when it can start: probes it, prints either the reason it
 * cannot (the tests then skip, naming it) or the adapter line, and picks the reference device to
 * compare with (cpu when it loads, else js).
 */
export async function deviceTestGate(app: string, device: string): Promise<{ why: string | null; reference: 'cpu' | 'js' }> {
  const why = await probeDevice(device);
  if (why) console.warn(`[${app}] ${device} test skipped: ${why}`);
  else console.log(`[${app}] ${describeDevice(device)}`);
  const reference = (await probeDevice('cpu')) === null ? 'cpu' : 'js';
  return { why, reference };
}

/** The default device (after useDevice). */
export function currentDevice(): string {
  return getDefaultDevice();
}
