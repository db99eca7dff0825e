/**
 * @tensile/core: tensors, autograd, the backend contract and the JS reference backend.
 * Importing it registers the `js` and `js-async` devices.
 */
import './ops/copy.js';
import './ops/views.js';
import './ops/reduction.js';
import './ops/elementwise.js';
import './ops/indexing.js';
import './ops/linalg.js';
import './autograd/engine.js';
import { JsAsyncBackend, JsBackend } from './backends/js.js';
import { registerBackend } from './registry.js';

registerBackend(new JsBackend());
registerBackend(new JsAsyncBackend());

export const version = '0.1.0';

export { Tensor, tidy, keep, type NestedArray } from './tensor.js';
export * from './dtype.js';
export * from './shape.js';
export type * from './backend.js';
export { BOOL_BINARY, BOOL_UNARY, PRIMITIVES } from './backend.js';
export * from './registry.js';
export { memory, type MemoryInfo } from './memory.js';
export { Generator, manualSeed, defaultGenerator, philox4x32, philoxUniform, philoxNormal, uniformBits } from './random.js';
export { noGrad, enableGrad, isGradEnabled, withGradMode } from './autograd/grad-mode.js';
export { backward, grad, type BackwardOptions, type GradOptions } from './autograd/engine.js';
export { customFunction, type FunctionCtx, type FunctionDef } from './autograd/function.js';
export { gradcheck, gradgradcheck, type GradcheckOptions } from './autograd/gradcheck.js';
export { JsBackend, JsAsyncBackend, viewOffsets } from './backends/js.js';
export * from './ops/creation.js';
export { clone, contiguous, cast, to, toAsync } from './ops/copy.js';
export * from './ops/views.js';
export * from './ops/reduction.js';
export * from './ops/elementwise.js';
export * from './ops/indexing.js';
export * from './ops/linalg.js';
export type { TensorOrScalar, Scalar } from './ops/dispatch.js';
// Op families filled in by their own files (each installs its Tensor methods on import).
export * from './ops/shape.js';
export * from './ops/getitem.js';
export * from './ops/stats.js';
export * from './ops/einsum.js';
export * from './ops/loss.js';
export * from './ops/nn/normalization.js';
export * from './ops/nn/conv.js';
export * from './ops/nn/attention.js';

import { backward as autogradBackward, grad as autogradGrad } from './autograd/engine.js';
import { customFunction as autogradFunction } from './autograd/function.js';
import { gradcheck as autogradGradcheck, gradgradcheck as autogradGradgradcheck } from './autograd/gradcheck.js';
/** torch.autograd's shape: autograd.grad, autograd.backward, autograd.gradcheck, autograd.Function. */
export const autograd = {
  grad: autogradGrad,
  backward: autogradBackward,
  gradcheck: autogradGradcheck,
  gradgradcheck: autogradGradgradcheck,
  Function: autogradFunction,
} as const;
