// float16 on webgpu: true 2-byte f16 storage (computed in f32) when the adapter has shader-f16,
// and the f32 emulation (forced here with shaderF16: false on a second device, 'webgpu-f16emu')
// otherwise. Both paths against js (float16 rounded after every op) and against each other.
import { getBackend, layerNorm, ready, registerBackend, scaledDotProductAttention, softmax, tensor, type DType, type Tensor } from '@tensile/core';
import { destroyWebGPU, float16Bits, GpuBuffer, WebGPUBackend, webgpuInfo, type WebGPUCapabilities } from '@tensile/webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { cumsumShader, gatherShader, mapShader, matmulShader, reduceShader, scatterAddShader } from '../src/templates.js';
import { withHalfStorage } from '../src/wgsl.js';
import { initGpu } from './gpu.js';
import { rng } from '../../../config/testing/random.js';

const gpu = await initGpu();

const EMU = 'webgpu-f16emu';

const values = (n: number, seed: number, scale = 4): number[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => (r() - 0.5) * 2 * scale);
};
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const arr = async (t: Tensor): Promise<number[]> => Array.from((await t.data()) as ArrayLike<number>, Number);

/**
 * float16 cases: name, input shapes, function (on float16 tensors), and the reference: 'exact':
 * bit-identical to js in float16 (exact in f32 before the one rounding: add, mul, copies, casts,
 * gathers); 'ulp': within 2 float16 ulps of js in float16 (transcendentals and sums, computed in
 * f32 on webgpu, f64 on js); 'f32': within 2 ulps of js computed in float32 from the same
 * float16 inputs and rounded once (fused kernels: one rounding at the end, where js's float16
 * composite rounds every intermediate).
 */
type Ref = 'exact' | 'ulp' | 'f32';
const CASES: [string, number[][], (...x: Tensor[]) => Tensor, Ref][] = [
  ['add, mul, sub with broadcast', [[5, 7], [7]], (a, b) => a.add(b).mul(a).sub(b), 'exact'],
  ['neg, abs, relu, maximum', [[33], [33]], (a, b) => a.neg().abs().relu().maximum(b), 'exact'],
  ['odd-offset narrow of a transpose, made contiguous', [[9, 7]], (a) => a.t().narrow(1, 1, 7).contiguous(), 'exact'],
  ['odd count copy at an odd offset (the copy kernel, not copyBufferToBuffer)', [[3, 5]], (a) => a.reshape([15]).narrow(0, 3, 7).contiguous(), 'exact'],
  ['cast float16 -> float32 -> float16 and to int32 / bool', [[11]], (a) => a.to('float32').mul(3).to('float16').add(a.to('int32').to('float16')).add(a.to('bool').to('float16')), 'exact'],
  ['where, gather, index_select', [[6, 5]], (a) => a.where(a.gt(0), a.mul(2)).gather(1, tensor([[0, 4], [1, 1], [2, 3], [4, 0], [3, 3], [0, 0]], { dtype: 'int64', device: a.device })), 'exact'],
  ['scatterAdd (f32 accumulation, one rounding)', [[4, 3]], (a) => a.scatterAdd(0, tensor([[1, 0, 3], [2, 2, 2], [0, 1, 0]], { dtype: 'int64', device: a.device }), a.narrow(0, 0, 3)), 'ulp'],
  ['exp, log, sqrt, sigmoid, tanh, erf, div', [[40], [40]], (a, b) => a.exp().add(b.abs().log()).add(b.abs().sqrt()).add(a.sigmoid()).add(b.tanh()).add(a.erf()).add(a.div(b)), 'ulp'],
  ['sum, mean, max, argmax over dims', [[6, 50]], (a) => a.sum(1).add(a.mean(1)).add(a.amax(1)).add(a.argmax(1).to('float16')), 'ulp'],
  ['cumsum', [[3, 20]], (a) => a.cumsum(1), 'ulp'],
  ['matmul (tiled kernel) of transposed operands', [[9, 13], [9, 7]], (a, b) => a.t().matmul(b), 'ulp'],
  ['softmax and layerNorm (fused kernels)', [[4, 70]], (a) => softmax(a, 1).add(layerNorm(a, [70])), 'f32'],
  ['overflow to infinity, subnormals, signed zero', [[4]], (a) => a.mul(0).add(tensor([70000, -1e-6, 3e-5, -0], { dtype: 'float16', device: a.device })).mul(tensor([1, 1, 0.5, 1], { dtype: 'float16', device: a.device })), 'exact'],
];

async function runCase(device: string, shapes: number[][], f: (...x: Tensor[]) => Tensor, inF32 = false): Promise<number[]> {
  const ins = shapes.map((s, k) => tensor(values(numel(s), 10 + k), { dtype: 'float16', device }).reshape(s));
  const y = inF32 ? f(...ins.map((t) => t.to('float32'))).to('float16') : f(...ins);
  expect(y.dtype).toBe('float16');
  const out = await arr(y);
  for (const t of [...ins, y]) t.dispose();
  return out;
}

/** Equal (exact), or within 2 float16 ulps of want plus atol. */
function within2ulp(got: number[], want: number[], what: string, exact: boolean, atol = 0): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (exact || !Number.isFinite(w)) {
      expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${what}[${i}]: ${g} vs ${w}`).toBe(true);
      continue;
    }
    // float16 spacing at |w|: 2^(e - 10), at least the subnormal step 2^-24
    const ulp = Math.max(2 ** (Math.floor(Math.log2(Math.abs(w) || 2 ** -24)) - 10), 2 ** -24);
    if (!(Math.abs(g - w) <= 2 * ulp + atol)) expect.fail(`${what}[${i}]: webgpu ${g} vs js ${w} (more than 2 float16 ulps)`);
  }
}

if (gpu.ok) {
  const main = getBackend('webgpu') as WebGPUBackend;
  const hasF16 = main.features.includes('shader-f16');
  registerBackend(new WebGPUBackend(EMU, { shaderF16: false }));
  await ready(EMU);
  const emu = getBackend(EMU) as WebGPUBackend;

  describe('webgpu float16', () => {
    afterAll(() => {
      emu.destroy(); // before the main device: Dawn is released with the last one
      destroyWebGPU();
    });

    it('binary16 bits on the host round to nearest even (normal, subnormal, overflow, NaN, -0)', () => {
      expect(float16Bits(1)).toBe(0x3c00);
      expect(float16Bits(-2)).toBe(0xc000);
      expect(float16Bits(65504)).toBe(0x7bff);
      expect(float16Bits(65520)).toBe(0x7c00);
      expect(float16Bits(2 ** -24)).toBe(1);
      expect(float16Bits(2 ** -14)).toBe(0x0400);
      expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie to even
      expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
      expect(float16Bits(-0)).toBe(0x8000);
      expect(float16Bits(NaN)).toBe(0x7e00);
    });

    it(`the capability query says how float16 and bfloat16 are stored (adapter ${hasF16 ? 'has' : 'lacks'} shader-f16)`, () => {
      const caps = main.capabilities as WebGPUCapabilities;
      expect(caps.float16).toBe(hasF16 ? 'f16' : 'f32-emulated');
      expect(caps.bytesPerElement.float16).toBe(hasF16 ? 2 : 4);
      expect(caps.bfloat16).toBe('f32-emulated');
      expect(webgpuInfo().float16).toBe(caps.float16);
      expect(main.ctx.device.features.has('shader-f16')).toBe(hasF16);
      const ec = emu.capabilities as WebGPUCapabilities;
      expect([ec.float16, ec.bytesPerElement.float16, emu.ctx.f16]).toEqual(['f32-emulated', 4, false]);
    });

    it.runIf(hasF16)('stores float16 in 2 bytes per element with shader-f16 (4 on the emulated path), odd counts included', async () => {
      for (const n of [1, 7, 1001, 4096]) {
        const v = values(n, n);
        const h = tensor(v, { dtype: 'float16', device: 'webgpu' });
        const f = tensor(v, { dtype: 'float32', device: 'webgpu' });
        const e = tensor(v, { dtype: 'float16', device: EMU });
        const buf = (t: Tensor) => t.storage.buf as GpuBuffer;
        expect(buf(h).bytes, `${n} float16`).toBe(2 * n);
        expect(buf(f).bytes, `${n} float32`).toBe(4 * n);
        expect(buf(e).bytes, `${n} float16 emulated`).toBe(4 * n);
        if (n === 4096) expect(buf(h).size).toBe(buf(f).size / 2);
        const back = await arr(h);
        expect(back).toEqual(await arr(tensor(v, { dtype: 'float16', device: 'js' })));
        expect(await arr(e)).toEqual(back);
        for (const t of [h, f, e]) t.dispose();
      }
    });

    for (const [name, shapes, f, ref] of CASES) {
      const exact = ref === 'exact';
      const how = exact ? 'exactly' : ref === 'ulp' ? 'within 2 ulps' : 'computed in float32 within 2 ulps';
      it(`${name}: f16 path and emulated path match js ${how}, and each other exactly`, async () => {
        const want = await runCase('js', shapes, f, ref === 'f32');
        const got = await runCase('webgpu', shapes, f);
        const got2 = await runCase(EMU, shapes, f);
        within2ulp(got, want, `${name} (webgpu)`, exact);
        within2ulp(got2, want, `${name} (${EMU})`, exact);
        expect(got, `${name}: f16 storage vs emulation`).toEqual(got2);
      });
    }

    it('float16 attention (composite) and training gradients agree with js', async () => {
      const mk = (d: string, s: number[], seed: number) => tensor(values(numel(s), seed, 1), { dtype: 'float16' as DType, device: d }).reshape(s).requiresGrad_(true);
      const res: number[][] = [];
      for (const d of ['js', 'webgpu']) {
        const q = mk(d, [2, 5, 4], 1), k = mk(d, [2, 6, 4], 2), v = mk(d, [2, 6, 3], 3);
        const y = scaledDotProductAttention(q, k, v, { isCausal: true });
        y.sum().backward();
        res.push([...(await arr(y)), ...(await arr(q.grad!)), ...(await arr(k.grad!)), ...(await arr(v.grad!))]);
      }
      // both composites round every op to float16; outputs that are sums of cancelling terms of
      // magnitude ~1 differ by a fraction of the float16 ulp at 1
      within2ulp(res[1]!, res[0]!, 'attention float16', false, 2 ** -10);
    });

    it('every shader template compiles with f16 storage (enable f16)', async () => {
      if (!hasF16) return expect(main.ctx.f16).toBe(false);
      const codes: [string, string][] = withHalfStorage(true, () => {
        const d: DType = 'float16';
        const c: [string, string][] = [[`map`, mapShader([{ dtype: d, contiguous: false }, { dtype: 'float32', contiguous: true }], d, 'x0 + x1', true)]];
        for (const op of ['sum', 'max', 'argmax'] as const) for (const g of [false, true]) c.push([`reduce ${op} ${g}`, reduceShader(op, d, op === 'argmax' ? 'int64' : d, g)]);
        c.push(['cumsum', cumsumShader(d)], ['matmul', matmulShader(d)], ['gather', gatherShader(d, 'int64')], ['scatterAdd', scatterAddShader('float32', 'int64', d)]);
        expect(() => scatterAddShader(d, 'int64')).toThrow(/atomic/);
        return c;
      });
      const errors: string[] = [];
      for (const [name, code] of codes) {
        expect(code, name).toMatch(/array<f16>/);
        const info = await main.ctx.device.createShaderModule({ code: `enable f16;\n${code}` }).getCompilationInfo();
        for (const m of info.messages) if (m.type === 'error') errors.push(`${name}: ${m.message}`);
      }
      expect(errors).toEqual([]);
    });
  });
} else {
  describe.skip(`webgpu float16 skipped: ${gpu.reason}`, () => {
    it('f16 storage and emulation', () => {});
  });
}
