/** Closed-form least squares in float64 plain JS: the reference the trained model is compared with. */

/**
 * Solve min ||A w - y||^2 for A [n, p] (rows) through the normal equations (A^T A) w = A^T y,
 * factored by Cholesky (A^T A = L L^T). Throws when A^T A is not positive definite.
 */
export function leastSquares(A: readonly (readonly number[])[], y: readonly number[]): number[] {
  const n = A.length, p = A[0]?.length ?? 0;
  if (n !== y.length) throw new RangeError(`leastSquares: A has ${n} rows but y has ${y.length}`);
  const G = Array.from({ length: p }, () => new Float64Array(p));
  const b = new Float64Array(p);
  for (let r = 0; r < n; r++) {
    const row = A[r]!;
    for (let i = 0; i < p; i++) {
      b[i]! += row[i]! * y[r]!;
      for (let j = 0; j <= i; j++) G[i]![j]! += row[i]! * row[j]!;
    }
  }
  // Cholesky: G = L L^T (lower triangle in place)
  const L = Array.from({ length: p }, () => new Float64Array(p));
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = G[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error('leastSquares: A^T A is not positive definite (collinear columns?)');
        L[i]![i] = Math.sqrt(s);
      } else {
        L[i]![j] = s / L[j]![j]!;
      }
    }
  }
  // L z = b, then L^T w = z
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i]![k]! * z[k]!;
    z[i] = s / L[i]![i]!;
  }
  const w = new Array<number>(p).fill(0);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < p; k++) s -= L[k]![i]! * w[k]!;
    w[i] = s / L[i]![i]!;
  }
  return w;
}

/** Root mean squared error of predictions against targets. */
export function rmse(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i]! - y[i]!) ** 2;
  return Math.sqrt(s / y.length);
}
