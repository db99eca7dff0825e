/** Scalar math the JS runtime lacks, accurate to double precision (gradcheck needs it). */

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/** The error function: Taylor series near 0, a continued fraction for erfc in the tails. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (a > 6) return x > 0 ? 1 : -1;
  // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...))))), by Lentz's method
  const tiny = 1e-300;
  let f = a, c = a, d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = a + an * d;
    d = d === 0 ? tiny : 1 / d;
    c = a + an / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}
