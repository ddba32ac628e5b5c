/** A fitted logistic regression: p = sigmoid(weights · x + bias). */
export interface Logistic {
  weights: number[];
  bias: number;
}

export interface FitOptions {
  /** L2 penalty on the weights (not the bias), per row. */
  l2?: number;
  iterations?: number;
  /**
   * Weigh each class to half the total, so the fit is the one it would be on a 50/50 mix: p is
   * then the likelihood ratio read at even prior odds, not at the fitting data's class mix.
   */
  balanceClasses?: boolean;
}

/**
 * Fits a logistic regression by Newton's method with a small L2 penalty on the weights. Few
 * features, a few thousand rows: Newton converges in ~10 steps.
 */
export function fitLogistic(x: number[][], y: number[], options: FitOptions = {}): Logistic {
  const { l2 = 1e-3, iterations = 50, balanceClasses = false } = options;
  const d = x[0]?.length ?? 0;
  if (x.length === 0 || x.length !== y.length)
    throw new RangeError("fitLogistic needs as many labels as rows");
  const positives = y.filter((v) => v === 1).length;
  if (balanceClasses && (positives === 0 || positives === y.length))
    throw new RangeError("balanceClasses needs rows of both classes");
  const weights = y.map((label) =>
    balanceClasses ? y.length / (2 * (label === 1 ? positives : y.length - positives)) : 1,
  );
  // θ = [w_1 … w_d, b]
  let theta = new Array<number>(d + 1).fill(0);
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(d + 1).fill(0);
    const hess = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    x.forEach((row, i) => {
      const z = row.reduce((s, v, j) => s + v * theta[j]!, theta[d]!);
      const p = 1 / (1 + Math.exp(-z));
      const weight = weights[i]!;
      const r = weight * (p - y[i]!);
      const w = weight * p * (1 - p);
      const features = [...row, 1];
      for (let j = 0; j <= d; j++) {
        grad[j]! += r * features[j]!;
        for (let k = 0; k <= d; k++) hess[j]![k]! += w * features[j]! * features[k]!;
      }
    });
    for (let j = 0; j < d; j++) {
      grad[j]! += l2 * x.length * theta[j]!;
      hess[j]![j]! += l2 * x.length;
    }
    const step = solve(hess, grad);
    theta = theta.map((t, j) => t - step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  return { weights: theta.slice(0, d), bias: theta[d]! };
}

/** p for one row. */
export function predict(model: Logistic, row: number[]): number {
  return 1 / (1 + Math.exp(-row.reduce((s, v, j) => s + v * model.weights[j]!, model.bias)));
}

// Gaussian elimination with partial pivoting: the Newton step H⁻¹g.
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-12) throw new RangeError("singular Hessian: features are collinear");
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / p;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}
