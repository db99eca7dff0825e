// Device loss and allocation failures surface as clear errors naming what happened, on a second
// 'webgpu' device so the main one stays usable. Skipped, with the reason, when no adapter can be had.
import { getBackend, ready, registerBackend, tensor, zeros } from '@tensile/core';
import { destroyWebGPU, WebGPUBackend } from '@tensile/webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { initGpu } from './gpu.js';

const gpu = await initGpu();
const LOST = 'webgpu-lost';

if (gpu.ok) {
  registerBackend(new WebGPUBackend(LOST));
  await ready(LOST);
  const lost = getBackend(LOST) as WebGPUBackend;

  describe('webgpu errors', () => {
    afterAll(() => {
      lost.destroy(); // before the main device: Dawn is released with the last one
      destroyWebGPU();
    });

    it('a tensor larger than the adapter allows is refused with the sizes', () => {
      const limits = (getBackend('webgpu') as WebGPUBackend).ctx.device.limits;
      const lim = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
      expect(() => zeros([Math.floor(lim / 4) + 1024], { device: 'webgpu' })).toThrow(/bytes exceed the adapter's largest storage buffer \(\d+ bytes\)/);
      // the device still works afterwards
      expect(zeros([3], { device: 'webgpu' }).numel).toBe(3);
    });

    it('after the device is lost, the next op throws an error saying so (and the main device is unaffected)', async () => {
      const x = tensor([1, 2, 3], { device: LOST });
      expect(Array.from((await x.add(1).data()) as Float32Array)).toEqual([2, 3, 4]);
      const device = lost.ctx.device;
      device.destroy(); // as a driver reset would: not through the backend
      const info = await device.lost;
      expect(info.reason).toBe('destroyed');
      expect(() => x.add(1)).toThrow(/webgpu: the device was lost \(destroyed\).*re-create the backend/);
      const y = tensor([1, 2], { device: 'webgpu' });
      expect(Array.from((await y.mul(2).data()) as Float32Array)).toEqual([2, 4]);
    });
  });
} else {
  describe.skip(`webgpu errors (skipped: ${gpu.reason})`, () => {
    it('needs a WebGPU adapter', () => {});
  });
}
