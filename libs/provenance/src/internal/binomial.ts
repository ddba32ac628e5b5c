/**
 * P(X ≥ k) for X ~ Binomial(n, 1/2): the chance that `k` or more of `n` random bits agree with a
 * fixed pattern. Exact in float64 for the pattern lengths used here (n ≤ 1000).
 */
export function binomialTailHalf(n: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  // Sum C(n, i) / 2^n for i ≥ k, with C built in log space so that n up to 1000 cannot overflow.
  let logC = 0; // log C(n, 0)
  let total = 0;
  const logHalfN = n * Math.log(0.5);
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    if (i >= k) total += Math.exp(logC + logHalfN);
  }
  return Math.min(1, total);
}

const logFactorials: number[] = [0];

function logFactorial(n: number): number {
  for (let i = logFactorials.length; i <= n; i++) logFactorials.push(logFactorials[i - 1]! + Math.log(i));
  return logFactorials[n]!;
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/**
 * P(matches ≥ m) when `ones` decoded 1-bits fall at random among the n positions of a pattern with
 * `patternOnes` ones: the chance of agreeing this well given how lopsided the decoded bits are.
 * A decode that is mostly 1s agrees with a pattern of mostly 1s without carrying it; this null
 * accounts for that, where a fair-coin null does not.
 */
export function permutationMatchTail(n: number, patternOnes: number, ones: number, matches: number): number {
  // matches = 2·X + (n − patternOnes) − ones, with X the decoded ones on pattern-one positions,
  // X ~ Hypergeometric(n, patternOnes, ones).
  const minX = Math.ceil((matches - (n - patternOnes) + ones) / 2);
  const low = Math.max(0, ones - (n - patternOnes));
  const high = Math.min(ones, patternOnes);
  let total = 0;
  const logAll = logChoose(n, ones);
  for (let x = Math.max(minX, low); x <= high; x++)
    total += Math.exp(logChoose(patternOnes, x) + logChoose(n - patternOnes, ones - x) - logAll);
  return Math.min(1, total);
}

/** Numerical Recipes' `erfcc` coefficients, constant term first. */
const ERFC_COEFFICIENTS = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

/**
 * P(Z ≥ x) for a standard normal Z, from Numerical Recipes' `erfcc` (a Chebyshev fit whose
 * fractional error is below 1.2e-7 everywhere, so deep tails keep their relative accuracy).
 */
export function normalUpperTail(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  let poly = 0;
  for (let i = ERFC_COEFFICIENTS.length - 1; i >= 0; i--) poly = poly * t + ERFC_COEFFICIENTS[i]!;
  const erfc = t * Math.exp(-z * z + poly);
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/**
 * P(X₁ + … + Xₙ ≥ k) for independent Bernoulli Xᵢ with the given probabilities (the
 * Poisson-binomial tail), exactly, by dynamic programming over the count: O(n²), n ≤ a few hundred.
 */
export function poissonBinomialTail(probabilities: ArrayLike<number>, k: number): number {
  const n = probabilities.length;
  if (k <= 0) return 1;
  if (k > n) return 0;
  // counts[j]: P(j successes so far), with every count ≥ k pooled into counts[k].
  const counts = new Float64Array(k + 1);
  counts[0] = 1;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    counts[k] = counts[k]! + counts[k - 1]! * p;
    for (let j = k - 1; j >= 1; j--) counts[j] = counts[j]! * (1 - p) + counts[j - 1]! * p;
    counts[0] = counts[0]! * (1 - p);
  }
  return Math.min(1, counts[k]!);
}
