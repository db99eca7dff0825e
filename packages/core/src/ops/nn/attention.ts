/** torch.nn.functional.scaled_dot_product_attention, composed from differentiable ops. */
import { noGrad } from '../../autograd/grad-mode.js';
import { needsGrad, record } from '../../autograd/record.js';
import { isFloating } from '../../dtype.js';
import { broadcastShapes, fmtShape } from '../../shape.js';
import { Tensor, tidy } from '../../tensor.js';
import { cast } from '../copy.js';
import { arange } from '../creation.js';
import { backendOf, empty } from '../dispatch.js';
import { add, mul, sub, where } from '../elementwise.js';
import { matmul } from '../linalg.js';
import { amax, sum, sumToShape } from '../reduction.js';
import { expand, reshape, transpose, unsqueeze } from '../views.js';
import { dropout, softmax } from './normalization.js';

export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to [..., L, S]. bool: true = the query may attend to that key; floating:
   * added to the scores (use -Infinity to mask).
   */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (applied whenever > 0, as PyTorch). */
  dropoutP?: number;
  /** Causal (lower-triangular, top-left aligned) mask; cannot be combined with attnMask. */
  isCausal?: boolean;
  /** Scale of q k^T; defaults to 1/sqrt(E). */
  scale?: number | null;
  /** Grouped-query attention: repeat each key/value head to match the query heads (dim -3). */
  enableGqa?: boolean;
}

/** Repeat heads along dim -3 (repeat_interleave), [..., Hk, S, E] -> [..., Hk * r, S, E]. */
function repeatHeads(t: Tensor, r: number): Tensor {
  if (r === 1) return t;
  const s = t.shape;
  const lead = s.slice(0, -3);
  const [h, len, e] = s.slice(-3) as [number, number, number];
  return reshape(expand(unsqueeze(t, -3), [...lead, h, r, len, e]), [...lead, h * r, len, e]);
}

/**
 * torch.nn.functional.scaled_dot_product_attention: softmax(q k^T * scale + mask) v for
 * q [..., L, E], k [..., S, E], v [..., S, Ev] -> [..., L, Ev]. A query row whose keys are all
 * masked gets zero weights (and a zero output row and zero gradients), as PyTorch >= 2.5's
 * math backend, rather than NaN.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: ScaledDotProductAttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const { attnMask = null, dropoutP = 0, isCausal = false, scale = null, enableGqa = false } = opts;
  const be = backendOf(op, q, k, v, attnMask);
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) {
    throw new RangeError(`${op}: expected query, key and value of at least 2 dims, but got shapes ${fmtShape(q.shape)}, ${fmtShape(k.shape)} and ${fmtShape(v.shape)}`);
  }
  if (!isFloating(q.dtype) || q.dtype !== k.dtype || q.dtype !== v.dtype) {
    throw new TypeError(`${op}: expected query, key and value to have the same floating dtype, but got ${q.dtype}, ${k.dtype} and ${v.dtype}`);
  }
  const e = q.shape[q.ndim - 1]!, l = q.shape[q.ndim - 2]!, s = k.shape[k.ndim - 2]!;
  if (k.shape[k.ndim - 1] !== e) {
    throw new RangeError(`${op}: expected query and key to have the same embedding size, but got query ${fmtShape(q.shape)} and key ${fmtShape(k.shape)}`);
  }
  if (v.shape[v.ndim - 2] !== s) {
    throw new RangeError(`${op}: expected key and value to have the same sequence length, but got key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)}`);
  }
  if (typeof dropoutP !== 'number' || !(dropoutP >= 0 && dropoutP <= 1)) throw new RangeError(`${op}: dropoutP has to be between 0 and 1, but got ${dropoutP}`);
  if (isCausal && attnMask) throw new Error(`${op}: explicit attnMask should not be set when isCausal=true`);
  if (attnMask && attnMask.dtype !== 'bool' && !isFloating(attnMask.dtype)) {
    throw new TypeError(`${op}: expected attnMask dtype to be bool or floating, but got ${attnMask.dtype}`);
  }
  let rep = [1, 1];
  if (enableGqa) {
    if (q.ndim < 3 || k.ndim < 3 || v.ndim < 3) throw new RangeError(`${op}: enableGqa needs query, key and value with a head dim (-3)`);
    const hq = q.shape[q.ndim - 3]!, hk = k.shape[k.ndim - 3]!, hv = v.shape[v.ndim - 3]!;
    if (hq % hk !== 0 || hq % hv !== 0) {
      throw new RangeError(`${op}: with enableGqa the number of query heads (${hq}) must be divisible by the key heads (${hk}) and value heads (${hv})`);
    }
    rep = [hq / hk, hq / hv];
  }
  const sc = scale ?? 1 / Math.sqrt(e);
  const fused = be.overrides?.scaledDotProductAttention;
  const floatOk = q.dtype === 'float32' || q.dtype === 'float64';
  if (fused && be.overrides?.scaledDotProductAttentionBackward && dropoutP === 0 && floatOk && needsGrad(q, k, v) && !attnMask?.requiresGrad) {
    return sdpaFusedTraining(q, k, v, attnMask, isCausal, sc, rep as [number, number]);
  }
  if (fused && dropoutP === 0 && floatOk && !needsGrad(q, k, v, attnMask)) {
    // Inference: the backend's fused forward on views broadcast to one batch shape.
    return tidy(() => {
      const kk = repeatHeads(k, rep[0]!), vv = repeatHeads(v, rep[1]!);
      const ev = vv.shape[vv.ndim - 1]!;
      const lead = (t: Tensor) => t.shape.slice(0, -2);
      const batch = broadcastShapes(op, lead(q), lead(kk), lead(vv), attnMask ? broadcastShapes(op, attnMask.shape, [l, s]).slice(0, -2) : []);
      const out = empty(be, q.dtype, [...batch, l, ev]);
      if (out.numel > 0) {
        const qb = expand(q, [...batch, l, e]), kb = expand(kk, [...batch, s, e]), vb = expand(vv, [...batch, s, ev]);
        const mb = attnMask ? expand(attnMask.dtype === 'bool' ? attnMask : cast(attnMask, q.dtype), [...batch, l, s]) : null;
        fused.call(be.overrides, qb._view(op), kb._view(op), vb._view(op), mb ? mb._view(op) : null, isCausal, sc, out.storage.buf);
      }
      return out;
    });
  }
  return tidy(() => {
    const kk = repeatHeads(k, rep[0]!), vv = repeatHeads(v, rep[1]!);
    let scores = mul(matmul(q, transpose(kk, -2, -1)), sc);
    let mayBeFullyMasked = false;
    if (isCausal) {
      const causal = noGrad(() => arange(s, undefined, 1, { device: q.device }).reshape([1, s]).le(arange(l, undefined, 1, { device: q.device }).reshape([l, 1])));
      scores = where(causal, scores, -Infinity);
      mayBeFullyMasked = s === 0;
    } else if (attnMask) {
      scores = attnMask.dtype === 'bool' ? where(attnMask, scores, -Infinity) : add(scores, cast(attnMask, q.dtype));
      mayBeFullyMasked = true;
    }
    let attn: Tensor;
    if (mayBeFullyMasked && scores.numel > 0) {
      // Rows with every score -inf would give 0/0: softmax a zero row instead and zero the result.
      const dead = noGrad(() => amax(scores, -1, true).eq(-Infinity));
      attn = where(dead, 0, softmax(where(dead, 0, scores), -1));
    } else {
      attn = softmax(scores, -1);
    }
    if (dropoutP > 0) attn = dropout(attn, dropoutP, true);
    return matmul(attn, vv);
  });
}

/**
 * Training path through the backend's fused forward (which keeps each row's log-sum-exp) and
 * fused backward. Operands are broadcast to one batch shape; the node sums the gradients back
 * over broadcast dims and repeated (grouped-query) heads. When the gradient itself must be
 * differentiable (double backward) or the backward override is missing, it uses
 * sdpaGradsComposite instead.
 */
function sdpaFusedTraining(q: Tensor, k: Tensor, v: Tensor, attnMask: Tensor | null, isCausal: boolean, sc: number, rep: [number, number]): Tensor {
  const op = 'scaledDotProductAttention';
  const be = q.storage.backend;
  const l = q.shape[q.ndim - 2]!, e = q.shape[q.ndim - 1]!, s = k.shape[k.ndim - 2]!, ev = v.shape[v.ndim - 1]!;
  const hk = rep[0] > 1 ? k.shape[k.ndim - 3]! : 0, hv = rep[1] > 1 ? v.shape[v.ndim - 3]! : 0;
  const { out, lse, batch, mask } = noGrad(() => tidy(() => {
    const kk = repeatHeads(k, rep[0]), vv = repeatHeads(v, rep[1]);
    const lead = (t: Tensor) => t.shape.slice(0, -2);
    const batch = broadcastShapes(op, lead(q), lead(kk), lead(vv), attnMask ? broadcastShapes(op, attnMask.shape, [l, s]).slice(0, -2) : []);
    const out = empty(be, q.dtype, [...batch, l, ev]);
    const lse = empty(be, q.dtype, [...batch, l]);
    const mask = attnMask ? (attnMask.dtype === 'bool' ? attnMask : cast(attnMask, q.dtype)) : null;
    if (out.numel > 0) {
      const mb = mask ? expand(mask, [...batch, l, s]) : null;
      be.overrides!.scaledDotProductAttention!(expand(q, [...batch, l, e])._view(op), expand(kk, [...batch, s, e])._view(op), expand(vv, [...batch, s, ev])._view(op), mb ? mb._view(op) : null, isCausal, sc, out.storage.buf, lse.storage.buf);
    }
    return { out, lse, batch, mask };
  }));
  // Reduce a gradient at the broadcast shape back to an operand's (heads repeated r times).
  const reduceTo = (g: Tensor, t: Tensor, r: number, h: number): Tensor => {
    let x = g;
    if (r > 1) {
      const sh = g.shape;
      x = sum(reshape(g, [...sh.slice(0, -3), h, r, ...sh.slice(-2)]), -3);
    }
    return sumToShape(x, t.shape);
  };
  const saved = mask ? [q, k, v, lse, mask] : [q, k, v, lse];
  record('ScaledDotProductAttentionBackward', [q, k, v], [out], ([g], sv) => {
    const [qs, ks, vs, ls] = sv as [Tensor, Tensor, Tensor, Tensor];
    const ms = mask ? sv[4]! : null;
    const bo = g!.storage.backend.overrides;
    return tidy(() => {
      const kk = repeatHeads(ks, rep[0]), vv = repeatHeads(vs, rep[1]);
      const qb = expand(qs, [...batch, l, e]), kb = expand(kk, [...batch, s, e]), vb = expand(vv, [...batch, s, ev]);
      const mb = ms ? expand(ms, [...batch, l, s]) : null;
      let dq: Tensor, dk: Tensor, dv: Tensor;
      if (needsGrad(g, qs, ks, vs) || !bo?.scaledDotProductAttentionBackward || g!.dtype !== qs.dtype) {
        [dq, dk, dv] = sdpaGradsComposite(g!, qb, kb, vb, mb, isCausal, sc);
      } else {
        dq = empty(be, q.dtype, [...batch, l, e]);
        dk = empty(be, q.dtype, [...batch, s, e]);
        dv = empty(be, q.dtype, [...batch, s, ev]);
        if (dq.numel + dk.numel + dv.numel > 0) {
          bo.scaledDotProductAttentionBackward(g!._view(op), qb._view(op), kb._view(op), vb._view(op), ls.storage.buf, mb ? mb._view(op) : null, isCausal, sc, dq.storage.buf, dk.storage.buf, dv.storage.buf);
        }
      }
      return [sumToShape(dq, qs.shape), reduceTo(dk, ks, rep[0], hk), reduceTo(dv, vs, rep[1], hv)];
    });
  }, saved);
  lse.dispose();
  if (mask && mask !== attnMask) mask.dispose();
  return out;
}

/**
 * scaledDotProductAttention's gradients from differentiable ops, for q, k, v (and the mask)
 * already at the broadcast batch shape: P = softmax(scores), dv = P^T g, dS = P (g v^T - rowsum),
 * dq = scale dS k, dk = scale dS^T q.
 */
function sdpaGradsComposite(g: Tensor, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, isCausal: boolean, sc: number): [Tensor, Tensor, Tensor] {
  const l = q.shape[q.ndim - 2]!, s = k.shape[k.ndim - 2]!;
  let scores = mul(matmul(q, transpose(k, -2, -1)), sc);
  if (isCausal) {
    const causal = noGrad(() => arange(s, undefined, 1, { device: q.device }).reshape([1, s]).le(arange(l, undefined, 1, { device: q.device }).reshape([l, 1])));
    scores = where(causal, scores, -Infinity);
  } else if (mask) {
    scores = mask.dtype === 'bool' ? where(mask, scores, -Infinity) : add(scores, mask);
  }
  let p: Tensor;
  if ((isCausal || mask) && scores.numel > 0) {
    const dead = noGrad(() => amax(scores, -1, true).eq(-Infinity));
    p = where(dead, 0, softmax(where(dead, 0, scores), -1));
  } else {
    p = softmax(scores, -1);
  }
  const dv = matmul(transpose(p, -2, -1), g);
  const dp = matmul(g, transpose(v, -2, -1));
  const ds = mul(mul(p, sub(dp, sum(mul(p, dp), -1, true))), sc);
  return [matmul(ds, k), matmul(transpose(ds, -2, -1), q), dv];
}
