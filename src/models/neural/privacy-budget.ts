/**
 * The privacy plan of a neural generator (TVAE, CTGAN), calibrated and charged to the ledger
 * before the table is read.
 *
 * A neural training releases (1) the quantile edges of its mode-specific normaliser (a noisy fine
 * histogram per quantile column, Gaussian mechanism; transform/histogram-quantiles.ts), (2) for CTGAN, noisy category counts of the conditional-vector
 * columns (Gaussian mechanism; they drive training-by-sampling of the generator's conditions and
 * the conditions drawn at sampling time) and (3) DP-SGD: the Poisson-subsampled Gaussian
 * mechanism composed over the training steps (Abadi et al. 2016). The preprocessing gets a fixed
 * share of ε (default 10%, split as zCDP shares like the other generators, see privacy-plan.ts);
 * the DP-SGD noise multiplier σ is then the smallest whose composition with the preprocessing,
 * by the ledger's accountant (PRV by default), stays within the target ε at δ. The ledger is
 * checked for the whole plan (refusing with PrivacyBudgetError before anything is recorded or
 * read), then charged mechanism by mechanism.
 */
import { calibrateNoiseMultiplier, composeEpsilon } from '../../dp/accountants/compute';
import { scaledEpsilonError } from '../../dp/accountants/prv-analysis';
import type { Mechanism } from '../../dp/accountants/mechanisms';
import { PrivacyBudgetError, UsageError } from '../../errors';
import { lowEpsilonWeight, type PrivacyPlanner } from '../privacy-plan';

/** What a neural training asks for. */
export interface NeuralPrivacyRequest {
  /** Name for ledger notes, e.g. "tvae". */
  model: string;
  /** Quantile columns of the normaliser (one noisy fine histogram each). */
  quantileColumns: number;
  /** Number of noisy category-count releases (one per conditional-vector column). */
  countReleases: number;
  /** Poisson sampling rate q of DP-SGD. */
  sampleRate: number;
  /** DP-SGD steps. */
  steps: number;
  /** Share of ε for the preprocessing (default 0.1). */
  preprocessingShare?: number;
  /** Ledger note of the noisy counts (default: the conditional-vector columns' category counts). */
  countNote?: string;
  /**
   * Number of noisy missing-rate releases (one per missingness group, sensitivity 1 each; see
   * neural/missingness-groups.ts). They get their own share of ε on top of the preprocessing.
   */
  missingnessReleases?: number;
  /** Share of ε for the missing rates (default defaultMissingnessShare(false); callers with the clipped vector pass defaultMissingnessShare(true)). */
  missingnessShare?: number;
}

/**
 * Default share of ε for a neural training's missing-rate releases (option `missingnessShare`,
 * at most 0.5): half with the clipped vector (many missingness groups, central-missing-release.ts),
 * a quarter with one release per group. With the vector (sensitivity 3 whatever the groups) the
 * releases' noise sets the missing rates, and DP-SGD's noise hardly moves the fidelity of these
 * generators at the budgets where the rates need it. Published budget (300 epochs), cohort 7, training seed 3, 15,000 rows, 0.5 against 0.25:
 * TVAE at ε = 1 1 column beyond 5 points of its real missing rate against 5 (worst 5.6 against
 * 10.2), fidelity ratio 11.64 against 11.53; CTGAN at ε = 1 0 against 6 (worst 4.9 against 8.6),
 * fidelity 14.05 against 14.04; TVAE at ε = 3 worst 2.0 against 3.2, fidelity 10.79 against
 * 10.80. At 30 (TVAE) and 5 (CTGAN) epochs over cohorts 7 and 21 × seeds 3 and 4 at ε = 1:
 * columns beyond 5 in all TVAE 4 against 19 and CTGAN 1 against 98, fidelity 10.28 against 10.26
 * and 11.19 against 11.36 (0.4: 11 and 4 columns). With few groups (the federated bench's 11
 * columns, 3,000 patients, ε = 4, TVAE 10 epochs, seeds 3–5) half cost fidelity: 3.93 against
 * 3.51, so a quarter stays there.
 *
 * Below ε = 3 a central training's vector gets more, rising to {@link LOW_EPSILON_MISSINGNESS_SHARE}
 * at ε ≤ 1 (linear in ε between): at ε = 1 half of ε leaves the vector noise σ ≈ 31 rows, 2.1
 * points of a 1,500-patient cohort, and with 26 groups one of them lands beyond 5 points in most
 * trainings. Measured 2026-11-30, TVAE default training (3,000 steps), cohort 7, training seeds
 * 3, 4, 5, worst gap on 15,000 rows and fidelity ratio on 1,500: half 5.79 (cardiac T2* 93.7% →
 * 87.9%), 6.16 (WBC 2.3% → 8.5%), 5.27 (reticulocytes 13.1% → 7.8%), ratio 6.91, 6.63, 6.76;
 * three quarters 4.33, 4.23, 3.59, ratio 7.19, 6.91, 7.04. The federated trainings keep half (their option
 * range stops there).
 * @example defaultMissingnessShare(true) // 0.5
 * @example defaultMissingnessShare(true, 1) // 0.75
 */
export function defaultMissingnessShare(vector: boolean, epsilon = Infinity): number {
  if (!vector) return 0.25;
  const low = lowEpsilonWeight(epsilon);
  return 0.5 + (LOW_EPSILON_MISSINGNESS_SHARE - 0.5) * low;
}

/** The clipped vector's share of ε at ε ≤ 1 (see {@link defaultMissingnessShare}). */
export const LOW_EPSILON_MISSINGNESS_SHARE = 0.75;

/** The calibrated plan. */
export interface NeuralPrivacyPlan {
  /** σ of the quantile columns' noisy histograms (sensitivity 1), or null. */
  quantileSigma: number | null;
  /** σ of the noisy counts (sensitivity 1), or null. */
  countSigma: number | null;
  /** σ of the noisy missing-rate sums (sensitivity 1), or null. */
  missingnessSigma: number | null;
  /** DP-SGD noise multiplier σ. */
  noiseMultiplier: number;
  /** ε of the whole plan at the target δ (<= target ε). */
  epsilon: number;
  mechanisms: Array<{ mechanism: Mechanism; note: string }>;
}

/**
 * Calibrates and charges a neural generator's privacy plan.
 * @example
 * const plan = chargeNeuralPlan(ctx.privacy, { model: 'tvae', quantileColumns: 40, countReleases: 0, sampleRate: 0.2, steps: 1500 });
 * // plan.noiseMultiplier goes to createTrainer({ dp: { noiseMultiplier, ... } })
 */
export function chargeNeuralPlan(planner: PrivacyPlanner, req: NeuralPrivacyRequest): NeuralPrivacyPlan {
  const { epsilon, delta } = planner.target;
  const accountant = planner.ledger.accountant;
  // PRV ε error 0.01, or 0.1% of ε above 10, as the planner and the ledger (scaledEpsilonError).
  const epsilonError = scaledEpsilonError(epsilon);
  if (!(req.sampleRate > 0 && req.sampleRate <= 1)) throw new UsageError(`Expected a DP-SGD sample rate in (0, 1] but received ${req.sampleRate}: lower the batch size or use more rows`);
  if (!(Number.isInteger(req.steps) && req.steps >= 1)) throw new UsageError(`Expected at least one DP-SGD step but received ${req.steps}`);
  const base = req.preprocessingShare ?? 0.1;
  const missing = req.missingnessReleases ?? 0;
  const missingShare = missing > 0 ? req.missingnessShare ?? defaultMissingnessShare(false) : 0;
  const baseParts = (req.quantileColumns > 0 ? 1 : 0) + (req.countReleases > 0 ? 1 : 0);
  const pre: Array<{ mechanism: Mechanism; note: string }> = [];
  let quantileSigma: number | null = null, countSigma: number | null = null, missingnessSigma: number | null = null;
  // zCDP shares of the preprocessing: the base share split evenly between quantiles and counts,
  // the missing rates their own share.
  const shares = [
    ...(req.quantileColumns > 0 ? [{ share: base / baseParts, count: req.quantileColumns, note: 'quantiles' }] : []),
    ...(req.countReleases > 0 ? [{ share: base / baseParts, count: req.countReleases, note: 'counts' }] : []),
    ...(missing > 0 ? [{ share: missingShare, count: missing, note: 'missing' }] : []),
  ];
  const share = (baseParts > 0 ? base : 0) + missingShare;
  if (!(share < 1)) throw new UsageError(`Expected preprocessing and missingness shares of epsilon summing below 1 but received ${share}`);
  const shareSum = shares.reduce((s, m) => s + m.share, 0);
  const preMechanisms = (rho: number): Mechanism[] => shares.map((m) => ({ kind: 'gaussian', noiseMultiplier: Math.sqrt(m.count / (2 * ((rho * m.share) / shareSum))), count: m.count }));
  if (shares.length) {
    // ρ for the preprocessing share, by bisection in log space with the ledger's accountant
    // (the RDP conversion has a floor near 0.2 at δ = 1e-6, too coarse for a 10% share of ε = 1).
    const epsOf = (rho: number) => composeEpsilon({ accountant, delta, epsilonError, mechanisms: preMechanisms(rho) }).epsilon;
    let lo = 1e-14, hi = 1;
    while (epsOf(hi) < share * epsilon && hi < 1e8) { lo = hi; hi *= 4; }
    for (let i = 0; i < 40 && hi / lo > 1.001; i++) {
      const mid = Math.sqrt(lo * hi);
      if (epsOf(mid) <= share * epsilon) lo = mid; else hi = mid;
    }
    const rho = lo;
    for (const m of shares) {
      const r = (rho * m.share) / shareSum;
      if (m.note === 'quantiles') {
        quantileSigma = Math.sqrt(m.count / (2 * r));
        pre.push({ mechanism: { kind: 'gaussian', noiseMultiplier: quantileSigma, count: m.count }, note: `${req.model}: noisy histograms for the DP quantile edges of the mode-specific normaliser (${m.count} columns)` });
      } else if (m.note === 'missing') {
        missingnessSigma = Math.sqrt(m.count / (2 * r));
        pre.push({ mechanism: { kind: 'gaussian', noiseMultiplier: missingnessSigma, count: m.count }, note: `${req.model}: noisy missing rates of missingness groups and code counts of constraint-condition and count columns (${m.count})` });
      } else {
        countSigma = Math.sqrt(m.count / (2 * r));
        pre.push({ mechanism: { kind: 'gaussian', noiseMultiplier: countSigma, count: m.count }, note: `${req.model}: ${req.countNote ?? 'noisy category counts of the conditional-vector columns'} (${m.count})` });
      }
    }
  }
  const sgd = (sigma: number): Mechanism => ({ kind: 'subsampled-gaussian', noiseMultiplier: sigma, sampleRate: req.sampleRate, steps: req.steps });
  // What this training charged before (the visits model) composes with the plan: the whole
  // training stays within its ε.
  const prior = planner.chargedMechanisms;
  const priorEpsilon = prior.length ? composeEpsilon({ accountant, delta, epsilonError, mechanisms: [...prior] }).epsilon : 0;
  const total = (sigma: number) => composeEpsilon({ accountant, delta, epsilonError, mechanisms: [...prior, ...pre.map((m) => m.mechanism), sgd(sigma)] }).epsilon;
  const sgdTarget = (1 - (pre.length ? share : 0)) * epsilon - priorEpsilon;
  if (!(sgdTarget > 0)) throw new UsageError(`Expected epsilon left for DP-SGD after the earlier charges of this training (epsilon=${Number(priorEpsilon.toPrecision(4))}) and the preprocessing share ${share} of epsilon=${epsilon} but none is left`);
  let sigma = calibrateNoiseMultiplier({ accountant, epsilonError, targetEpsilon: sgdTarget, delta, sampleRate: req.sampleRate, steps: req.steps }).noiseMultiplier;
  // The calibration above ignores the rest of the plan; composition is sub-additive, so shrink σ
  // while the whole plan still fits, and grow it if it does not (rare: the PRV error margin).
  let eps = total(sigma);
  for (let i = 0; eps > epsilon && i < 200; i++) { sigma *= 1.02; eps = total(sigma); }
  if (!(eps <= epsilon)) throw new UsageError(`Expected a DP-SGD noise multiplier meeting epsilon=${epsilon} but received none up to ${sigma.toPrecision(4)}`);
  // Then the smallest σ that fits, by bisection in log space (to 0.7%; each step is one
  // composition, about a second for thousands of steps).
  let bad = sigma * 0.97;
  for (let i = 0, e = total(bad); i < 60 && e <= epsilon; i++, e = total(bad)) { sigma = bad; eps = e; bad *= 0.9; }
  for (let i = 0; i < 4; i++) {
    const mid = Math.sqrt(sigma * bad);
    const e = total(mid);
    if (e <= epsilon) { sigma = mid; eps = e; } else bad = mid;
  }
  const mechanisms = [...pre, { mechanism: sgd(sigma), note: `${req.model}: DP-SGD (σ=${sigma.toPrecision(4)}, q=${req.sampleRate.toPrecision(4)}, ${req.steps} steps)` }];
  const ledger = planner.ledger;
  const after = ledger.epsilonWith(mechanisms.map((m) => m.mechanism));
  if (!(after <= ledger.budget.epsilon)) {
    const before = ledger.spent().epsilon;
    throw new PrivacyBudgetError(
      `Privacy budget exceeded for dataset ${ledger.datasetFingerprint.slice(0, 16)}: budget epsilon=${ledger.budget.epsilon}, delta=${ledger.budget.delta}; ` +
        `spent so far epsilon=${Number(before.toPrecision(6))}; this ${req.model} training (epsilon=${epsilon}) would bring it to epsilon=${Number(after.toPrecision(6))}. Refused before reading any data.`,
    );
  }
  // Charged through the planner, which records them with the earlier charges (its spentEpsilon
  // is the whole training's).
  planner.chargeMechanisms(mechanisms);
  return { quantileSigma, countSigma, missingnessSigma, noiseMultiplier: sigma, epsilon: planner.spentEpsilon, mechanisms };
}
