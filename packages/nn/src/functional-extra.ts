/** Functional ops PyTorch has in torch.nn.functional that core does not define (composed from core ops). */
import { chunk, clamp, elu, matmul, maximum, minimum, sigmoid, smoothL1Loss, softmax, tanh, tidy, where, type Reduction, type Tensor } from '@tensile/core';

/** torch.nn.functional.bilinear: y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]. */
export function bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = 'bilinear';
  if (weight.ndim !== 3) throw new RangeError(`${op}: expected weight to be 3-D [out, in1, in2], got shape [${weight.shape.join(', ')}]`);
  const [o, i1, i2] = weight.shape as [number, number, number];
  if (x1.ndim < 1 || x1.shape[x1.ndim - 1] !== i1 || x2.ndim < 1 || x2.shape[x2.ndim - 1] !== i2) {
    throw new RangeError(`${op}: input1 [${x1.shape.join(', ')}] and input2 [${x2.shape.join(', ')}] do not match weight [${weight.shape.join(', ')}] (expected [*, ${i1}] and [*, ${i2}])`);
  }
  const lead = x1.shape.slice(0, -1);
  if (x2.ndim !== x1.ndim || x2.shape.slice(0, -1).some((d, k) => d !== lead[k])) {
    throw new RangeError(`${op}: input1 [${x1.shape.join(', ')}] and input2 [${x2.shape.join(', ')}] must have the same leading dims`);
  }
  return tidy(() => {
    const a = x1.reshape([-1, i1]);
    const b = x2.reshape([-1, i2]);
    // tmp[n, o, j] = sum_i a[n, i] W[o, i, j]
    const w = weight.permute([1, 0, 2]).reshape([i1, o * i2]);
    const tmp = matmul(a, w).reshape([-1, o, i2]);
    let y = matmul(tmp, b.unsqueeze(2)).squeeze(2);
    if (bias) y = y.add(bias);
    return y.reshape([...lead, o]);
  });
}

/** torch.nn.functional.selu: scale * elu(x, alpha) with the self-normalising constants. */
export function selu(x: Tensor): Tensor {
  return tidy(() => elu(x, 1.6732632423543772).mul(1.0507009873554805));
}
/** torch.nn.functional.celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)). */
export function celu(x: Tensor, alpha = 1): Tensor {
  return tidy(() => where(x.gt(0), x, minimum(x, 0).div(alpha).expm1().mul(alpha)));
}
/** torch.nn.functional.hardsigmoid: relu6(x + 3) / 6. */
export function hardsigmoid(x: Tensor): Tensor {
  return tidy(() => clamp(x.add(3), 0, 6).div(6));
}
/** torch.nn.functional.hardswish: x * relu6(x + 3) / 6. */
export function hardswish(x: Tensor): Tensor {
  return tidy(() => x.mul(hardsigmoid(x)));
}
/** torch.nn.functional.softsign: x / (1 + |x|). */
export function softsign(x: Tensor): Tensor {
  return tidy(() => x.div(x.abs().add(1)));
}
/** torch.nn.functional.tanhshrink: x - tanh(x). */
export function tanhshrink(x: Tensor): Tensor {
  return tidy(() => x.sub(tanh(x)));
}
/** torch.nn.functional.softmin: softmax(-x, dim). */
export function softmin(x: Tensor, dim: number): Tensor {
  return tidy(() => softmax(x.neg(), dim));
}
/** torch.nn.functional.glu: a * sigmoid(b) where a, b are the halves of x along dim (default -1). */
export function glu(x: Tensor, dim = -1): Tensor {
  const d = dim < 0 ? dim + x.ndim : dim;
  const size = x.shape[d];
  if (size === undefined || size % 2 !== 0) throw new RangeError(`glu: halving dimension must be even, but dimension ${dim} of input [${x.shape.join(', ')}] is size ${size}`);
  return tidy(() => {
    const [a, b] = chunk(x, 2, d) as [Tensor, Tensor];
    return a.mul(sigmoid(b));
  });
}
/** torch.nn.functional.prelu: max(0, x) + weight * min(0, x); weight has 1 or C (dim 1) entries. */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  return tidy(() => {
    let w = weight;
    if (weight.numel !== 1) {
      if (x.ndim < 2 || x.shape[1] !== weight.numel) {
        throw new RangeError(`prelu: weight of ${weight.numel} elements does not match the channel dim of input [${x.shape.join(', ')}]`);
      }
      w = weight.reshape([weight.numel, ...Array<number>(x.ndim - 2).fill(1)]);
    } else if (weight.ndim !== 0) w = weight.reshape([]);
    return maximum(x, 0).add(minimum(x, 0).mul(w));
  });
}
/** torch.nn.functional.threshold: x where x > threshold, else value. */
export function threshold(x: Tensor, thresholdValue: number, value: number): Tensor {
  return tidy(() => where(x.gt(thresholdValue), x, value));
}

/** torch.nn.functional.huber_loss: delta * smooth_l1_loss(beta = delta). */
export function huberLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; delta?: number } = {}): Tensor {
  const delta = opts.delta ?? 1;
  return tidy(() => smoothL1Loss(input, target, { reduction: opts.reduction, beta: delta }).mul(delta));
}
