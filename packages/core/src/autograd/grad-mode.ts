/** Global grad mode: ops record graph nodes only when it is on and an input requires grad. */

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Run fn with graph recording off (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Run fn with graph recording on (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** Run fn with grad mode set to `mode` (torch.set_grad_enabled as a scope). */
export function withGradMode<T>(mode: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = mode;
  try {
    const r = fn();
    if (r instanceof Promise) {
      throw new Error('noGrad/enableGrad: the function must be synchronous (grad mode is a synchronous scope)');
    }
    return r;
  } finally {
    enabled = prev;
  }
}
