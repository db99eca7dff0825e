// Each fused kernel of the webgpu backend against the js composite (which has no overrides),
// with a counter proving the fused kernel ran.
import { avgPool2d, conv2d, scaledDotProductAttention, crossEntropy, embedding, maxPool2d, gelu, getBackend, layerNorm, logSoftmax, manualSeed, randn, softmax, tensor, type Overrides, type Tensor } from '@tensile/core';
import { Adam, AdamW, SGD } from '@tensile/optim';
import { destroyWebGPU, type WebGPUBackend } from '@tensile/webgpu';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { initGpu } from './gpu.js';

const gpu = await initGpu();

const calls: Record<string, number> = {};
function countCalls(): void {
  const ov = getBackend('webgpu').overrides as Record<string, unknown>;
  for (const [k, f] of Object.entries(ov)) {
    if (typeof f !== 'function' || (f as { counted?: boolean }).counted) continue;
    const wrapped = (...a: unknown[]) => {
      calls[k] = (calls[k] ?? 0) + 1;
      return (f as (...x: unknown[]) => unknown)(...a);
    };
    (wrapped as { counted?: boolean }).counted = true;
    ov[k] = wrapped;
  }
}

async function close(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-6): Promise<void> {
  expect(a.shape).toEqual(b.shape);
  const x = Array.from(await a.data(), Number), y = Array.from(await b.data(), Number);
  for (let i = 0; i < x.length; i++) {
    // expect only on a failure (an expect per element is slow for large tensors); NaN fails too
    if (!(Math.abs(x[i]! - y[i]!) <= atol + rtol * Math.abs(y[i]!))) expect(Math.abs(x[i]! - y[i]!), `element ${i}: ${x[i]} vs ${y[i]}`).toBeLessThanOrEqual(atol + rtol * Math.abs(y[i]!));
  }
}

/** The same seeded input on js and webgpu. */
function pair(shape: readonly number[], seed = 0): [Tensor, Tensor] {
  manualSeed(seed);
  const j = randn(shape, { device: 'js' });
  return [j, j.to('webgpu')];
}

if (gpu.ok) {
  describe('webgpu fused kernels match the js composite', () => {
    afterAll(() => destroyWebGPU());
    beforeEach(() => {
      countCalls();
      for (const k of Object.keys(calls)) delete calls[k];
    });
    const used = (k: keyof Overrides) => expect(calls[k], `override ${k} was not called`).toBeGreaterThan(0);

    it('softmax / logSoftmax along every dim of a transposed 3-D input (rows longer than a workgroup)', async () => {
      const [xj, xw] = pair([3, 130, 5]);
      for (const dim of [0, 1, 2]) {
        await close(softmax(xw.transpose(0, 2), dim), softmax(xj.transpose(0, 2), dim));
        await close(logSoftmax(xw, dim), logSoftmax(xj, dim));
      }
      used('softmax');
      used('logSoftmax');
    });

    it('layerNorm with and without weight/bias, over 1 and 2 trailing dims', async () => {
      const [xj, xw] = pair([4, 6, 100]);
      const [wj, ww] = pair([100], 1);
      const [bj, bw] = pair([100], 2);
      await close(layerNorm(xw, [100], ww, bw, 1e-5), layerNorm(xj, [100], wj, bj, 1e-5), 1e-4, 1e-5);
      await close(layerNorm(xw, [6, 100]), layerNorm(xj, [6, 100]), 1e-4, 1e-5);
      await close(layerNorm(xw.transpose(0, 1), [100], ww), layerNorm(xj.transpose(0, 1), [100], wj), 1e-4, 1e-5);
      used('layerNorm');
    });

    it('gelu exact and tanh', async () => {
      const [xj, xw] = pair([1000]);
      const s = (t: Tensor) => t.mul(4);
      await close(gelu(s(xw)), gelu(s(xj)), 1e-5, 1e-6);
      await close(gelu(s(xw), { approximate: 'tanh' }), gelu(s(xj), { approximate: 'tanh' }), 1e-5, 1e-6);
      used('gelu');
    });

    it('embedding of a 2-D int64 index', async () => {
      const [wj, ww] = pair([10, 7]);
      const idx = [[1, 9, 0], [3, 3, 2]];
      const ij = tensor(idx, { dtype: 'int64', device: 'js' }), iw = tensor(idx, { dtype: 'int64', device: 'webgpu' });
      await close(embedding(iw, ww), embedding(ij, wj), 0, 0);
      used('embedding');
    });

    it('crossEntropy: reductions, class weights, ignoreIndex, label smoothing', async () => {
      const [xj, xw] = pair([9, 70]);
      const t = [0, 5, 69, 3, -100, 7, 7, 12, 1];
      const tj = tensor(t, { dtype: 'int64', device: 'js' }), tw = tensor(t, { dtype: 'int64', device: 'webgpu' });
      const [wj, ww] = pair([70], 3);
      const wjp = wj.abs(), wwp = ww.abs();
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        for (const labelSmoothing of [0, 0.1]) {
          await close(crossEntropy(xw, tw, { reduction, labelSmoothing }), crossEntropy(xj, tj, { reduction, labelSmoothing }), 1e-5, 1e-5);
          await close(
            crossEntropy(xw, tw, { reduction, labelSmoothing, weight: wwp }),
            crossEntropy(xj, tj, { reduction, labelSmoothing, weight: wjp }),
            1e-5,
            1e-5,
          );
        }
      }
      used('crossEntropy');
    });


    /** Forward value and gradients of f on js (composite) and webgpu (fused), compared. */
    async function withGrads(shapes: number[][], f: (...a: Tensor[]) => Tensor, rtol = 1e-4, atol = 1e-5): Promise<void> {
      const js = shapes.map((s, k) => pair(s, 20 + k));
      const lj = js.map(([j]) => j.clone().requiresGrad_()), lw = js.map(([, w]) => w.clone().requiresGrad_());
      const yj = f(...lj), yw = f(...lw);
      await close(yw, yj, rtol, atol);
      const [gj, gw] = pair(yj.shape, 99);
      yj.backward(gj);
      yw.backward(gw);
      for (let k = 0; k < shapes.length; k++) await close(lw[k]!.grad!, lj[k]!.grad!, rtol, atol);
    }

    it('conv2d (+ input, weight and bias gradients): stride, padding, dilation, groups', async () => {
      await withGrads([[2, 4, 9, 8], [6, 2, 3, 2], [6]], (x, w, b) => conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }));
      await withGrads([[1, 3, 7, 7], [5, 3, 3, 3]], (x, w) => conv2d(x.transpose(2, 3), w, null, { padding: 1 }));
      used('conv2d');
      used('conv2dBackwardInput');
      used('conv2dBackwardWeight');
    });

    it('conv2d lowered onto im2col + matmul (groups 1, float32): the MNIST CNN shapes, stride, padding, dilation', async () => {
      const lowered = (getBackend('webgpu') as WebGPUBackend).convLowered;
      const before = { ...lowered };
      // MNIST CNN: Conv2d(1, 32, 3) then Conv2d(32, 64, 3), batch 32 (the second at batch 4: the js reference is slow)
      await withGrads([[32, 1, 28, 28], [32, 1, 3, 3], [32]], (x, w, b) => conv2d(x, w, b));
      // (atol 1e-4: outputs are sums of 289 unit-normal products, |y| ~ 17, summed in another order than js's)
      await withGrads([[4, 32, 26, 26], [64, 32, 3, 3], [64]], (x, w, b) => conv2d(x, w, b), 1e-4, 1e-4);
      // output pixels not a multiple of 4 (padded columns), the bias row, O not a multiple of 4 (tiled matmul)
      await withGrads([[2, 3, 11, 10], [5, 3, 3, 2], [5]], (x, w, b) => conv2d(x, w, b, { stride: [2, 3], padding: [1, 2], dilation: [2, 1] }));
      await withGrads([[3, 4, 8, 9], [8, 4, 2, 3]], (x, w) => conv2d(x.transpose(2, 3), w, null, { stride: 2, padding: [0, 1] }));
      for (const k of ['conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight'] as const) {
        expect(lowered[k] - before[k], `${k} did not take the im2col + matmul path`).toBe(4);
      }
    });

    it('maxPool2d / avgPool2d (+ gradients): padding, ceil mode, countIncludePad, divisorOverride', async () => {
      await withGrads([[2, 3, 9, 8]], (x) => maxPool2d(x, [3, 2], { stride: 2, padding: 1, ceilMode: true }));
      await withGrads([[2, 3, 9, 8]], (x) => maxPool2d(x, 2, { dilation: 2 }));
      await withGrads([[2, 3, 9, 8]], (x) => avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }));
      await withGrads([[2, 3, 9, 8]], (x) => avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }));
      await withGrads([[2, 3, 9, 8]], (x) => avgPool2d(x, 2, { divisorOverride: 3 }));
      used('maxPool2d');
      used('maxPool2dBackward');
      used('avgPool2d');
      used('avgPool2dBackward');
    });


    it('scaledDotProductAttention inference: strided heads, bool and float masks, causal', async () => {
      const [qj, qw] = pair([2, 3, 5, 8], 1);
      const [kj, kw] = pair([2, 3, 70, 8], 2);
      const [vj, vw] = pair([2, 3, 70, 6], 3);
      await close(scaledDotProductAttention(qw, kw, vw), scaledDotProductAttention(qj, kj, vj), 1e-4, 1e-5);
      await close(scaledDotProductAttention(qw, kw, vw, { isCausal: true }), scaledDotProductAttention(qj, kj, vj, { isCausal: true }), 1e-4, 1e-5);
      const [mj, mw] = pair([5, 70], 4);
      await close(scaledDotProductAttention(qw, kw, vw, { attnMask: mw }), scaledDotProductAttention(qj, kj, vj, { attnMask: mj }), 1e-4, 1e-5);
      const bj = mj.gt(0), bw = mw.gt(0);
      await close(scaledDotProductAttention(qw, kw, vw, { attnMask: bw }), scaledDotProductAttention(qj, kj, vj, { attnMask: bj }), 1e-4, 1e-5);
      const t = (x: Tensor) => x.transpose(1, 2).contiguous().transpose(1, 2);
      await close(scaledDotProductAttention(t(qw), t(kw), t(vw)), scaledDotProductAttention(qj, kj, vj), 1e-4, 1e-5);
      used('scaledDotProductAttention');
    });

    describe('scaledDotProductAttention training: fused forward (lse) + fused backward against the js composite', () => {
      type Opts = Parameters<typeof scaledDotProductAttention>[3];
      /**
       * Gradients of sum(y * w) w.r.t. q, k, v on webgpu (fused) and js (composite), compared; with
       * `transposedGrad` the gradient reaching attention is a transposed (non-contiguous) view.
       */
      async function checkGrads(what: string, shapes: [number[], number[], number[]], opts: (m: Tensor | null) => Opts, mask?: [Tensor, Tensor], nonContiguous = false, transposedGrad = false) {
        for (const k of Object.keys(calls)) delete calls[k];
        const ins = shapes.map((sh, i) => pair(sh, 200 + i * 7));
        const res: Tensor[][] = [];
        for (const dev of [0, 1] as const) {
          const leaf = (t: Tensor) => (nonContiguous ? t.transpose(-2, -1).contiguous().transpose(-2, -1) : t).detach().requiresGrad_(true);
          const [q, k, v] = ins.map((p) => leaf(p[dev]));
          const y = scaledDotProductAttention(q!, k!, v!, opts(mask ? mask[dev] : null));
          const w = pair(transposedGrad ? [...y.shape.slice(0, -2), y.shape[y.ndim - 1]!, y.shape[y.ndim - 2]!] : y.shape, 999)[dev];
          (transposedGrad ? y.transpose(-2, -1) : y).mul(w).sum().backward();
          res.push([y, q!.grad!, k!.grad!, v!.grad!]);
        }
        expect(calls.scaledDotProductAttention, `${what}: fused forward used`).toBe(1);
        expect(calls.scaledDotProductAttentionBackward, `${what}: fused backward used`).toBe(1);
        for (const [i, n] of ['out', 'dq', 'dk', 'dv'].entries()) {
          if (i > 0) expect(res[1]![i]!.shape, `${what} ${n}`).toEqual(shapes[i - 1]);
          await close(res[1]![i]!, res[0]![i]!, 1e-4, 1e-5);
        }
      }
      it('no mask: 3-D, 4-D with a custom scale, and more keys than a workgroup', async () => {
        await checkGrads('3d', [[2, 5, 4], [2, 6, 4], [2, 6, 3]], () => ({}));
        await checkGrads('4d', [[2, 3, 7, 8], [2, 3, 7, 8], [2, 3, 7, 8]], () => ({ scale: 0.3 }));
        await checkGrads('S = 70', [[1, 2, 5, 8], [1, 2, 70, 8], [1, 2, 70, 6]], () => ({}));
      });
      it('causal with L < S and L > S', async () => {
        await checkGrads('causal L<S', [[2, 4, 4], [2, 6, 4], [2, 6, 5]], () => ({ isCausal: true }));
        await checkGrads('causal L>S', [[2, 6, 4], [2, 4, 4], [2, 4, 5]], () => ({ isCausal: true }));
      });
      it('bool mask with fully masked rows; float mask with -Infinity entries and a fully masked row', async () => {
        const bv = Array.from({ length: 60 }, (_, i) => (i * 7919) % 10 < 6);
        for (let j = 6; j < 12; j++) bv[j] = false; // batch 0, row 1 fully masked
        for (let j = 48; j < 54; j++) bv[j] = false; // batch 1, row 3 fully masked
        const bm: [Tensor, Tensor] = [tensor(bv, { dtype: 'bool', device: 'js' }).reshape([2, 5, 6]), tensor(bv, { dtype: 'bool', device: 'webgpu' }).reshape([2, 5, 6])];
        await checkGrads('bool', [[2, 5, 4], [2, 6, 4], [2, 6, 3]], (x) => ({ attnMask: x }), bm);
        const fv = Array.from({ length: 30 }, (_, i) => (i % 7 === 0 ? -Infinity : (i % 5) * 0.1));
        for (let j = 6; j < 12; j++) fv[j] = -Infinity; // row 1 fully masked
        const fm: [Tensor, Tensor] = [tensor(fv, { device: 'js' }).reshape([5, 6]), tensor(fv, { device: 'webgpu' }).reshape([5, 6])];
        await checkGrads('float', [[2, 5, 4], [2, 6, 4], [2, 6, 3]], (x) => ({ attnMask: x }), fm);
      });
      it('broadcast batch dims and grouped-query heads sum the gradients back', async () => {
        await checkGrads('broadcast k, v', [[3, 2, 5, 4], [1, 2, 6, 4], [2, 6, 3]], () => ({}));
        await checkGrads('gqa', [[2, 4, 5, 4], [2, 2, 6, 4], [2, 1, 6, 3]], () => ({ enableGqa: true }));
      });
      it('non-contiguous operands and a non-contiguous incoming gradient', async () => {
        await checkGrads('strided', [[2, 5, 4], [2, 6, 4], [2, 6, 3]], () => ({ isCausal: true }), undefined, true);
        await checkGrads('transposed grad', [[2, 5, 4], [2, 6, 4], [2, 6, 3]], () => ({}), undefined, false, true);
      });
    });

    for (const [name, make, key] of [
      ['SGD (momentum, nesterov, weight decay)', (p: Tensor[]) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }), 'fusedSgd'],
      ['SGD (plain, maximize)', (p: Tensor[]) => new SGD(p, { lr: 0.1, maximize: true }), 'fusedSgd'],
      ['Adam (weight decay, amsgrad)', (p: Tensor[]) => new Adam(p, { lr: 0.01, weightDecay: 0.1, amsgrad: true }), 'fusedAdam'],
      ['AdamW', (p: Tensor[]) => new AdamW(p, { lr: 0.01, weightDecay: 0.1 }), 'fusedAdamW'],
    ] as const) {
      it(`${name}: 3 fused steps give the composite's parameters`, async () => {
        const [pj0, pw0] = pair([5, 33]);
        const [gj, gw] = pair([5, 33], 9);
        const pj = pj0.clone().requiresGrad_(), pw = pw0.clone().requiresGrad_();
        const oj = make([pj]), ow = make([pw]);
        for (let s = 0; s < 3; s++) {
          pj.grad = gj.mul(s + 1);
          pw.grad = gw.mul(s + 1);
          oj.step();
          ow.step();
        }
        await close(pw.detach(), pj.detach(), 1e-5, 1e-6);
        used(key);
      });
    }
  });
} else {
  describe.skip(`webgpu fused kernels skipped: ${gpu.reason}`, () => {
    it('match the js composite', () => {});
  });
}
