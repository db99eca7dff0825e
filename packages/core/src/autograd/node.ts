/** Graph nodes recorded by differentiable ops. Backends never see these. */
import type { Tensor } from '../tensor.js';

/** Where a gradient flows: input `inputNr` of `node`. */
export interface Edge {
  node: Node;
  inputNr: number;
}

export type BackwardFn = (gradOutputs: (Tensor | null)[]) => (Tensor | null | undefined)[];

let nextNodeId = 0;

/**
 * One recorded operation. `next[i]` is the edge of the op's i-th tensor input (null when that
 * input needs no gradient); `backward` maps output gradients to input gradients.
 */
export class Node {
  readonly id = nextNodeId++;
  released = false;
  /** Saved tensors (aliases holding a storage reference) freed by release(). */
  saved: SavedTensor[] = [];
  /** Shapes/dtypes/devices of outputs, to build zero gradients for unused outputs. */
  outputMeta: { shape: number[]; dtype: string; device: string }[] = [];
  preHooks: ((grads: (Tensor | null)[]) => (Tensor | null)[] | void)[] = [];
  constructor(
    readonly name: string,
    readonly next: (Edge | null)[],
    public backward: BackwardFn,
  ) {}

  /** Free saved tensors; a later backward through this node throws. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const s of this.saved) s.release();
    this.saved = [];
  }
}

/** Gradient sink of a leaf tensor that requires grad. */
export class AccumulateGrad extends Node {
  constructor(readonly variable: WeakRef<Tensor>) {
    super('AccumulateGrad', [], () => []);
  }
  override release(): void {
    // Leaves are never released: they outlive every graph.
  }
}

/**
 * A tensor saved for backward. Holds an alias (sharing storage, so the user may dispose the
 * original) and the storage version at save time, to detect in-place changes.
 */
export class SavedTensor {
  private alias: Tensor | null;
  private readonly version: number;
  constructor(
    t: Tensor,
    private readonly op: string,
  ) {
    this.alias = t._savedAlias();
    this.version = t.storage.version;
  }
  get(): Tensor {
    const a = this.alias;
    if (!a) {
      throw new Error(
        `${this.op}: trying to backward through the graph a second time, or after its saved tensors were freed ` +
          '(by a previous backward() or by tidy()); pass { retainGraph: true } to backward() the first time',
      );
    }
    if (a.storage.version !== this.version) {
      throw new Error(
        `one of the variables needed for gradient computation has been modified by an inplace operation: ` +
          `${this.op} saved a ${a.dtype} tensor of shape [${a.shape.join(', ')}] at version ${this.version}; ` +
          `it is now at version ${a.storage.version}`,
      );
    }
    return a;
  }
  release(): void {
    if (this.alias) {
      this.alias.dispose();
      this.alias = null;
    }
  }
}
