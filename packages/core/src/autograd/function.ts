/** Custom differentiable functions (torch.autograd.Function) with ctx.saveForBackward. */
import type { Tensor } from '../tensor.js';
import { noGrad } from './grad-mode.js';
import { needsGrad, record } from './record.js';

export interface FunctionCtx {
  /** Save tensors for backward; read them back as ctx.savedTensors. */
  saveForBackward(...tensors: Tensor[]): void;
  readonly savedTensors: Tensor[];
  /** Non-tensor values for backward. */
  [key: string]: unknown;
}

export interface FunctionDef<A extends unknown[]> {
  /** Runs without graph recording; returns one tensor or a list. */
  forward(ctx: FunctionCtx, ...args: A): Tensor | Tensor[];
  /** Gradient for each forward argument (null for non-tensors or no gradient). */
  backward(ctx: FunctionCtx, ...gradOutputs: Tensor[]): (Tensor | null)[] | Tensor | null;
}

/** Build a differentiable function from forward/backward, like torch.autograd.Function.apply. */
export function customFunction<A extends unknown[]>(name: string, def: FunctionDef<A>): (...args: A) => Tensor | Tensor[] {
  return (...args: A) => {
    let toSave: Tensor[] = [];
    let saved: Tensor[] = [];
    const ctx: FunctionCtx = {
      saveForBackward: (...ts: Tensor[]) => void (toSave = ts),
      get savedTensors() {
        return saved;
      },
    };
    const out = noGrad(() => def.forward(ctx, ...args));
    const outs = Array.isArray(out) ? out : [out];
    const tensorArgs = args.map((a) => (isTensorLike(a) ? (a as Tensor) : null));
    if (needsGrad(...tensorArgs)) {
      record(name, tensorArgs, outs, (grads, s) => {
        saved = s;
        const r = def.backward(ctx, ...grads);
        return Array.isArray(r) ? r : [r];
      }, toSave);
    }
    return out;
  };
}

function isTensorLike(a: unknown): boolean {
  return typeof a === 'object' && a !== null && 'storage' in a && 'shape' in a && 'gradFn' in a;
}
