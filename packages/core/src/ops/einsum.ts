/**
 * torch.einsum: Einstein summation over any number of operands, contracted left to right.
 * Repeated labels in one operand take diagonals, '...' broadcasts; each pairwise contraction is
 * a permute/reshape to one batched matmul (or a broadcast multiply when nothing is summed).
 * Everything goes through differentiable ops, so gradients (and double backward) are free.
 */
import { fmtShape, numelOf } from '../shape.js';
import { Tensor, tidy } from '../tensor.js';
import { backendOf } from './dispatch.js';
import { matmul } from './linalg.js';
import { sum } from './reduction.js';
import { asStrided, expand, permute, reshape } from './views.js';

/** An operand with one label per dim (labels unique after taking diagonals). */
interface Term {
  t: Tensor;
  labels: string[];
}

const ELL = '\u2026';

function parseTerm(eq: string, s: string, what: string): { labels: string[]; ellipsis: boolean } {
  const labels: string[] = [];
  let ellipsis = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '.') {
      if (s.slice(i, i + 3) !== '...' || ellipsis) {
        throw new SyntaxError(`einsum: invalid ellipsis in ${what} of equation '${eq}' (expected at most one '...')`);
      }
      ellipsis = true;
      labels.push(ELL);
      i += 2;
    } else if (/^[a-zA-Z]$/.test(c)) labels.push(c);
    else throw new SyntaxError(`einsum: invalid subscript '${c}' in equation '${eq}': subscripts must be letters [a-zA-Z]`);
  }
  return { labels, ellipsis };
}

// PyTorch orders implicit output labels with A-Z before a-z.
function labelOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Take the diagonal for each repeated label (a strided view, differentiable through asStrided). */
function diagonalize(op: Tensor, labels: string[], eq: string): Term {
  const seen = new Map<string, number>();
  const shape: number[] = [], strides: number[] = [], out: string[] = [];
  let repeated = false;
  labels.forEach((l, k) => {
    const j = seen.get(l);
    if (j === undefined) {
      seen.set(l, out.length);
      out.push(l);
      shape.push(op.shape[k]!);
      strides.push(op.strides[k]!);
      return;
    }
    repeated = true;
    if (shape[j] !== op.shape[k]) {
      throw new RangeError(`einsum: subscript '${l}' is repeated for operand of shape ${fmtShape(op.shape)} in '${eq}' but the sizes don't match (${shape[j]} != ${op.shape[k]})`);
    }
    strides[j] = strides[j]! + op.strides[k]!;
  });
  if (!repeated) return { t: op, labels: out };
  return { t: asStrided(op, shape, strides, op.offset), labels: out };
}

/** Sum the dims whose labels are not in `keep`. */
function sumOut(term: Term, keep: Set<string>): Term {
  const axes: number[] = [];
  term.labels.forEach((l, i) => { if (!keep.has(l)) axes.push(i); });
  if (axes.length === 0) return term;
  return { t: sum(term.t, axes), labels: term.labels.filter((l) => keep.has(l)) };
}

/** Permute term.t so its labels come in `order` (all of term.labels, any order). */
function arrange(term: Term, order: string[]): Tensor {
  const perm = order.map((l) => term.labels.indexOf(l));
  return perm.every((p, i) => p === i) ? term.t : permute(term.t, perm);
}

/** Contract two terms, keeping the labels in `keep`; shared labels not kept are summed. */
function contract(a: Term, b: Term, keep: Set<string>, sizes: Map<string, number>): Term {
  a = sumOut(a, new Set([...keep, ...b.labels]));
  b = sumOut(b, new Set([...keep, ...a.labels]));
  const inB = new Set(b.labels), inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const left = a.labels.filter((l) => !inB.has(l));
  const right = b.labels.filter((l) => !inA.has(l));
  // size-1 dims broadcast against the other operand's size
  const fit = (term: Term): Tensor => {
    const full = term.labels.map((l) => sizes.get(l)!);
    return full.every((s, i) => s === term.t.shape[i]) ? term.t : expand(term.t, full);
  };
  a = { t: fit(a), labels: a.labels };
  b = { t: fit(b), labels: b.labels };
  const sz = (ls: string[]) => ls.map((l) => sizes.get(l)!);
  const outLabels = [...batch, ...left, ...right];
  if (summed.length === 0) {
    // Nothing to sum: a broadcast multiply.
    const ta = reshape(arrange(a, [...batch, ...left]), [...sz(batch), ...sz(left), ...right.map(() => 1)]);
    const tb = reshape(arrange(b, [...batch, ...right]), [...sz(batch), ...left.map(() => 1), ...sz(right)]);
    return { t: ta.mul(tb), labels: outLabels };
  }
  const B = numelOf(sz(batch)), M = numelOf(sz(left)), K = numelOf(sz(summed)), N = numelOf(sz(right));
  const ta = reshape(arrange(a, [...batch, ...left, ...summed]), [B, M, K]);
  const tb = reshape(arrange(b, [...batch, ...summed, ...right]), [B, K, N]);
  const r = reshape(matmul(ta, tb), [...sz(batch), ...sz(left), ...sz(right)]);
  return { t: r, labels: outLabels };
}

/**
 * torch.einsum(equation, ...operands), e.g. einsum('bij,bjk->bik', a, b). Without '->' the
 * output holds the labels used once, in alphabetical order (after '...'). Operands may also be
 * passed as one array.
 */
export function einsum(equation: string, ...operands: (Tensor | Tensor[])[]): Tensor {
  const ops: Tensor[] = operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : (operands as Tensor[]);
  if (typeof equation !== 'string') throw new TypeError('einsum: the equation must be a string');
  const eq = equation.replace(/\s+/g, '');
  if (ops.length === 0) throw new RangeError('einsum: must provide at least one operand');
  backendOf('einsum', ...ops);
  const arrow = eq.indexOf('->');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',');
  if (terms.length !== ops.length) {
    throw new RangeError(`einsum: ${terms.length} operand subscript(s) in '${equation}' but ${ops.length} operand(s) were given`);
  }
  const dtype = ops[0]!.dtype;
  for (const o of ops) {
    if (o.dtype !== dtype) throw new TypeError(`einsum: expected all operands to have the same dtype, but got ${dtype} and ${o.dtype}`);
  }

  // Parse, then expand '...' into one label per broadcast dim (aligned right, as NumPy).
  const parsed = terms.map((s, i) => parseTerm(eq, s, `operand ${i}`));
  let ellRank = 0;
  parsed.forEach((p, i) => {
    const named = p.labels.length - (p.ellipsis ? 1 : 0);
    const nd = ops[i]!.ndim;
    if (p.ellipsis ? nd < named : nd !== named) {
      throw new RangeError(`einsum: operand ${i} has ${nd} dimension(s) (shape ${fmtShape(ops[i]!.shape)}) but the subscript '${terms[i]}' has ${named}${p.ellipsis ? ' or more (with ...)' : ''}`);
    }
    if (p.ellipsis) ellRank = Math.max(ellRank, nd - named);
  });
  const ellLabels = Array.from({ length: ellRank }, (_, k) => `${ELL}${k}`);
  const expandEll = (labels: string[], count: number): string[] =>
    labels.flatMap((l) => (l === ELL ? ellLabels.slice(ellRank - count) : [l]));
  const opLabels = parsed.map((p, i) => expandEll(p.labels, ops[i]!.ndim - (p.labels.length - (p.ellipsis ? 1 : 0))));

  // Label sizes (size 1 broadcasts).
  const sizes = new Map<string, number>();
  opLabels.forEach((ls, i) => ls.forEach((l, k) => {
    const s = ops[i]!.shape[k]!;
    const prev = sizes.get(l);
    if (prev === undefined || prev === 1) sizes.set(l, s);
    else if (s !== 1 && s !== prev) {
      const name = l.startsWith(ELL) ? '...' : `'${l}'`;
      throw new RangeError(`einsum: operands do not broadcast: subscript ${name} has size ${prev} in one operand and ${s} in operand ${i} (shape ${fmtShape(ops[i]!.shape)})`);
    }
  }));

  // Output labels.
  let outLabels: string[];
  if (arrow >= 0) {
    const p = parseTerm(eq, eq.slice(arrow + 2), 'the output');
    outLabels = p.labels.flatMap((l) => (l === ELL ? ellLabels : [l]));
    const named = p.labels.filter((l) => l !== ELL);
    if (new Set(named).size !== named.length) throw new SyntaxError(`einsum: output subscript in '${equation}' contains a repeated label`);
    for (const l of named) {
      if (!sizes.has(l)) throw new SyntaxError(`einsum: output subscript '${l}' in '${equation}' does not appear in any input`);
    }
  } else {
    const counts = new Map<string, number>();
    for (const ls of opLabels) for (const l of ls) if (!l.startsWith(ELL)) counts.set(l, (counts.get(l) ?? 0) + 1);
    outLabels = [...ellLabels, ...[...counts].filter(([, c]) => c === 1).map(([l]) => l).sort(labelOrder)];
  }

  return tidy(() => {
    let terms2 = ops.map((o, i) => diagonalize(o, opLabels[i]!, equation));
    const outSet = new Set(outLabels);
    // labels still needed after operand i: the output's and those of operands i+1...
    const neededAfter = (i: number): Set<string> => {
      const s = new Set(outSet);
      for (let j = i + 1; j < terms2.length; j++) for (const l of terms2[j]!.labels) s.add(l);
      return s;
    };
    let acc = sumOut(terms2[0]!, neededAfter(0));
    for (let i = 1; i < terms2.length; i++) acc = contract(acc, terms2[i]!, neededAfter(i), sizes);
    terms2 = [];
    // Labels of the output that only reached it through size-1 broadcasting keep their size.
    const full = outLabels.map((l) => sizes.get(l)!);
    const r = arrange(acc, outLabels);
    return full.every((s, i) => s === r.shape[i]) ? r : expand(r, full);
  });
}

declare module '../tensor.js' {
  interface Tensor {
    /** einsum with this tensor as the first operand. */
    einsum(equation: string, ...others: Tensor[]): Tensor;
  }
}
Tensor.prototype.einsum = function (eq: string, ...others: Tensor[]) { return einsum(eq, this, ...others); };
