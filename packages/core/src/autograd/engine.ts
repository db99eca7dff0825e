/** The backward pass: walks recorded nodes in dependency order, summing gradients per input. */
import { Tensor, keep, tidy } from '../tensor.js';
import { fmtShape } from '../shape.js';
import { withGradMode } from './grad-mode.js';
import { AccumulateGrad, type Node } from './node.js';
import { zerosOf, onesOf } from './support.js';

export interface BackwardOptions {
  /** Keep saved tensors so backward can run again through the same graph. */
  retainGraph?: boolean;
  /** Record the backward computation itself, for higher-order gradients. */
  createGraph?: boolean;
  /** Only accumulate into these leaves. */
  inputs?: Tensor[];
}

export interface GradOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

function rootGrads(op: string, outputs: Tensor[], gradOutputs: (Tensor | null | undefined)[] | undefined): Tensor[] {
  return outputs.map((o, i) => {
    o._assertAlive(op);
    if (!o.requiresGrad) {
      throw new Error(`${op}: element ${i} of tensors does not require grad and does not have a gradFn`);
    }
    const g = gradOutputs?.[i];
    if (g) {
      if (g.shape.length !== o.shape.length || g.shape.some((d, k) => d !== o.shape[k])) {
        throw new RangeError(`${op}: mismatch in shape: grad output has shape ${fmtShape(g.shape)} and output has shape ${fmtShape(o.shape)}`);
      }
      return g;
    }
    if (o.numel !== 1) {
      throw new Error(`${op}: grad can be implicitly created only for scalar outputs (got an output of shape ${fmtShape(o.shape)}); pass a gradient`);
    }
    return onesOf(o);
  });
}

/**
 * Run the graph below `roots`. `capture` maps an edge (node + input slot) to the gradient
 * collected there (for autograd.grad); with `accumulate`, leaves get their .grad updated.
 */
function execute(
  roots: Tensor[],
  grads: Tensor[],
  opts: { retainGraph: boolean; createGraph: boolean; accumulate: boolean; onlyLeaves?: Set<AccumulateGrad> },
  capture?: Map<Node, Map<number, Tensor | null>>,
): void {
  // Count how many edges point at each node, so a node runs once all its gradients are in.
  const deps = new Map<Node, number>();
  const seen = new Set<Node>();
  const stack: Node[] = [];
  for (const r of roots) {
    const e = r._gradEdge();
    if (e && !seen.has(e.node)) { seen.add(e.node); stack.push(e.node); }
  }
  while (stack.length) {
    const n = stack.pop()!;
    for (const e of n.next) {
      if (!e) continue;
      deps.set(e.node, (deps.get(e.node) ?? 0) + 1);
      if (!seen.has(e.node)) { seen.add(e.node); stack.push(e.node); }
    }
  }

  // With autograd.grad, skip nodes that lead to none of the requested gradients.
  let leadsToCapture: Set<Node> | undefined;
  if (capture) {
    leadsToCapture = new Set();
    const memo = new Map<Node, boolean>();
    const visit = (n: Node): boolean => {
      const m = memo.get(n);
      if (m !== undefined) return m;
      memo.set(n, false);
      let r = false;
      for (const e of n.next) if (e && (capture.has(e.node) || visit(e.node))) r = true;
      memo.set(n, r);
      if (r) leadsToCapture!.add(n);
      return r;
    };
    for (const n of seen) visit(n);
  }

  const buffers = new Map<Node, (Tensor | null)[]>();
  const addGrad = (node: Node, slot: number, g: Tensor): void => {
    let b = buffers.get(node);
    if (!b) { b = []; buffers.set(node, b); }
    const prev = b[slot];
    b[slot] = prev ? prev.add(g) : g;
  };
  const readyQueue: Node[] = [];
  roots.forEach((r, i) => {
    const e = r._gradEdge()!;
    addGrad(e.node, e.inputNr, grads[i]!);
  });
  for (const n of seen) if (!deps.get(n)) readyQueue.push(n);

  while (readyQueue.length) {
    // Later nodes first (highest id), as PyTorch orders by sequence number.
    readyQueue.sort((a, b) => a.id - b.id);
    const node = readyQueue.pop()!;
    let inGrads = buffers.get(node) ?? [];
    buffers.delete(node);
    for (const h of node.preHooks) {
      const r = h(inGrads);
      if (r) inGrads = r;
    }
    const cap = capture?.get(node);
    if (cap) for (const slot of cap.keys()) cap.set(slot, inGrads[slot] ?? null);

    if (node instanceof AccumulateGrad) {
      if (opts.accumulate && (!opts.onlyLeaves || opts.onlyLeaves.has(node))) accumulateLeaf(node, inGrads[0] ?? null, opts.createGraph);
    } else if (!leadsToCapture || leadsToCapture.has(node)) {
      if (node.released) {
        throw new Error(
          `${node.name}: trying to backward through the graph a second time, or after its saved tensors were freed ` +
            '(by a previous backward() or by tidy()); pass { retainGraph: true } to backward() the first time',
        );
      }
      const full = node.outputMeta.map((m, i) => inGrads[i] ?? zerosOf(m));
      const outGrads = node.backward(full);
      if (!opts.retainGraph) node.release();
      node.next.forEach((e, i) => {
        const g = outGrads[i];
        if (e && g) addGrad(e.node, e.inputNr, g);
      });
    }
    for (const e of node.next) {
      if (!e) continue;
      const d = deps.get(e.node)! - 1;
      deps.set(e.node, d);
      if (d === 0) readyQueue.push(e.node);
    }
  }
}

function accumulateLeaf(node: AccumulateGrad, g: Tensor | null, createGraph: boolean): void {
  const t = node.variable.deref();
  if (!t || !g || t.isDisposed) return;
  for (const h of t._hooks) {
    const r = h(g);
    if (r) g = r;
  }
  const prev = t.grad;
  let next: Tensor;
  if (prev) next = prev._accumulate(g);
  else if (createGraph) next = g;
  else {
    // Steal the gradient when nothing else holds its storage; otherwise copy it, so that an
    // in-place change to one .grad never shows up in another.
    const sole = g.storage.refs === 1 && g._isDense() && !g.requiresGrad;
    next = sole ? g._detachAlias() : g.detach().clone();
  }
  t.grad = keep(next);
  prev?.dispose();
}

/** Compute gradients of `tensors` (scalars, or with `gradTensors`) and accumulate them into leaves' .grad. */
export function backward(tensors: Tensor | Tensor[], gradTensors?: Tensor | (Tensor | null)[] | null, opts: BackwardOptions = {}): void {
  const outs = Array.isArray(tensors) ? tensors : [tensors];
  const gs = gradTensors == null ? undefined : Array.isArray(gradTensors) ? gradTensors : [gradTensors];
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const onlyLeaves = opts.inputs ? new Set(opts.inputs.map((t) => t._gradEdge()!.node as AccumulateGrad)) : undefined;
  tidy(() =>
    withGradMode(createGraph, () => {
      const roots = rootGrads('backward', outs, gs);
      execute(outs, roots, { retainGraph, createGraph, accumulate: true, onlyLeaves });
    }),
  );
}

/** torch.autograd.grad: gradients of outputs with respect to inputs, returned (not accumulated). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], gradOutputs?: Tensor | (Tensor | null)[] | null, opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gs = gradOutputs == null ? undefined : Array.isArray(gradOutputs) ? gradOutputs : [gradOutputs];
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const capture = new Map<Node, Map<number, Tensor | null>>();
  const edges = ins.map((t, i) => {
    const e = t._gradEdge();
    if (!e) throw new Error(`grad: input ${i} does not require grad`);
    let m = capture.get(e.node);
    if (!m) { m = new Map(); capture.set(e.node, m); }
    m.set(e.inputNr, null);
    return e;
  });
  return tidy(() =>
    withGradMode(createGraph, () => {
      const roots = rootGrads('grad', outs, gs);
      execute(outs, roots, { retainGraph, createGraph, accumulate: false }, capture);
      return edges.map((e, i) => {
        const g = capture.get(e.node)!.get(e.inputNr) ?? null;
        if (!g && !opts.allowUnused) {
          throw new Error(`grad: one of the differentiated tensors (input ${i}) appears to not have been used in the graph; pass { allowUnused: true }`);
        }
        return g ? keep(createGraph ? g : g.detach()) : null;
      });
    }),
  );
}

declare module '../tensor.js' {
  interface Tensor {
    /** Accumulate d(this)/d(leaf) into every leaf's .grad; `gradient` is required for non-scalars. */
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
  }
}

Tensor.prototype.backward = function (this: Tensor, gradient?: Tensor | null, opts?: BackwardOptions): void {
  backward(this, gradient ?? undefined, opts);
};
