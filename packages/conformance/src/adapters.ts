/**
 * The adapter table: each fixture `op` (torch.X / torch.nn.functional.X / Tensor.X) mapped to the
 * core call, converting PyTorch positional args and snake_case kwargs to Tensile's signatures
 * (required params positional, keyword-style params in a trailing camelCase options object).
 *
 * Core functions are looked up by name at call time, so an op that core does not export yet fails
 * its cases with "not implemented in core: <name>" instead of breaking the whole suite.
 *
 * On a device without synchronous reads (WebGPU, CUDA), ops whose output shape depends on tensor
 * values run through the async variants a user of such a device calls (ASYNC_READ_ADAPTERS).
 */
import * as core from '@tensile/core';
import { Tensor } from '@tensile/core';

/** Decoded call arguments: tensors are core tensors, `null` is PyTorch's None. */
export type Args = unknown[];
export type Kwargs = Record<string, unknown>;
/** An adapter returns what the op returns: a tensor, or a list of tensors (or a promise of it, for async variants). */
export type Adapter = (args: Args, kwargs: Kwargs) => unknown;

/** Thrown when core has no function/method for an op yet. */
export class NotImplementedInCore extends Error {
  constructor(readonly fnName: string) {
    super(`not implemented in core: ${fnName}`);
    this.name = 'NotImplementedInCore';
  }
}

type AnyFn = (...a: unknown[]) => unknown;

/** The core export `name`, or a NotImplementedInCore error. */
export function coreFn(name: string): AnyFn {
  const f = (core as unknown as Record<string, unknown>)[name];
  if (typeof f !== 'function') throw new NotImplementedInCore(name);
  return f as AnyFn;
}

/** Call method `name` of a tensor (Tensor.X ops), or throw NotImplementedInCore. */
export function callMethod(self: unknown, name: string, ...rest: unknown[]): unknown {
  if (!(self instanceof Tensor)) throw new TypeError(`Tensor.${name}: args[0] (self) is not a tensor`);
  const m = (self as unknown as Record<string, unknown>)[name];
  if (typeof m !== 'function') throw new NotImplementedInCore(`Tensor.prototype.${name}`);
  return (m as AnyFn).apply(self, rest);
}

/** snake_case -> camelCase ("ignore_index" -> "ignoreIndex"). */
export function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** kwargs as a camelCase options object; None (null) values are dropped (= default). */
export function opts(kw: Kwargs, only?: readonly string[], rename: Record<string, string> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kw)) {
    if (only && !only.includes(k)) continue;
    if (v === null || v === undefined) continue;
    out[rename[k] ?? camel(k)] = v;
  }
  return out;
}

/** None -> undefined, so a JS default parameter applies. */
const u = (v: unknown): unknown => (v === null ? undefined : v);
/** Positional arg i, else kwarg `name`, else undefined. */
const arg = (a: Args, kw: Kwargs, i: number, name: string): unknown => (a.length > i ? u(a[i]) : u(kw[name]));

// ---- adapter builders ----

/** fn(args...) with positional args only (kwargs ignored). */
const pos = (name: string): Adapter => (a) => coreFn(name)(...a.map(u));
/** fn(positional..., options) with the given kwargs in a camelCase options object. */
const withOpts = (name: string, nPos: number, keys?: readonly string[]): Adapter => (a, kw) =>
  coreFn(name)(...a.slice(0, nPos).map(u), opts(kw, keys));
/** fn(x, dim?, keepdim?) reductions. */
const reduce = (name: string): Adapter => (a, kw) => coreFn(name)(a[0], arg(a, kw, 1, 'dim'), arg(a, kw, 2, 'keepdim') ?? false);
/** Elementwise binary with optional alpha (add/sub). */
const alphaOp = (name: string): Adapter => (a, kw) => coreFn(name)(a[0], a[1], opts(kw, ['alpha']));
/** fn(input, target, options) losses. */
const loss = (name: string, keys: readonly string[]): Adapter => (a, kw) => coreFn(name)(a[0], a[1], opts(kw, keys));

/** torch.max / torch.min: no dim -> scalar; with dim -> [values, indices]; with a tensor -> elementwise. */
const extreme = (name: 'max' | 'min'): Adapter => (a, kw) => {
  const dim = arg(a, kw, 1, 'dim');
  if (dim === undefined) return coreFn(name)(a[0]);
  if (dim instanceof Tensor) return coreFn(name)(a[0], dim);
  return coreFn(name)(a[0], dim, arg(a, kw, 2, 'keepdim') ?? false);
};

/** var/std: torch.var(x, dim=None, unbiased=True, keepdim=False) -> variance(x, dim, {unbiased|correction}, keepdim). */
const varLike = (name: string): Adapter => (a, kw) => {
  const dim = arg(a, kw, 1, 'dim');
  const o: Record<string, unknown> = {};
  const unbiased = arg(a, kw, 2, 'unbiased');
  if (typeof unbiased === 'boolean') o.unbiased = unbiased;
  if (kw.correction !== undefined && kw.correction !== null) o.correction = kw.correction;
  return coreFn(name)(a[0], dim, o, arg(a, kw, 3, 'keepdim') ?? false);
};

/** A fixture index item ({"slice": [..]}, "...", null, int, tensor) as core's IndexItem. */
export function toIndexItem(it: unknown): unknown {
  if (it !== null && typeof it === 'object' && !(it instanceof Tensor) && 'slice' in (it as object)) {
    const [start = null, stop = null, step = null] = (it as { slice: (number | null)[] }).slice;
    return { start, stop, step };
  }
  return it;
}

const F = 'torch.nn.functional.';

/** Fixture op name -> adapter. */
export const ADAPTERS: Record<string, Adapter> = {
  // ---- elementwise ----
  'torch.add': alphaOp('add'),
  'torch.sub': alphaOp('sub'),
  'torch.mul': pos('mul'),
  'torch.div': (a, kw) => coreFn('div')(a[0], a[1], opts(kw, ['rounding_mode'])),
  'torch.pow': pos('pow'),
  'torch.maximum': pos('maximum'),
  'torch.minimum': pos('minimum'),
  'torch.neg': pos('neg'),
  'torch.exp': pos('exp'),
  'torch.log': pos('log'),
  'torch.sqrt': pos('sqrt'),
  'torch.rsqrt': pos('rsqrt'),
  'torch.abs': pos('abs'),
  'torch.sin': pos('sin'),
  'torch.cos': pos('cos'),
  'torch.tanh': pos('tanh'),
  'torch.sigmoid': pos('sigmoid'),
  'torch.erf': pos('erf'),
  'torch.sign': pos('sign'),
  'torch.floor': pos('floor'),
  'torch.eq': pos('eq'),
  'torch.ne': pos('ne'),
  'torch.lt': pos('lt'),
  'torch.le': pos('le'),
  'torch.gt': pos('gt'),
  'torch.ge': pos('ge'),
  'torch.where': pos('where'),
  'torch.clamp': (a, kw) => coreFn('clamp')(a[0], arg(a, kw, 1, 'min') ?? null, arg(a, kw, 2, 'max') ?? null),
  'torch.logical_and': pos('logicalAnd'),
  'torch.logical_or': pos('logicalOr'),
  'torch.logical_not': pos('logicalNot'),
  [`${F}relu`]: (a) => coreFn('relu')(a[0]),
  [`${F}silu`]: (a) => coreFn('silu')(a[0]),
  [`${F}gelu`]: withOpts('gelu', 1, ['approximate']),
  [`${F}softplus`]: withOpts('softplus', 1, ['beta', 'threshold']),
  [`${F}leaky_relu`]: (a, kw) => coreFn('leakyRelu')(a[0], arg(a, kw, 1, 'negative_slope')),
  [`${F}elu`]: (a, kw) => coreFn('elu')(a[0], arg(a, kw, 1, 'alpha')),

  // ---- reductions and statistics ----
  'torch.sum': reduce('sum'),
  'torch.mean': reduce('mean'),
  'torch.prod': reduce('prod'),
  'torch.amax': reduce('amax'),
  'torch.amin': reduce('amin'),
  'torch.argmax': reduce('argmax'),
  'torch.argmin': reduce('argmin'),
  'torch.max': extreme('max'),
  'torch.min': extreme('min'),
  'torch.var': varLike('variance'),
  'torch.std': varLike('std'),
  'torch.logsumexp': reduce('logsumexp'),
  // torch.norm(input, p='fro', dim=None, keepdim=False)
  'torch.norm': (a, kw) => coreFn('norm')(a[0], arg(a, kw, 1, 'p') ?? 'fro', arg(a, kw, 2, 'dim'), arg(a, kw, 3, 'keepdim') ?? false),
  'torch.cumsum': (a, kw) => coreFn('cumsum')(a[0], arg(a, kw, 1, 'dim')),

  // ---- shape ----
  'Tensor.reshape': (a) => callMethod(a[0], 'reshape', ...a.slice(1)),
  'Tensor.view': (a) => callMethod(a[0], 'view', ...a.slice(1)),
  'torch.flatten': (a, kw) => coreFn('flatten')(a[0], arg(a, kw, 1, 'start_dim') ?? 0, arg(a, kw, 2, 'end_dim') ?? -1),
  'Tensor.permute': (a) => callMethod(a[0], 'permute', ...a.slice(1)),
  'Tensor.transpose': (a) => callMethod(a[0], 'transpose', a[1], a[2]),
  'Tensor.unsqueeze': (a) => callMethod(a[0], 'unsqueeze', a[1]),
  'Tensor.squeeze': (a) => callMethod(a[0], 'squeeze', ...a.slice(1).map(u)),
  'Tensor.expand': (a) => callMethod(a[0], 'expand', ...a.slice(1)),
  'Tensor.repeat': (a) => callMethod(a[0], 'repeat', ...a.slice(1)),
  'Tensor.contiguous': (a) => callMethod(a[0], 'contiguous'),
  'torch.cat': (a, kw) => coreFn('cat')(a[0], arg(a, kw, 1, 'dim') ?? 0),
  'torch.stack': (a, kw) => coreFn('stack')(a[0], arg(a, kw, 1, 'dim') ?? 0),
  'torch.split': (a, kw) => coreFn('split')(a[0], a[1], arg(a, kw, 2, 'dim') ?? 0),
  'torch.chunk': (a, kw) => coreFn('chunk')(a[0], a[1], arg(a, kw, 2, 'dim') ?? 0),
  'torch.flip': (a, kw) => coreFn('flip')(a[0], arg(a, kw, 1, 'dims')),
  'torch.narrow': pos('narrow'),
  'Tensor.narrow': (a) => callMethod(a[0], 'narrow', a[1], a[2], a[3]),
  'Tensor.__getitem__': (a) => coreFn('index')(a[0], (a[1] as unknown[]).map(toIndexItem)),

  // ---- indexing ----
  'torch.gather': pos('gather'),
  'torch.scatter_add': pos('scatterAdd'),
  'torch.index_select': pos('indexSelect'),
  'Tensor.masked_fill': (a) => callMethod(a[0], 'maskedFill', a[1], a[2]),
  [`${F}embedding`]: (a, kw) => coreFn('embedding')(a[0], a[1], opts(kw, ['padding_idx'])),
  [`${F}one_hot`]: (a, kw) => coreFn('oneHot')(a[0], arg(a, kw, 1, 'num_classes') ?? -1),

  // ---- linear algebra ----
  'torch.matmul': pos('matmul'),
  'torch.mm': pos('mm'),
  'torch.bmm': pos('bmm'),
  'torch.einsum': (a) => coreFn('einsum')(a[0], ...a.slice(1)),
  'torch.outer': pos('outer'),
  'torch.tril': (a, kw) => coreFn('tril')(a[0], arg(a, kw, 1, 'diagonal') ?? 0),
  'torch.triu': (a, kw) => coreFn('triu')(a[0], arg(a, kw, 1, 'diagonal') ?? 0),

  // ---- losses ----
  [`${F}cross_entropy`]: loss('crossEntropy', ['weight', 'ignore_index', 'reduction', 'label_smoothing']),
  [`${F}nll_loss`]: loss('nllLoss', ['weight', 'ignore_index', 'reduction']),
  [`${F}mse_loss`]: loss('mseLoss', ['reduction']),
  [`${F}l1_loss`]: loss('l1Loss', ['reduction']),
  [`${F}smooth_l1_loss`]: loss('smoothL1Loss', ['reduction', 'beta']),
  [`${F}binary_cross_entropy`]: loss('binaryCrossEntropy', ['weight', 'reduction']),
  [`${F}binary_cross_entropy_with_logits`]: loss('binaryCrossEntropyWithLogits', ['weight', 'pos_weight', 'reduction']),
  [`${F}kl_div`]: loss('klDiv', ['reduction', 'log_target']),
  [`${F}cosine_similarity`]: (a, kw) => coreFn('cosineSimilarity')(a[0], a[1], opts(kw, ['dim', 'eps'])),

  // ---- nn.functional ----
  [`${F}softmax`]: (a, kw) => coreFn('softmax')(a[0], arg(a, kw, 1, 'dim')),
  [`${F}log_softmax`]: (a, kw) => coreFn('logSoftmax')(a[0], arg(a, kw, 1, 'dim')),
  // layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5)
  [`${F}layer_norm`]: (a, kw) => coreFn('layerNorm')(a[0], a[1], arg(a, kw, 2, 'weight') ?? null, arg(a, kw, 3, 'bias') ?? null, arg(a, kw, 4, 'eps')),
  // batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5)
  [`${F}batch_norm`]: (a, kw) =>
    coreFn('batchNorm')(
      a[0], u(a[1]) ?? null, u(a[2]) ?? null,
      arg(a, kw, 3, 'weight') ?? null, arg(a, kw, 4, 'bias') ?? null,
      arg(a, kw, 5, 'training') ?? false, arg(a, kw, 6, 'momentum'), arg(a, kw, 7, 'eps'),
    ),
  // group_norm(input, num_groups, weight=None, bias=None, eps=1e-5)
  [`${F}group_norm`]: (a, kw) => coreFn('groupNorm')(a[0], a[1], arg(a, kw, 2, 'weight') ?? null, arg(a, kw, 3, 'bias') ?? null, arg(a, kw, 4, 'eps')),
  // dropout(input, p=0.5, training=True)
  [`${F}dropout`]: (a, kw) => coreFn('dropout')(a[0], arg(a, kw, 1, 'p'), arg(a, kw, 2, 'training')),
  [`${F}linear`]: (a, kw) => coreFn('linear')(a[0], a[1], arg(a, kw, 2, 'bias') ?? null),
  [`${F}conv1d`]: (a, kw) => coreFn('conv1d')(a[0], a[1], arg(a, kw, 2, 'bias') ?? null, opts(kw, ['stride', 'padding', 'dilation', 'groups'])),
  [`${F}conv2d`]: (a, kw) => coreFn('conv2d')(a[0], a[1], arg(a, kw, 2, 'bias') ?? null, opts(kw, ['stride', 'padding', 'dilation', 'groups'])),
  [`${F}conv_transpose2d`]: (a, kw) =>
    coreFn('convTranspose2d')(a[0], a[1], arg(a, kw, 2, 'bias') ?? null, opts(kw, ['stride', 'padding', 'output_padding', 'groups', 'dilation'])),
  [`${F}max_pool2d`]: (a, kw) => coreFn('maxPool2d')(a[0], arg(a, kw, 1, 'kernel_size'), opts(kw, ['stride', 'padding', 'dilation', 'ceil_mode'])),
  [`${F}avg_pool2d`]: (a, kw) => coreFn('avgPool2d')(a[0], arg(a, kw, 1, 'kernel_size'), opts(kw, ['stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'])),
  [`${F}adaptive_avg_pool2d`]: (a, kw) => coreFn('adaptiveAvgPool2d')(a[0], arg(a, kw, 1, 'output_size')),
  [`${F}pad`]: (a, kw) => coreFn('pad')(a[0], a[1], opts(kw, ['mode', 'value'])),
  [`${F}interpolate`]: (a, kw) => coreFn('interpolate')(a[0], opts(kw, ['size', 'scale_factor', 'mode', 'align_corners'])),
  [`${F}scaled_dot_product_attention`]: (a, kw) =>
    coreFn('scaledDotProductAttention')(a[0], a[1], a[2], opts(kw, ['attn_mask', 'dropout_p', 'is_causal', 'scale'])),
};

/**
 * Fixture op name -> adapter returning a promise, used instead of ADAPTERS on devices without
 * synchronous reads: the ops whose output shape depends on values, through their async variants.
 */
export const ASYNC_READ_ADAPTERS: Record<string, Adapter> = {
  // bool masks are read with await (any index tuple works: without masks this is index)
  'Tensor.__getitem__': async (a) => coreFn('indexAsync')(a[0], (a[1] as unknown[]).map(toIndexItem)),
  // num_classes=-1 reads the class count with await
  [`${F}one_hot`]: async (a, kw) => coreFn('oneHotAsync')(a[0], arg(a, kw, 1, 'num_classes') ?? -1),
};

/**
 * The adapter for a fixture op; unknown ops get one that fails with a clear message. With
 * `syncRead: false` (the device has no synchronous reads) an op in ASYNC_READ_ADAPTERS gets that
 * adapter, which returns a promise.
 */
export function adapterFor(op: string, opts: { syncRead?: boolean } = {}): Adapter {
  const a = (opts.syncRead === false ? ASYNC_READ_ADAPTERS[op] : undefined) ?? ADAPTERS[op];
  if (a) return a;
  return () => {
    throw new Error(`no conformance adapter for op ${op}: add one to packages/conformance/src/adapters.ts`);
  };
}
