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
