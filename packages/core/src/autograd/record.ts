/** How ops record graph nodes. Only called when an input requires grad and grad mode is on. */
import type { Tensor } from '../tensor.js';
import { trackNode } from '../tensor.js';
import { isGradEnabled } from './grad-mode.js';
import { Node, SavedTensor } from './node.js';

/** True when an op on these inputs must record a node. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Backward of one op: output gradients (zeros for unused outputs) and the saved tensors in the
 * order given to record(); returns one gradient per input (null/undefined: none).
 */
export type OpBackward = (grads: Tensor[], saved: Tensor[]) => (Tensor | null | undefined)[];

/** Attach a node to `outputs` so gradients flow back to `inputs`. */
export function record(name: string, inputs: readonly (Tensor | null | undefined)[], outputs: readonly Tensor[], backward: OpBackward, toSave: readonly Tensor[] = []): Node {
  let saved: SavedTensor[] = [];
  const node = new Node(
    name,
    inputs.map((t) => (t ? t._gradEdge() : null)),
    (grads) => backward(grads as Tensor[], saved.map((s) => s.get())),
  );
  node.outputMeta = outputs.map((o) => ({ shape: [...o.shape], dtype: o.dtype, device: o.device }));
  outputs.forEach((o, i) => o._setGradFn(node, i));
  // Save after outputs have their history, so a saved output stays differentiable (double backward).
  saved = toSave.map((t) => new SavedTensor(t, name));
  node.saved = saved;
  trackNode(node);
  return node;
}
