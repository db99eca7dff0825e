// The whole conformance suite on 'webgpu' (leak-checked), with only the declared capability
// skips. Without an adapter every case registers as skipped, with the reason in its name.
import { runConformance, skippedCases } from '@tensile/conformance';
import { destroyWebGPU, WEBGPU_SKIPS } from '@tensile/webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { initGpu } from './gpu.js';

const gpu = await initGpu();

if (gpu.ok) {
  runConformance('webgpu', { skip: [...WEBGPU_SKIPS] });
  it('skips only the declared capability cases', () => {
    const skipped = skippedCases().filter((e) => e.device === 'webgpu' && e.suite === 'ops');
    for (const s of skipped) expect(WEBGPU_SKIPS.map((k) => k.reason)).toContain(s.reason);
  });
  afterAll(() => destroyWebGPU());
} else {
  // every fixture case registered as skipped, with the reason (recorded in the coverage data too)
  runConformance('webgpu', { skip: [{ case: /.*/, reason: gpu.reason }] });
  describe.skip(`conformance (webgpu) skipped: ${gpu.reason}`, () => {
    it('every fixture case', () => {});
  });
}
