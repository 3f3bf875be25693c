/**
 * Generalised linear models fitted by iteratively reweighted least squares (IRLS; McCullagh &
 * Nelder, Generalized Linear Models, 2nd ed., 1989, ch. 2): Gaussian (ordinary least squares
 * with R²), Poisson and negative binomial (log link, optional log-exposure offset), and
 * logistic (logit link). The negative-binomial shape θ (variance μ + μ²/θ) is estimated by
 * maximum likelihood alternating with IRLS, as MASS::glm.nb does (Venables & Ripley 2002,
 * §7.4). Small dense problems only (a handful of covariates): columns are plain arrays.
 */

/** A design: named covariate columns (an intercept is added first). */
export interface GlmDesign {
  /** Covariate name → values (one per observation). */
  covariates: Record<string, ArrayLike<number>>;
  /** Outcome per observation. */
  y: ArrayLike<number>;
  /** Log-scale offset per observation (e.g. log follow-up years), Poisson/NB only. */
  offset?: ArrayLike<number>;
}

/** A fitted model. */
export interface GlmFit {
  family: 'gaussian' | 'poisson' | 'negative-binomial' | 'binomial';
  /** Names in coefficient order: '(intercept)' then the covariates. */
  names: string[];
  coefficients: number[];
  standardErrors: number[];
  n: number;
  iterations: number;
  converged: boolean;
  /** Negative-binomial shape θ (variance μ + μ²/θ). */
  theta?: number;
  /** Gaussian only: coefficient of determination and residual SD. */
  r2?: number;
  sigma?: number;
  /** Coefficient by name. */
  coef(name: string): number;
  /** Standard error by name. */
  se(name: string): number;
}

/** Solves the symmetric positive-definite system A x = b by Cholesky; returns x and A⁻¹. */
export function choleskySolve(a: number[][], b: number[]): { x: number[]; inverse: number[][] } {
  const p = b.length;
  const l = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > 1e-12 * Math.max(1, Math.abs(a[i][i])))) throw new RangeError(`singular design: covariate ${i} is constant or collinear`);
        l[i][i] = Math.sqrt(s);
      } else l[i][j] = s / l[j][j];
    }
  }
  const solve = (rhs: number[]) => {
    const z = new Array<number>(p);
    for (let i = 0; i < p; i++) {
      let s = rhs[i];
      for (let k = 0; k < i; k++) s -= l[i][k] * z[k];
      z[i] = s / l[i][i];
    }
    const x = new Array<number>(p);
    for (let i = p - 1; i >= 0; i--) {
      let s = z[i];
      for (let k = i + 1; k < p; k++) s -= l[k][i] * x[k];
      x[i] = s / l[i][i];
    }
    return x;
  };
  const inverse = Array.from({ length: p }, (_, j) => solve(Array.from({ length: p }, (_, i) => (i === j ? 1 : 0))));
  return { x: solve(b), inverse };
}

function designMatrix(d: GlmDesign): { names: string[]; cols: ArrayLike<number>[]; n: number } {
  const names = ['(intercept)', ...Object.keys(d.covariates)];
  const n = d.y.length;
  const ones = new Float64Array(n).fill(1);
  const cols = [ones, ...Object.values(d.covariates)];
  for (const [k, c] of Object.entries(d.covariates)) if (c.length !== n) throw new RangeError(`covariate ${k} has ${c.length} values, outcome has ${n}`);
  if (d.offset && d.offset.length !== n) throw new RangeError(`offset has ${d.offset.length} values, outcome has ${n}`);
  return { names, cols, n };
}

/** One weighted least-squares step: solves (Xᵀ W X) β = Xᵀ W z. */
function wls(cols: ArrayLike<number>[], w: Float64Array, z: Float64Array): { beta: number[]; inverse: number[][] } {
  const p = cols.length;
  const n = w.length;
  const a = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  for (let j = 0; j < p; j++) {
    const cj = cols[j];
    for (let k = 0; k <= j; k++) {
      const ck = cols[k];
      let s = 0;
      for (let i = 0; i < n; i++) s += w[i] * cj[i] * ck[i];
      a[j][k] = s;
      a[k][j] = s;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += w[i] * cj[i] * z[i];
    b[j] = s;
  }
  const { x, inverse } = choleskySolve(a, b);
  return { beta: x, inverse };
}

function makeFit(family: GlmFit['family'], names: string[], beta: number[], inverse: number[][], dispersion: number, n: number, iterations: number, converged: boolean, extra: Partial<GlmFit> = {}): GlmFit {
  const se = names.map((_, j) => Math.sqrt(Math.max(0, inverse[j][j] * dispersion)));
  return {
    family, names, coefficients: beta, standardErrors: se, n, iterations, converged, ...extra,
    coef(name: string) {
      const j = names.indexOf(name);
      if (j < 0) throw new RangeError(`no coefficient ${name}`);
      return beta[j];
    },
    se(name: string) {
      const j = names.indexOf(name);
      if (j < 0) throw new RangeError(`no coefficient ${name}`);
      return se[j];
    },
  };
}

/**
 * Ordinary least squares with R² (the Gaussian GLM).
 * @example linearRegression({ covariates: { x: [1, 2, 3] }, y: [2, 4, 6] }).coef('x') // 2
 */
export function linearRegression(d: GlmDesign): GlmFit {
  const { names, cols, n } = designMatrix(d);
  const w = new Float64Array(n).fill(1);
  const z = Float64Array.from(d.y);
  const { beta, inverse } = wls(cols, w, z);
  let rss = 0, tss = 0, mean = 0;
  for (let i = 0; i < n; i++) mean += z[i] / n;
  for (let i = 0; i < n; i++) {
    let fitted = 0;
    for (let j = 0; j < cols.length; j++) fitted += beta[j] * cols[j][i];
    rss += (z[i] - fitted) ** 2;
    tss += (z[i] - mean) ** 2;
  }
  const sigma2 = n > cols.length ? rss / (n - cols.length) : NaN;
  return makeFit('gaussian', names, beta, inverse, sigma2, n, 1, true, { r2: tss > 0 ? 1 - rss / tss : 0, sigma: Math.sqrt(sigma2) });
}

/** IRLS for log-link count models with variance μ + μ²/θ (θ = Infinity: Poisson). */
function irlsLog(cols: ArrayLike<number>[], y: ArrayLike<number>, offset: ArrayLike<number> | undefined, theta: number, start?: number[]): { beta: number[]; inverse: number[][]; iterations: number; converged: boolean; mu: Float64Array } {
  const n = y.length;
  const p = cols.length;
  const w = new Float64Array(n);
  const z = new Float64Array(n);
  const mu = new Float64Array(n);
  let beta = start ?? new Array<number>(p).fill(0);
  if (!start) {
    let sy = 0, so = 0;
    for (let i = 0; i < n; i++) { sy += y[i]; so += Math.exp(offset ? offset[i] : 0); }
    beta[0] = Math.log(Math.max(sy, 0.5) / so);
  }
  let inverse: number[][] = [];
  let converged = false;
  let it = 0;
  for (; it < 50; it++) {
    for (let i = 0; i < n; i++) {
      let eta = offset ? offset[i] : 0;
      for (let j = 0; j < p; j++) eta += beta[j] * cols[j][i];
      const m = Math.exp(Math.min(eta, 50));
      mu[i] = m;
      const varFactor = Number.isFinite(theta) ? 1 + m / theta : 1;
      w[i] = m / varFactor;
      z[i] = eta - (offset ? offset[i] : 0) + (y[i] - m) / Math.max(m, 1e-10);
    }
    const step = wls(cols, w, z);
    inverse = step.inverse;
    const change = step.beta.reduce((s, b, j) => Math.max(s, Math.abs(b - beta[j])), 0);
    beta = step.beta;
    if (change < 1e-8) {
      converged = true;
      it++;
      break;
    }
  }
  for (let i = 0; i < n; i++) {
    let eta = offset ? offset[i] : 0;
    for (let j = 0; j < p; j++) eta += beta[j] * cols[j][i];
    mu[i] = Math.exp(Math.min(eta, 50));
  }
  return { beta, inverse, iterations: it, converged, mu };
}

/**
 * Poisson regression (log link) with an optional log-exposure offset: exp(coefficient) is an
 * incidence-rate ratio.
 * @example poissonRegression({ covariates: { ss: ss01 }, y: acsCount, offset: logYears })
 */
export function poissonRegression(d: GlmDesign): GlmFit {
  const { names, cols, n } = designMatrix(d);
  const r = irlsLog(cols, d.y, d.offset, Infinity);
  return makeFit('poisson', names, r.beta, r.inverse, 1, n, r.iterations, r.converged);
}

/** Digamma ψ(x) (asymptotic series after recurrence to x ≥ 6). */
export function digamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}

/** Trigamma ψ'(x). */
export function trigamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  return r + 1 / x + f / 2 + (f / x) * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f / 30)));
}

/** ML estimate of the NB shape θ given fitted means (Newton on the score, as MASS::theta.ml). */
export function thetaMl(y: ArrayLike<number>, mu: ArrayLike<number>, start?: number): number {
  const n = y.length;
  let t = start ?? (() => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (y[i] / mu[i] - 1) ** 2;
    return n / Math.max(s, 1e-8);
  })();
  for (let it = 0; it < 50; it++) {
    let score = 0, info = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[i], mi = mu[i];
      score += digamma(t + yi) - digamma(t) + Math.log(t) + 1 - Math.log(t + mi) - (yi + t) / (mi + t);
      info += -trigamma(t + yi) + trigamma(t) - 1 / t + 2 / (mi + t) - (yi + t) / (mi + t) ** 2;
    }
    const next = t + score / info;
    const nt = next > 0 && Number.isFinite(next) ? next : t / 2;
    if (Math.abs(nt - t) < 1e-6 * t) return nt;
    t = Math.min(nt, 1e6);
  }
  return t;
}

/**
 * Negative-binomial regression (log link; variance μ + μ²/θ), alternating IRLS and ML for θ.
 * @example negativeBinomialRegression({ covariates: { log2_hbf: x }, y: voc }).theta
 */
export function negativeBinomialRegression(d: GlmDesign): GlmFit {
  const { names, cols, n } = designMatrix(d);
  let r = irlsLog(cols, d.y, d.offset, Infinity);
  let theta = thetaMl(d.y, r.mu);
  let iterations = r.iterations;
  let converged = false;
  for (let outer = 0; outer < 25; outer++) {
    r = irlsLog(cols, d.y, d.offset, theta, r.beta);
    iterations += r.iterations;
    const next = thetaMl(d.y, r.mu, theta);
    if (Math.abs(next - theta) < 1e-5 * theta) {
      theta = next;
      converged = r.converged;
      break;
    }
    theta = next;
  }
  return makeFit('negative-binomial', names, r.beta, r.inverse, 1, n, iterations, converged, { theta });
}

/**
 * Logistic regression (logit link): exp(coefficient) is an odds ratio.
 * @example logisticRegression({ covariates: { ss: ss01, age: age } }, y: sci01 }).coef('ss')
 */
export function logisticRegression(d: GlmDesign): GlmFit {
  const { names, cols, n } = designMatrix(d);
  const p = cols.length;
  let beta = new Array<number>(p).fill(0);
  let ybar = 0;
  for (let i = 0; i < n; i++) ybar += d.y[i] / n;
  beta[0] = Math.log(Math.max(ybar, 1e-6) / Math.max(1 - ybar, 1e-6));
  const w = new Float64Array(n);
  const z = new Float64Array(n);
  let inverse: number[][] = [];
  let converged = false;
  let it = 0;
  for (; it < 50; it++) {
    for (let i = 0; i < n; i++) {
      let eta = 0;
      for (let j = 0; j < p; j++) eta += beta[j] * cols[j][i];
      const m = 1 / (1 + Math.exp(-eta));
      const v = Math.max(m * (1 - m), 1e-10);
      w[i] = v;
      z[i] = eta + (d.y[i] - m) / v;
    }
    const step = wls(cols, w, z);
    inverse = step.inverse;
    const change = step.beta.reduce((s, b, j) => Math.max(s, Math.abs(b - beta[j])), 0);
    beta = step.beta;
    if (change < 1e-8) {
      converged = true;
      it++;
      break;
    }
  }
  return makeFit('binomial', names, beta, inverse, 1, n, it, converged);
}
