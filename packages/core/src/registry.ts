/**
 * The device registry. It lives on globalThis so two copies of @tensile/core in one process
 * (a bundling accident) still share one set of devices; a version check refuses a mismatch.
 */
import type { Backend } from './backend.js';

export const CONTRACT_VERSION = 1;

interface Registry {
  contractVersion: number;
  backends: Map<string, Backend>;
  ready: Map<string, Promise<void>>;
  defaultDevice: string;
}

const KEY = Symbol.for('tensile.registry');
const g = globalThis as unknown as Record<symbol, Registry | undefined>;

function registry(): Registry {
  let r = g[KEY];
  if (!r) {
    r = { contractVersion: CONTRACT_VERSION, backends: new Map(), ready: new Map(), defaultDevice: 'js' };
    g[KEY] = r;
  } else if (r.contractVersion !== CONTRACT_VERSION) {
    throw new Error(
      `@tensile/core: two incompatible copies are loaded (backend contract v${r.contractVersion} and v${CONTRACT_VERSION}); ` +
        'install a single version of @tensile/core',
    );
  }
  return r;
}

/** Register a backend under its name (a backend package does this when imported). */
export function registerBackend(backend: Backend, { replace = false } = {}): void {
  const r = registry();
  if (r.backends.has(backend.name) && !replace) return;
  r.backends.set(backend.name, backend);
  r.ready.delete(backend.name);
}

/** The registered backend for a device name; throws listing the known devices. */
export function getBackend(device: string): Backend {
  const b = registry().backends.get(device);
  if (!b) {
    const known = [...registry().backends.keys()].join(', ');
    throw new Error(`device '${device}' is not registered (known: ${known}); import its package, e.g. import '@tensile/${device}'`);
  }
  return b;
}

export function listDevices(): string[] {
  return [...registry().backends.keys()];
}

/** Wait for a device to finish async initialisation. */
export function ready(device: string = getDefaultDevice()): Promise<void> {
  const r = registry();
  let p = r.ready.get(device);
  if (!p) {
    const b = getBackend(device);
    p = b.ready ? b.ready() : Promise.resolve();
    r.ready.set(device, p);
  }
  return p;
}

export function setDefaultDevice(device: string): void {
  getBackend(device);
  registry().defaultDevice = device;
}

export function getDefaultDevice(): string {
  return registry().defaultDevice;
}
