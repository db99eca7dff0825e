// Test helper: point Dawn at a software Vulkan driver when none is configured (CI without a
// GPU), then initialise the webgpu device once per test file. When no adapter can be had, the
// reason is returned so tests register as skipped with it (never pass silently).
import { ready } from '@tensile/core';
import { useSoftwareVulkan, webgpuInfo } from '@tensile/webgpu';

export interface GpuStatus {
  ok: boolean;
  /** Why the device is unavailable (when !ok), or which adapter/driver is used. */
  reason: string;
}

let status: Promise<GpuStatus> | undefined;

export function initGpu(): Promise<GpuStatus> {
  status ??= (async () => {
    const icd = await useSoftwareVulkan();
    try {
      await ready('webgpu');
      const info = webgpuInfo();
      return { ok: true, reason: `adapter ${info.adapter.description || info.adapter.vendor || '?'} (VK_ICD_FILENAMES=${icd ?? 'unset'})` };
    } catch (e) {
      const reason = `no WebGPU adapter: ${(e as Error).message} (VK_ICD_FILENAMES=${icd ?? 'unset'}; run packages/webgpu/scripts/setup-driver.sh)`;
      console.warn(`[@tensile/webgpu tests] skipped: ${reason}`);
      return { ok: false, reason };
    }
  })();
  return status;
}
