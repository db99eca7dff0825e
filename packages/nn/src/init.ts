/**
 * torch.nn.init: in-place initialisers. Every draw comes from core's seeded Philox generator
 * (`manualSeed`), or from `opts.generator`, so the same seed gives the same weights on every
 * backend. Each function writes into the tensor in place under noGrad and returns it.
 */
import { erf, noGrad, rand, randn, tensor, tidy, where, type Generator, type Tensor } from '@tensile/core';

export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'leakyRelu' | 'selu';

export type FanMode = 'fan_in' | 'fan_out' | 'fanIn' | 'fanOut';

export interface InitOptions {
  /** Draw from this generator instead of the default one. */
  generator?: Generator;
}

export interface KaimingOptions extends InitOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only). Default 0. */
  a?: number;
  /** 'fan_in' (default) keeps the forward variance, 'fan_out' the backward one. */
  mode?: FanMode;
  /** Default 'leaky_relu' (PyTorch's default). */
  nonlinearity?: Nonlinearity;
}

/** torch.nn.init.calculate_gain: the recommended gain for a nonlinearity. */
export function calculateGain(nonlinearity: Nonlinearity | string, param?: number | null): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d':
    case 'convTranspose1d': case 'convTranspose2d': case 'convTranspose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': case 'leakyRelu': {
      let slope = 0.01;
      if (param !== undefined && param !== null) {
        if (typeof param !== 'number' || !Number.isFinite(param)) throw new TypeError(`calculateGain: negative_slope ${String(param)} is not a valid number`);
        slope = param;
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new RangeError(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** [fanIn, fanOut] of a weight: dim 1 and dim 0 times the receptive field (torch's _calculate_fan_in_and_fan_out). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) {
    throw new RangeError(`init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (got shape [${t.shape.join(', ')}])`);
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function fanOf(t: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode === 'fan_in' || mode === 'fanIn') return fanIn;
  if (mode === 'fan_out' || mode === 'fanOut') return fanOut;
  throw new RangeError(`init: mode ${JSON.stringify(mode)} not supported, please use one of fan_in, fan_out`);
}

function checkFloat(op: string, t: Tensor): void {
  if (!t.dtype.startsWith('float') && t.dtype !== 'bfloat16') throw new TypeError(`${op}: expected a floating tensor, got ${t.dtype}`);
}

/** Write `make()`'s value into t in place, without recording history, freeing the temporaries. */
function fillFrom(t: Tensor, make: () => Tensor): Tensor {
  noGrad(() => tidy(() => void t.copy_(make())));
  return t;
}

/** torch.nn.init.uniform_: U(a, b). */
export function uniform_(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  checkFloat('uniform_', t);
  if (t.numel === 0) return t;
  return fillFrom(t, () => rand(t.shape, { dtype: t.dtype, device: t.device, generator: opts.generator }).mul(b - a).add(a));
}

/** torch.nn.init.normal_: N(mean, std^2). */
export function normal_(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  checkFloat('normal_', t);
  if (t.numel === 0) return t;
  return fillFrom(t, () => randn(t.shape, { dtype: t.dtype, device: t.device, generator: opts.generator }).mul(std).add(mean));
}

/** torch.nn.init.constant_: fill with `val`. */
export function constant_(t: Tensor, val: number): Tensor {
  noGrad(() => t.fill_(val));
  return t;
}
/** torch.nn.init.zeros_ */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}
/** torch.nn.init.ones_ */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** torch.nn.init.eye_: the identity matrix in a 2-D tensor. */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new RangeError(`eye_: only tensors with 2 dimensions are supported, got shape [${t.shape.join(', ')}]`);
  const [r, c] = t.shape as [number, number];
  const v = new Float64Array(r * c);
  for (let i = 0; i < Math.min(r, c); i++) v[i * c + i] = 1;
  return fillFrom(t, () => tensor(v, { dtype: 'float64', shape: [r, c], device: t.device }).to(t.dtype));
}

/** torch.nn.init.xavier_uniform_ (Glorot): U(-a, a), a = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, opts);
}

/** torch.nn.init.xavier_normal_ (Glorot): N(0, std^2), std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

/** torch.nn.init.kaiming_uniform_ (He): U(-b, b), b = gain * sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  if (t.numel === 0) return t;
  const fan = fanOf(t, opts.mode ?? 'fan_in');
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fan));
  return uniform_(t, -bound, bound, opts);
}

/** torch.nn.init.kaiming_normal_ (He): N(0, std^2), std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  if (t.numel === 0) return t;
  const fan = fanOf(t, opts.mode ?? 'fan_in');
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan), opts);
}

/**
 * torch.nn.init.trunc_normal_: N(mean, std^2) truncated to [a, b], by inverse-CDF sampling as
 * PyTorch (uniform in [cdf(a), cdf(b)], then the normal quantile).
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, opts: InitOptions = {}): Tensor {
  checkFloat('truncNormal_', t);
  if (t.numel === 0) return t;
  const cdf = (x: number) => (1 + erfScalar(x / Math.SQRT2)) / 2;
  const l = cdf((a - mean) / std), u = cdf((b - mean) / std);
  return fillFrom(t, () => {
    // uniform in [2l-1, 2u-1], then erfinv, scale, shift, clamp (as torch)
    const v = rand(t.shape, { dtype: 'float64', device: t.device, generator: opts.generator }).mul(2 * u - 2 * l).add(2 * l - 1);
    const z = erfinv(v).mul(std * Math.SQRT2).add(mean).clamp(a, b);
    return z.to(t.dtype);
  });
}

/**
 * torch.nn.init.orthogonal_: a (semi-)orthogonal matrix from the QR decomposition of a normal
 * matrix (sign-corrected), scaled by gain; dims after the first are flattened. Runs the QR on
 * the host, so the tensor's device must allow synchronous reads.
 */
export function orthogonal_(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  if (t.ndim < 2) throw new RangeError(`orthogonal_: only tensors with 2 or more dimensions are supported, got shape [${t.shape.join(', ')}]`);
  if (t.numel === 0) return t;
  const rows = t.shape[0]!, cols = t.numel / rows;
  const g = randn([rows, cols], { dtype: 'float64', device: t.device, generator: opts.generator });
  const flat = Array.from(g.dataSync() as Float64Array);
  g.dispose();
  // work on A = rows >= cols ? G : G^T, of shape [m, n] with m >= n; columns of Q orthonormal
  const trans = rows < cols;
  const m = trans ? cols : rows, n = trans ? rows : cols;
  const A: number[][] = Array.from({ length: n }, (_, j) => Array.from({ length: m }, (_, i) => (trans ? flat[j * cols + i]! : flat[i * cols + j]!)));
  // modified Gram-Schmidt: Q columns, R diagonal signs
  const Q: number[][] = [];
  for (let j = 0; j < n; j++) {
    const v = [...A[j]!];
    for (const q of Q) {
      const d = q.reduce((s, qi, i) => s + qi * v[i]!, 0);
      for (let i = 0; i < m; i++) v[i]! -= d * q[i]!;
    }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const rjj = A[j]!.reduce((s, x, i) => s + x * v[i]! / (norm || 1), 0);
    const sign = rjj < 0 ? -1 : 1;
    Q.push(v.map((x) => (sign * x) / (norm || 1)));
  }
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (trans ? Q[r]![c]! : Q[c]![r]!);
  return fillFrom(t, () => tensor(out, { dtype: 'float64', shape: [...t.shape], device: t.device }).to(t.dtype));
}

// ---- helpers ----

function erfScalar(x: number): number {
  // erf via the complementary error function with a Chebyshev fit (Numerical Recipes erfc, |err| < 1.2e-7)
  const z = Math.abs(x);
  const tt = 1 / (1 + 0.5 * z);
  const r = tt * Math.exp(-z * z - 1.26551223 + tt * (1.00002368 + tt * (0.37409196 + tt * (0.09678418 + tt * (-0.18628806 +
    tt * (0.27886807 + tt * (-1.13520398 + tt * (1.48851587 + tt * (-0.82215223 + tt * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

/** Elementwise inverse error function from differentiable core ops (Giles' approximation + 2 Newton steps). */
function erfinv(x: Tensor): Tensor {
  return tidy(() => {
    const xc = x.clamp(-1 + 1e-15, 1 - 1e-15);
    const w = xc.mul(xc).neg().add(1).log().neg();
    const poly = (c: number[], v: Tensor) => c.slice(1).reduce((acc, k) => acc.mul(v).add(k), v.mul(0).add(c[0]!));
    const w1 = w.sub(2.5);
    const p1 = poly([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941], w1);
    const w2 = w.clamp(5, null).sqrt().sub(3);
    const p2 = poly([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682], w2);
    let y = where(w.lt(5), p1, p2).mul(xc);
    // Newton refinement: y -= (erf(y) - x) / (2/sqrt(pi) exp(-y^2))
    for (let i = 0; i < 2; i++) {
      const f = erf(y).sub(xc);
      const d = y.mul(y).neg().exp().mul(2 / Math.sqrt(Math.PI));
      y = y.sub(f.div(d));
    }
    return y;
  });
}
