/**
 * Splits a training's (ε, δ) over its mechanisms and charges the ledger before any data is read.
 *
 * A generator describes its mechanisms as shares of one zero-concentrated-DP budget ρ (Bun &
 * Steinke 2016): a Gaussian measurement of sensitivity 1 repeated k times with share w has
 * σ = sqrt(k / (2wρ)); an exponential-mechanism selection repeated k times with share w has
 * ε_each = sqrt(8wρ/k) (Cesar & Rogers 2021: ε-DP exponential mechanism is ε²/8-zCDP), as in
 * MST (McKenna, Miklau & Sheldon 2021). The largest ρ whose composition, by the ledger's own
 * accountant (PRV by default, src/dp), is within the requested ε at δ is found by bisection
 * (first with the fast RDP accountant, then refined with the ledger's). The ledger is checked
 * for the whole plan, then charged, before the generator reads the table.
 */
import { composeEpsilon } from '../dp/accountants/compute';
import type { Mechanism } from '../dp/accountants/mechanisms';
import type { PrivacyLedger } from '../dp/ledger';
import { PrivacyBudgetError, UsageError } from '../errors';

/** One mechanism of a plan, as a share of the budget. */
export interface MechanismShare {
  kind: 'gaussian' | 'exponential';
  /** Share of ρ (shares of a plan need not sum to 1; they are normalised). */
  share: number;
  /** Number of applications. */
  count: number;
  note: string;
}

/** A calibrated mechanism: σ (Gaussian, sensitivity 1) or ε per application (exponential). */
export interface CalibratedMechanism extends MechanismShare {
  sigma?: number;
  epsilonEach?: number;
  mechanism: Mechanism;
}

function mechanismsFor(shares: readonly MechanismShare[], rho: number): CalibratedMechanism[] {
  const total = shares.reduce((s, m) => s + m.share, 0);
  return shares.filter((m) => m.count > 0).map((m) => {
    const r = (rho * m.share) / total;
    if (m.kind === 'gaussian') {
      const sigma = Math.sqrt(m.count / (2 * r));
      return { ...m, sigma, mechanism: { kind: 'gaussian', noiseMultiplier: sigma, count: m.count } };
    }
    const e = Math.sqrt((8 * r) / m.count);
    return { ...m, epsilonEach: e, mechanism: { kind: 'pure-dp', epsilon: e, count: m.count, name: 'exponential mechanism' } };
  });
}

/**
 * Calibrates and charges the mechanisms of one training against a ledger.
 * @example
 * const planner = new PrivacyPlanner(ledger, { epsilon: 1, delta: 1e-6 });
 * const [oneWay] = planner.chargePlan([{ kind: 'gaussian', share: 1, count: 20, note: '1-way marginals' }]);
 */
export class PrivacyPlanner {
  /** ε spent by this planner's charges (composed). */
  spentEpsilon = 0;
  private charged: Mechanism[] = [];

  constructor(readonly ledger: PrivacyLedger, readonly target: { epsilon: number; delta: number }, readonly datasetFingerprint?: string) {
    if (!(Number.isFinite(target.epsilon) && target.epsilon > 0)) throw new UsageError(`Expected a finite epsilon > 0 for a DP training but received ${target.epsilon}`);
    if (!(target.delta > 0 && target.delta < 1)) throw new UsageError(`Expected a delta in (0, 1) for a DP training but received ${target.delta}`);
  }

  /** ε of a plan at ρ by an accountant. */
  private epsilonOf(shares: readonly MechanismShare[], rho: number, accountant: 'rdp' | 'prv'): number {
    return composeEpsilon({ accountant, mechanisms: mechanismsFor(shares, rho).map((m) => m.mechanism), delta: this.target.delta }).epsilon;
  }

  /** The largest ρ whose plan fits `epsilon` at the target δ. */
  calibrate(shares: readonly MechanismShare[], epsilon = this.target.epsilon): number {
    let lo = 0, hi = 1;
    while (this.epsilonOf(shares, hi, 'rdp') < epsilon && hi < 1e8) { lo = hi; hi *= 4; }
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (this.epsilonOf(shares, mid, 'rdp') <= epsilon) lo = mid; else hi = mid;
    }
    if (this.ledger.accountant === 'rdp') return lo;
    // PRV is tighter than RDP: search upwards from the RDP answer with a few PRV evaluations.
    let good = lo;
    while (this.epsilonOf(shares, good, 'prv') > epsilon && good > 1e-12) good *= 0.9;
    let bad = good * 3;
    if (this.epsilonOf(shares, bad, 'prv') <= epsilon) return bad;
    for (let i = 0; i < 7; i++) {
      const mid = (good + bad) / 2;
      if (this.epsilonOf(shares, mid, 'prv') <= epsilon) good = mid; else bad = mid;
    }
    return good;
  }

  /**
   * Calibrates the plan to the target ε, checks that the ledger can afford all of it (refusing
   * with {@link PrivacyBudgetError} before anything is recorded or read), then charges it.
   */
  chargePlan(shares: readonly MechanismShare[]): CalibratedMechanism[] {
    const rho = this.calibrate(shares);
    const plan = mechanismsFor(shares, rho);
    const all = [...this.ledger.mechanisms(), ...this.charged, ...plan.map((m) => m.mechanism)];
    const after = composeEpsilon({ accountant: this.ledger.accountant, mechanisms: all, delta: this.ledger.budget.delta }).epsilon;
    if (!(after <= this.ledger.budget.epsilon)) {
      const before = this.ledger.spent().epsilon;
      throw new PrivacyBudgetError(
        `Privacy budget exceeded for dataset ${this.ledger.datasetFingerprint.slice(0, 16)}: budget epsilon=${this.ledger.budget.epsilon}, delta=${this.ledger.budget.delta}; ` +
          `spent so far epsilon=${Number(before.toPrecision(6))}; this training (epsilon=${this.target.epsilon}) would bring it to epsilon=${Number(after.toPrecision(6))}. Refused before reading any data.`,
      );
    }
    for (const m of plan) this.ledger.charge({ mechanism: m.mechanism, datasetFingerprint: this.datasetFingerprint ?? this.ledger.datasetFingerprint, note: m.note });
    this.charged.push(...plan.map((m) => m.mechanism));
    this.spentEpsilon = composeEpsilon({ accountant: this.ledger.accountant, mechanisms: this.charged, delta: this.target.delta }).epsilon;
    return plan;
  }
}
