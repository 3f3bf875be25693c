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
import { DEFAULT_PRV_EPSILON_ERROR, scaledEpsilonError } from '../dp/accountants/prv-analysis';
import type { PrivacyLedger } from '../dp/ledger';
import { PrivacyBudgetError, UsageError, describeValue } from '../errors';

/**
 * Smallest ε of a DP training: the PRV accountant's ε error (its upper bound is ε̂ + 0.01, so no
 * mechanism that releases anything is certified below it; the RDP accountant's floor is higher,
 * ≈ 0.15 at δ = 1e-6, and is refused by {@link PrivacyPlanner.calibrate}).
 */
export const MIN_TRAINING_EPSILON = DEFAULT_PRV_EPSILON_ERROR;

/**
 * Largest finite ε of a DP training. A likelihood ratio of e^100 protects nothing, and the
 * accountants are neither tested nor needed beyond it: above it, train with ε = ∞
 * (`--epsilon inf`), explicitly non-private. (Calibration time is no longer the reason: with the
 * PRV error scaled to ε above 10, scaledEpsilonError, a marginal training of the 280-column cohort
 * takes 14 s at ε = 3 and 20 s at ε = 100, where a fixed error of 0.01 took 24 s at ε = 10, 75 s
 * at ε = 30 and over 5 minutes at ε = 100, and ε = 1e3 did not finish.)
 */
export const MAX_TRAINING_EPSILON = 100;

/**
 * Refuses an ε a DP training cannot use, before anything is charged: not a number, at most 0,
 * below {@link MIN_TRAINING_EPSILON} or above {@link MAX_TRAINING_EPSILON} (Infinity, the
 * explicitly non-private training, is the caller's to handle). `name` is the option to name.
 * `federated`: a federation always runs with DP, so no non-private alternative is offered.
 * @example checkTrainingEpsilon(3, '--epsilon') // ok
 */
export function checkTrainingEpsilon(epsilon: unknown, name = 'epsilon', opts: { federated?: boolean } = {}): number {
  const nonPrivate = opts.federated ? null : name.startsWith('--') ? `${name} inf` : `${name} = Infinity`;
  const range = opts.federated
    ? `an epsilon in [${MIN_TRAINING_EPSILON}, ${MAX_TRAINING_EPSILON}] for ${name} of a federated training (a federation always runs with differential privacy)`
    : `an epsilon in [${MIN_TRAINING_EPSILON}, ${MAX_TRAINING_EPSILON}] for ${name} of a DP training (or ${nonPrivate} for an explicitly non-private model)`;
  if (typeof epsilon !== 'number' || Number.isNaN(epsilon) || !Number.isFinite(epsilon)) throw new UsageError(`Expected ${range} but received ${describeValue(epsilon)}`);
  if (epsilon < MIN_TRAINING_EPSILON) {
    throw new UsageError(`Expected ${range} but received ${epsilon}: the PRV accountant certifies no epsilon below its error ${MIN_TRAINING_EPSILON}, so ${MIN_TRAINING_EPSILON} is the smallest that works`);
  }
  if (epsilon > MAX_TRAINING_EPSILON) {
    throw new UsageError(`Expected ${range} but received ${epsilon}: above ${MAX_TRAINING_EPSILON} the privacy guarantee is void (a likelihood ratio up to e^${MAX_TRAINING_EPSILON}) and the accountants are not validated${nonPrivate ? `; use ${nonPrivate} for an explicitly non-private model` : ''}`);
  }
  return epsilon;
}

/**
 * How far below ε = 3 a training is, from 0 (ε ≥ 3) to 1 (ε ≤ 1), linear between: the weight with
 * which the generators move budget to their missing-count releases at low ε (copulaShares,
 * defaultMissingnessShare), where those releases' noise would otherwise exceed 5 points.
 * @example lowEpsilonWeight(2) // 0.5
 */
export function lowEpsilonWeight(epsilon: number): number {
  return Math.min(1, Math.max(0, (3 - epsilon) / 2));
}

/**
 * Smallest δ of a DP training: the PRV accountant reports ε = ∞ whenever δ is within its
 * floating-point noise, 16·size·2^-52 for a grid of `size` points (at least 2), so no smaller δ
 * can be certified (and a subnormal δ made its δ error underflow to 0 and its grid the largest).
 */
export const MIN_TRAINING_DELTA = 32 * Number.EPSILON;

/**
 * Refuses a δ a DP training cannot use, before anything is charged: outside (0, 1) or below
 * {@link MIN_TRAINING_DELTA}. `name` is the option to name.
 * @example checkTrainingDelta(1e-6, '--delta') // ok
 */
export function checkTrainingDelta(delta: unknown, name = 'delta'): number {
  const expected = `a delta in [${Number(MIN_TRAINING_DELTA.toPrecision(2))}, 1) for ${name} of a DP training`;
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) throw new UsageError(`Expected ${expected} but received ${describeValue(delta)}`);
  if (delta < MIN_TRAINING_DELTA) throw new UsageError(`Expected ${expected} but received ${delta}: the PRV accountant certifies no epsilon at a delta within its floating-point resolution`);
  return delta;
}

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
  /** ε spent by this planner's charges (composed), deferred ones included. */
  spentEpsilon = 0;
  private charged: Mechanism[] = [];
  /** Mechanisms accepted by {@link deferMechanisms}, not yet recorded in the ledger. */
  private deferred: Array<{ mechanism: Mechanism; note: string }> = [];

  /** Mechanisms this planner has charged so far, deferred ones included (e.g. the visits before a generator's plan). */
  get chargedMechanisms(): readonly Mechanism[] {
    return this.charged;
  }

  constructor(readonly ledger: PrivacyLedger, readonly target: { epsilon: number; delta: number }, readonly datasetFingerprint?: string) {
    checkTrainingEpsilon(target.epsilon);
    checkTrainingDelta(target.delta);
  }

  /** ε of this planner's earlier charges plus a plan at ρ, by an accountant. */
  private epsilonOf(shares: readonly MechanismShare[], rho: number, accountant: 'rdp' | 'prv'): number {
    const mechanisms = [...this.charged, ...mechanismsFor(shares, rho).map((m) => m.mechanism)];
    return composeEpsilon({ accountant, mechanisms, delta: this.target.delta, epsilonError: scaledEpsilonError(this.target.epsilon) }).epsilon;
  }

  /**
   * The largest ρ whose plan, composed with what this planner already charged, fits `epsilon` at
   * the target δ (with the PRV accountant > 0 down to ε ≈ 0.01, its discretisation error; refused
   * with a clear error when the accountant cannot certify any ρ at this ε and δ).
   */
  calibrate(shares: readonly MechanismShare[], epsilon = this.target.epsilon, opts: { hint?: number; prvSteps?: number } = {}): number {
    const rho = this.calibrateRho(shares, epsilon, opts);
    // ρ = 0 (or one so small that a σ overflows) would "fit" any ε by releasing nothing: refused,
    // so that no infinite σ reaches the ledger or the noise.
    if (!(rho > 0 && Number.isFinite(rho) && mechanismsFor(shares, rho).every((m) => Number.isFinite(m.sigma ?? m.epsilonEach) && (m.sigma ?? m.epsilonEach as number) > 0))) {
      throw new UsageError(`Expected an epsilon the ${this.ledger.accountant.toUpperCase()} accountant can certify for this plan at delta=${this.target.delta} but received epsilon=${epsilon} (it leaves no finite noise scale)`);
    }
    return rho;
  }

  private calibrateRho(shares: readonly MechanismShare[], epsilon: number, opts: { hint?: number; prvSteps?: number }): number {
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
   * this training's ε (deferred mechanisms are recorded first). A later {@link chargePlan} is
   * calibrated on top of them.
   */
  chargeMechanisms(mechanisms: ReadonlyArray<{ mechanism: Mechanism; note: string }>): void {
    const own = this.ownEpsilonWith(mechanisms);
    this.checkLedger(mechanisms.map((m) => m.mechanism));
    this.commitDeferred();
    for (const m of mechanisms) this.record(m);
    this.charged.push(...mechanisms.map((m) => m.mechanism));
    this.spentEpsilon = own;
  }

  /**
   * Accepts mechanisms whose noise is already fixed as {@link chargeMechanisms} does (within this
   * training's ε, affordable by the ledger; later plans are calibrated on top of them) but records
   * them in the ledger only with this planner's next charge, or at {@link commitDeferred}. Why:
   * a part of a training that comes first (the visits model) must not be charged before the
   * rest (the generator) has run every check that can refuse the training; a refused training
   * leaves the ledger as it was. The data the deferred mechanisms release must not be read
   * before they are committed.
   */
  deferMechanisms(mechanisms: ReadonlyArray<{ mechanism: Mechanism; note: string }>): void {
    const own = this.ownEpsilonWith(mechanisms);
    this.checkLedger(mechanisms.map((m) => m.mechanism));
    this.deferred.push(...mechanisms.map((m) => ({ mechanism: m.mechanism, note: m.note })));
    this.charged.push(...mechanisms.map((m) => m.mechanism));
    this.spentEpsilon = own;
  }

  /** Records the deferred mechanisms in the ledger (nothing when none are left). */
  commitDeferred(): void {
    while (this.deferred.length > 0) {
      this.record(this.deferred[0]);
      this.deferred.shift();
    }
  }

  /** Whether mechanisms accepted by {@link deferMechanisms} are not yet in the ledger. */
  get hasDeferred(): boolean {
    return this.deferred.length > 0;
  }

  private record(m: { mechanism: Mechanism; note: string }): void {
    this.ledger.charge({ mechanism: m.mechanism, datasetFingerprint: this.datasetFingerprint ?? this.ledger.datasetFingerprint, note: m.note });
  }

  /** ε of this planner's charges with `mechanisms`; refuses them above the training's ε. */
  private ownEpsilonWith(mechanisms: ReadonlyArray<{ mechanism: Mechanism }>): number {
    const mine = [...this.charged, ...mechanisms.map((m) => m.mechanism)];
    const own = composeEpsilon({ accountant: this.ledger.accountant, mechanisms: mine, delta: this.target.delta, epsilonError: scaledEpsilonError(this.target.epsilon) }).epsilon;
    if (!(own <= this.target.epsilon)) throw new UsageError(`Expected mechanisms within this training's epsilon=${this.target.epsilon} but received a charge that brings it to epsilon=${Number(own.toPrecision(6))}`);
    return own;
  }

  /**
   * Refuses with {@link PrivacyBudgetError} (recording nothing) when the ledger cannot afford
   * these mechanisms on top of what it holds and of this planner's deferred mechanisms; a
   * generator that charges in stages calls it with its whole training first.
   */
  checkLedger(extra: readonly Mechanism[]): void {
    // The ledger already holds this planner's earlier charges, but not its deferred ones; it
    // composes as a charge would.
    const after = this.ledger.epsilonWith([...this.deferred.map((m) => m.mechanism), ...extra]);
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
   * with {@link PrivacyBudgetError} before anything is recorded or read), then charges it (after
   * any deferred mechanisms).
   */
  chargePlan(shares: readonly MechanismShare[], hint?: number): CalibratedMechanism[] {
    const rho = this.calibrate(shares, this.target.epsilon, { hint });
    const plan = mechanismsFor(shares, rho);
    this.checkLedger(plan.map((m) => m.mechanism));
    this.commitDeferred();
    for (const m of plan) this.record(m);
    this.charged.push(...plan.map((m) => m.mechanism));
    this.spentEpsilon = composeEpsilon({ accountant: this.ledger.accountant, mechanisms: this.charged, delta: this.target.delta, epsilonError: scaledEpsilonError(this.target.epsilon) }).epsilon;
    return plan;
  }
}
