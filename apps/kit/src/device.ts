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

/**
 * Import the backend of `name` (js needs none; cpu -> @tensile/cpu, webgpu -> @tensile/webgpu,
 * cuda -> @tensile/cuda), wait until it is ready, and make it the default device. Throws a clear
 * error when the device is unknown or its package is missing or fails to load.
 */
export async function useDevice(name: string): Promise<void> {
  if (!(name in DEVICE_PACKAGES)) {
    throw new UsageError(`--device: unknown device '${name}' (known: ${Object.keys(DEVICE_PACKAGES).join(', ')})`);
  }
  const pkg = DEVICE_PACKAGES[name];
  if (pkg && !listDevices().includes(name)) {
    try {
      await import(/* @vite-ignore */ pkg);
    } catch (e) {
      const why = (e as Error).message.split('\n')[0];
      throw new Error(`device '${name}' is not available: importing ${pkg} failed (${why}). ` + (name === 'cpu' ? 'Build the native addon with `cd packages/cpu && node scripts/build.mjs`, or use --device js.' : 'Install and build that backend, or use --device cpu.'), { cause: e });
    }
  }
  try {
    await ready(name);
  } catch (e) {
    throw new Error(`device '${name}' failed to initialise: ${(e as Error).message}`, { cause: e });
  }
  setDefaultDevice(name);
}

/** The default device (after useDevice). */
export function currentDevice(): string {
  return getDefaultDevice();
}
