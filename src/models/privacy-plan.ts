/**
 * Splits a training's (ε, δ) over its mechanisms and charges the ledger before any data is read.
 *
 * A generator describes its mechanisms as shares of one zero-concentrated-DP budget ρ (Bun &
 * Steinke 2016): a Gaussian measurement of sensitivity 1 repeated k times with share w has
 * σ = sqrt(k / (2wρ)); an exponential-mechanism selection repeated k times with share w has
 * ε_each = sqrt(2wρ/k): the ledger accounts it as pure ε-DP, which composes like ε²/2-zCDP (MST,
 * McKenna, Miklau & Sheldon 2021, uses ε²/8, the bounded-range bound of Cesar & Rogers 2021,
 * which the ledger's accountants cannot use). The largest ρ whose composition, by the ledger's own
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

/**
 * The mechanisms of a plan at a given ρ (σ for Gaussian shares, ε per application for exponential ones).
 * @example calibratedMechanisms([{ kind: 'gaussian', share: 1, count: 10, note: '1-way' }], 0.02)[0].sigma
 */
export function calibratedMechanisms(shares: readonly MechanismShare[], rho: number): CalibratedMechanism[] {
  return mechanismsFor(shares, rho);
}

function mechanismsFor(shares: readonly MechanismShare[], rho: number): CalibratedMechanism[] {
  const total = shares.reduce((s, m) => s + m.share, 0);
  return shares.filter((m) => m.count > 0).map((m) => {
    const r = (rho * m.share) / total;
    if (m.kind === 'gaussian') {
      const sigma = Math.sqrt(m.count / (2 * r));
      return { ...m, sigma, mechanism: { kind: 'gaussian', noiseMultiplier: sigma, count: m.count } };
    }
    // The ledger's accountants know no bounded-range mechanism, so an exponential mechanism is
    // charged as pure ε-DP, whose composition (PRV, RDP) costs like ε²/2-zCDP (Bun & Steinke
    // 2016, Prop. 1.4), not the ε²/8 of its bounded range (Cesar & Rogers 2021). Calibrating with
    // ε²/2 makes a share buy what the ledger will charge for it; with ε²/8 the selection and
    // quantiles silently took ~4x their share and left the Gaussian measurements the rest.
    const e = Math.sqrt((2 * r) / m.count);
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

  /** Mechanisms this planner has charged so far (e.g. the visits before a generator's plan). */
  get chargedMechanisms(): readonly Mechanism[] {
    return this.charged;
  }

  constructor(readonly ledger: PrivacyLedger, readonly target: { epsilon: number; delta: number }, readonly datasetFingerprint?: string) {
    if (!(Number.isFinite(target.epsilon) && target.epsilon > 0)) throw new UsageError(`Expected a finite epsilon > 0 for a DP training but received ${target.epsilon}`);
    if (!(target.delta > 0 && target.delta < 1)) throw new UsageError(`Expected a delta in (0, 1) for a DP training but received ${target.delta}`);
  }

  /** ε of this planner's earlier charges plus a plan at ρ, by an accountant. */
  private epsilonOf(shares: readonly MechanismShare[], rho: number, accountant: 'rdp' | 'prv'): number {
    const mechanisms = [...this.charged, ...mechanismsFor(shares, rho).map((m) => m.mechanism)];
    return composeEpsilon({ accountant, mechanisms, delta: this.target.delta }).epsilon;
  }

  /**
   * The largest ρ whose plan, composed with what this planner already charged, fits `epsilon` at
   * the target δ (with the PRV accountant > 0 down to ε ≈ 0.01, its discretisation error; refused
   * with a clear error when the accountant cannot certify any ρ at this ε and δ).
   */
  calibrate(shares: readonly MechanismShare[], epsilon = this.target.epsilon, opts: { hint?: number; prvSteps?: number } = {}): number {
    const hint = opts.hint;
    const fits = (rho: number, accountant: 'rdp' | 'prv') => this.epsilonOf(shares, rho, accountant) <= epsilon;
    // A hint (the ρ of a similar plan) saves most PRV evaluations: 5 geometric bisection steps
    // inside [0.8·hint, 1.25·hint] reach 1.4% of ρ (0.7% of σ); a wrong hint falls through.
    if (hint !== undefined && hint > 0 && this.ledger.accountant !== 'rdp' && fits(hint * 0.8, 'prv') && !fits(hint * 1.25, 'prv')) {
      let good = hint * 0.8, bad = hint * 1.25;
      for (let i = 0; i < 5; i++) {
        const mid = Math.sqrt(good * bad);
        if (fits(mid, 'prv')) good = mid; else bad = mid;
      }
      return good;
    }
    // RDP first: cheap, and a lower bound on the PRV answer (PRV is the tighter accountant).
    let lo = 0, hi = 1;
    while (fits(hi, 'rdp') && hi < 1e8) { lo = hi; hi *= 4; }
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (fits(mid, 'rdp')) lo = mid; else hi = mid;
    }
    if (this.ledger.accountant === 'rdp') {
      if (!(lo > 0)) throw new UsageError(`Expected an epsilon the RDP accountant can certify at delta=${this.target.delta} but received epsilon=${epsilon}: its conversion has a floor near 0.15 at small delta; use the PRV accountant (the default) for smaller epsilon`);
      return lo;
    }
    // RDP's conversion from Rényi to (ε, δ) has a floor (≈0.15–0.22 at δ = 1e-6 over the Opacus
    // orders), below which it certifies no ρ > 0; PRV's is its discretisation error (≈0.01), so
    // start from the zCDP conversion
    // (Bun & Steinke 2016, Prop. 1.3: ρ-zCDP ⇒ (ρ + 2√(ρ ln(1/δ)), δ)-DP) when RDP gave nothing.
    const L = Math.log(1 / this.target.delta);
    let good = lo > 0 ? lo : (Math.sqrt(L + epsilon) - Math.sqrt(L)) ** 2;
    let halvings = 0;
    while (!fits(good, 'prv')) {
      good /= 2;
      if (++halvings > 60) throw new UsageError(`Expected an epsilon the PRV accountant can certify for this plan at delta=${this.target.delta} but received epsilon=${epsilon} (earlier charges of this training may already use it)`);
    }
    let bad = good * 3;
    for (let i = 0; i < 20 && fits(bad, 'prv'); i++) { good = bad; bad *= 3; }
    // 8 steps inside a factor 3 reach 0.4% of ρ; a rough answer (e.g. to size a plan) needs fewer.
    for (let i = 0; i < (opts.prvSteps ?? 8); i++) {
      const mid = Math.sqrt(good * bad);
      if (fits(mid, 'prv')) good = mid; else bad = mid;
    }
    return good;
  }

  /**
   * Charges mechanisms whose noise is already fixed (e.g. a noisy row count that decides the
   * rest of the plan), after checking that the ledger can afford them and that they stay within
   * this training's ε. A later {@link chargePlan} is calibrated on top of them.
   */
  chargeMechanisms(mechanisms: ReadonlyArray<{ mechanism: Mechanism; note: string }>): void {
    const mine = [...this.charged, ...mechanisms.map((m) => m.mechanism)];
    const own = composeEpsilon({ accountant: this.ledger.accountant, mechanisms: mine, delta: this.target.delta }).epsilon;
    if (!(own <= this.target.epsilon)) throw new UsageError(`Expected mechanisms within this training's epsilon=${this.target.epsilon} but received a charge that brings it to epsilon=${Number(own.toPrecision(6))}`);
    this.checkLedger(mechanisms.map((m) => m.mechanism));
    for (const m of mechanisms) this.ledger.charge({ mechanism: m.mechanism, datasetFingerprint: this.datasetFingerprint ?? this.ledger.datasetFingerprint, note: m.note });
    this.charged.push(...mechanisms.map((m) => m.mechanism));
    this.spentEpsilon = own;
  }

  /**
   * Refuses with {@link PrivacyBudgetError} (recording nothing) when the ledger cannot afford
   * these mechanisms on top of what it holds; a generator that charges in stages calls it with
   * its whole training first.
   */
  checkLedger(extra: readonly Mechanism[]): void {
    // The ledger already holds this planner's earlier charges.
    const all = [...this.ledger.mechanisms(), ...extra];
    const after = composeEpsilon({ accountant: this.ledger.accountant, mechanisms: all, delta: this.ledger.budget.delta }).epsilon;
    if (!(after <= this.ledger.budget.epsilon)) {
      const before = this.ledger.spent().epsilon;
      throw new PrivacyBudgetError(
        `Privacy budget exceeded for dataset ${this.ledger.datasetFingerprint.slice(0, 16)}: budget epsilon=${this.ledger.budget.epsilon}, delta=${this.ledger.budget.delta}; ` +
          `spent so far epsilon=${Number(before.toPrecision(6))}; this training (epsilon=${this.target.epsilon}) would bring it to epsilon=${Number(after.toPrecision(6))}. Refused before reading any data.`,
      );
    }
  }

  /**
   * Calibrates the plan to the target ε, checks that the ledger can afford all of it (refusing
   * with {@link PrivacyBudgetError} before anything is recorded or read), then charges it.
   */
  chargePlan(shares: readonly MechanismShare[], hint?: number): CalibratedMechanism[] {
    const rho = this.calibrate(shares, this.target.epsilon, { hint });
    const plan = mechanismsFor(shares, rho);
    this.checkLedger(plan.map((m) => m.mechanism));
    for (const m of plan) this.ledger.charge({ mechanism: m.mechanism, datasetFingerprint: this.datasetFingerprint ?? this.ledger.datasetFingerprint, note: m.note });
    this.charged.push(...plan.map((m) => m.mechanism));
    this.spentEpsilon = composeEpsilon({ accountant: this.ledger.accountant, mechanisms: this.charged, delta: this.target.delta }).epsilon;
    return plan;
  }
}
