/**
 * The missing-rate calibration of the federated neural generators (tvae, ctgan), measured by a
 * secure sum instead of on pooled rows.
 *
 * The central TVAE and CTGAN end training by moving their output biases so that the missing
 * codes' mean probabilities equal released targets (src/models/neural/output-calibration.ts);
 * under DP the targets are one noisy Σ-fraction sum per missingness group and a noisy code
 * histogram per constraint-condition or count column (src/models/neural/missingness-groups.ts), each a
 * Gaussian release of sensitivity 1 with the plan's `missingnessSigma`. Those statistics are sums
 * over rows, so a federation measures them as it measures everything else: a `missingness` round
 * in which every site sends the exact sums of its own rows ({@link siteMissingnessVector}), each
 * adds its share of the distributed discrete Gaussian noise, and the coordinator reads the noisy
 * sum ({@link FederatedMissingness.marginals}). As in the central model, a group's sum is divided
 * by a noisy row count released in the same round (one more sensitivity-1 Gaussian release of the
 * same σ: n̂ moves a rate by about σ/n).
 *
 * Why a round of its own. One round carries one σ (the runtime adds one noise scale per vector)
 * and one mechanism to charge; the calibration releases have their own share of ε
 * (`missingnessShare`: by default half with the clipped vector, else a quarter, as in the central models) and their own σ, while the
 * histograms and counts rounds have the preprocessing share. Folding them into one of those rounds
 * would force one σ on both (noisier histograms, or missing rates far noisier than the central
 * model's) for the saving of one round of a few dozen numbers (about 1 s). The condition columns'
 * histograms need the encoders, so the round comes after the `histograms` round.
 *
 * With at least 12 groups the groups' sums are released as the central models release them
 * (models/neural/central-missing-release.ts): a `missing-pilot` round first, the groups' sums and
 * the row count at sensitivity √(G + 1) for one budget unit, which orients each group to its rarer
 * state; then the `missingness` round carries each site's sums of its rows' clipped, oriented
 * vectors (L2 norm ≤ MISSING_ROW_CLIP = 3: 9 units whatever G) instead of one sum per group.
 * On the SCD cohort's 26 groups that is 1 + 9 units against 26, as centrally, where it took the
 * worst group's missing rate from 5.5–6.7 points off to under 5 at ε = 3.
 *
 * Privacy: the round's mechanism (`count` = releases, σ = missingnessSigma) is part of the plan the
 * coordinator calibrates with chargeNeuralPlan (missingnessReleases), so the whole plan composes
 * to the federation's (ε, δ), and every site charges it to its ledger before it reads its data for
 * the round (SiteRoundLedger.chargeRound). The calibration at the coordinator is post-processing.
 */
import type { TableSchema } from '../../data/schema';
import { HemasynthError } from '../../errors';
import { CALIBRATION_ROWS, calibrateOutputBias } from '../../models/neural/output-calibration';
import { planCentralDpMarginals, type CentralDpMarginalPlan } from '../../models/neural/central-missing-release';
import { MISSING_ROW_CLIP, missingFromRareSums, siteRareSums } from '../../models/marginal/assay-missingness';
import type { GeneratorNetworkSpec } from '../../models/neural/generator-network';
import {
  dpMarginalLayout, dpMarginalSums, dpMarginalSumsLength, dpMarginalTargets, dpMarginalsFromSums,
  type DpMarginalLayout, type DpMarginals,
} from '../../models/neural/missingness-groups';
import type { RawOutputLayout } from '../../models/neural/row-layout';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { scaleFor } from './federated-discretisation';

/**
 * Least fixed-point scale of the clipped vector: a site's sum is rounded once per entry, so the
 * encoded sensitivity is scale·MISSING_ROW_CLIP + √G, and the noise is raised by that factor
 * (about 0.2% at 2^10 for 26 groups).
 */
const VECTOR_SCALE = 2 ** 10;

/** Options of the coordinator's rounds. */
interface RoundOptions { model: string; federation: string; sigma: number; perSiteSigma: number; maxSiteRows: number }

/** Seed of the calibration's sampling inputs (post-processing: any fixed seed). */
export const FEDERATED_CALIBRATION_SEED = 0xfeca1;

/** What the sites receive in a `missingness` round (public: from the schema and the encoders). */
export interface MissingnessRoundPlan {
  /** Encoder indices of each missingness group's columns. */
  groups: number[][];
  /** Encoder indices of the constraint-condition and count columns. */
  condition: number[];
  /**
   * With the clipped vector: per group, whether its rarer state is "present" (from the pilot);
   * the site then sends its clipped rare-state sums in place of the groups' sums.
   */
  rareIsPresent?: boolean[];
}

/** The coordinator's side of the calibration measurement. */
export class FederatedMissingness {
  /** The releases the central model would make, known from the schema alone. */
  readonly plan: CentralDpMarginalPlan;
  /** Budget units of the rounds (the row count included); 0 when there is nothing to calibrate. */
  readonly releases: number;

  /**
   * @param modelled the modelled columns, in encoder order
   * @param calibrate false turns the measurement (and the calibration) off
   */
  constructor(readonly schema: TableSchema, modelled: readonly string[], calibrate: boolean) {
    this.plan = planCentralDpMarginals(schema, modelled);
    this.releases = calibrate ? this.plan.releases : 0;
  }

  /** Whether the federation has a `missingness` round. */
  get active(): boolean {
    return this.releases > 0;
  }

  /** Whether a `missing-pilot` round orients the groups for the clipped vector. */
  get pilot(): boolean {
    return this.active && this.plan.vector;
  }

  /** The groups and condition columns over the fitted encoders. */
  layout(encoders: readonly DiscreteColumnEncoder[]): DpMarginalLayout {
    return dpMarginalLayout(this.plan, encoders, this.schema);
  }

  /** The round's plan for the sites and its vector length. */
  round(encoders: readonly DiscreteColumnEncoder[]): { plan: MissingnessRoundPlan; vectorLength: number } {
    const layout = this.layout(encoders);
    return { plan: { groups: layout.groups.map((g) => g.columns), condition: layout.condition }, vectorLength: dpMarginalSumsLength(layout, encoders) + 1 };
  }

  /**
   * The coordinator's `missing-pilot` round: the groups' sums and the row count (a missingness
   * plan without condition columns), one budget unit at sensitivity √(G + 1).
   * @example const r = missingness.openPilot(encoders, { model: 'tvae', federation, sigma, perSiteSigma, maxSiteRows })
   */
  openPilot(encoders: DiscreteColumnEncoder[], o: RoundOptions) {
    const groups = this.round(encoders).plan.groups;
    const sensitivity = Math.sqrt(groups.length + 1);
    const scale = scaleFor(o.perSiteSigma * sensitivity);
    return {
      fields: {
        encoders, missingness: { groups, condition: [] } as MissingnessRoundPlan,
        mechanism: { kind: 'gaussian' as const, noiseMultiplier: o.sigma, count: 1 },
        note: `federated ${o.model} ${o.federation}: pilot missing rates of ${groups.length} missingness groups and the row count (1)`,
      },
      vectorLength: groups.length + 1,
      format: { scale, clip: o.maxSiteRows },
      // Sums of fractions, rounded once per entry: the encoded sensitivity is scale·√(G + 1) + √(G + 1).
      noiseSigmaPerSite: o.perSiteSigma * sensitivity * (scale + 1),
    };
  }

  /**
   * Each group's rarer state from the pilot's noisy sum (post-processing): "present" where the
   * group's mean missing fraction is above one half; null without a pilot sum (none yet, or no pilot).
   * @example missingness.orientation(pilotSum) // [false, true, ...]
   */
  orientation(pilotSum: ArrayLike<number> | null): boolean[] | null {
    if (!pilotSum) return null;
    const G = pilotSum.length - 1;
    if (G !== this.plan.groups) throw new HemasynthError(`federated missingness: expected a pilot sum of ${this.plan.groups + 1} values but received ${pilotSum.length}`);
    const rows = Math.max(1, pilotSum[G]);
    return Array.from({ length: G }, (_, k) => pilotSum[k] / rows > 0.5);
  }

  /**
   * The coordinator's `missingness` round: the plan fields every model's plan carries (encoders,
   * the round plan, the mechanism the sites charge, a ledger note), the vector length, the
   * fixed-point format and each site's share of the noise. With the pilot's orientation the
   * groups' entries are the clipped vector's.
   * @example const r = missingness.openRound(encoders, { model: 'tvae', federation, sigma, perSiteSigma, maxSiteRows })
   */
  openRound(encoders: DiscreteColumnEncoder[], o: RoundOptions, rareIsPresent: boolean[] | null = null) {
    const m = this.round(encoders);
    const vector = this.vectorOf(rareIsPresent);
    const scale = vector ? Math.max(VECTOR_SCALE, scaleFor(o.perSiteSigma)) : scaleFor(o.perSiteSigma);
    const count = vector ? this.releases - 1 : this.releases;
    return {
      fields: {
        encoders, missingness: { ...m.plan, ...(vector ? { rareIsPresent: vector } : {}) },
        mechanism: { kind: 'gaussian' as const, noiseMultiplier: o.sigma, count },
        note: `federated ${o.model} ${o.federation}: missing rates of ${m.plan.groups.length} missingness groups${vector ? ' (rows clipped)' : ''}, code counts of ${m.plan.condition.length} constraint-condition and count columns and the row count (${count})`,
      },
      vectorLength: m.vectorLength,
      format: { scale, clip: o.maxSiteRows },
      // Each entry is rounded once: the groups' sums (fractions) add up to 1 per entry (√G in all),
      // within the clipped vector's scale·MISSING_ROW_CLIP + √G or the per-group scale·√G + √G.
      noiseSigmaPerSite: o.perSiteSigma * (vector ? scale + Math.sqrt(m.plan.groups.length) / MISSING_ROW_CLIP : scale + 1),
    };
  }

  /** The orientation when the round releases the clipped vector; refuses one that does not fit the plan. */
  private vectorOf(rareIsPresent: boolean[] | null): boolean[] | null {
    if (!this.pilot) return null;
    if (!rareIsPresent || rareIsPresent.length !== this.plan.groups) throw new HemasynthError('federated missingness: the groups are not oriented by the pilot round before the missingness round');
    return rareIsPresent;
  }

  /**
   * The released marginals from the round's noisy sum (post-processing; `sigma` the sum's total
   * noise per unit; `rareIsPresent` the pilot's orientation when the round released the clipped vector).
   * @example const marginals = missingness.marginals(encoders, sum, sigma, orientation)
   */
  marginals(encoders: readonly DiscreteColumnEncoder[], sum: ArrayLike<number>, sigma: number, rareIsPresent: boolean[] | null = null): DpMarginals {
    const layout = this.layout(encoders);
    const length = dpMarginalSumsLength(layout, encoders);
    if (sum.length !== length + 1) throw new HemasynthError(`federated missingness: expected a summed vector of ${length + 1} values but received ${sum.length}`);
    const sums = Array.prototype.slice.call(sum, 0, length) as number[];
    const vector = this.vectorOf(rareIsPresent);
    const rows = sum[length];
    if (vector) sums.splice(0, vector.length, ...missingFromRareSums(sums.slice(0, vector.length), vector, rows));
    return dpMarginalsFromSums(layout, encoders, sums, rows, sigma);
  }
}

/**
 * A site's vector for the `missing-pilot` and `missingness` rounds: the exact group sums (with an
 * orientation, its rows' clipped rare-state sums) and condition-column code counts of its rows
 * (dpMarginalSums), then its row count. Call only after the round was charged.
 * @example siteMissingnessVector(plan.missingness, encoders, codes, table.numRows, 'federated tvae')
 */
export function siteMissingnessVector(plan: MissingnessRoundPlan | undefined, encoders: readonly DiscreteColumnEncoder[], codes: readonly Int32Array[], rows: number, model: string): Float64Array {
  const index = (j: unknown) => Number.isInteger(j) && (j as number) >= 0 && (j as number) < encoders.length;
  if (!plan || !Array.isArray(plan.groups) || !Array.isArray(plan.condition) || !plan.condition.every(index)
    || !plan.groups.every((g) => Array.isArray(g) && g.length > 0 && g.every((j) => index(j) && encoders[j].nullable))) {
    throw new HemasynthError(`${model}: malformed missingness plan from the coordinator`);
  }
  const layout: DpMarginalLayout = { groups: plan.groups.map((columns, i) => ({ key: `group ${i}`, columns })), condition: plan.condition };
  const sums = dpMarginalSums(layout, encoders, codes);
  // The clipped vector (central-missing-release.ts) in place of the groups' sums.
  if (plan.rareIsPresent !== undefined) sums.set(siteRareSums(plan.groups, plan.rareIsPresent, codes, rows, encoders, model));
  const out = new Float64Array(sums.length + 1);
  out.set(sums);
  out[sums.length] = rows;
  return out;
}

/**
 * Calibrates a sampling network's output biases to released marginals, as the central models'
 * last step: missing codes to the groups' rates, condition columns to their histograms, value
 * codes keeping the network's proportions. Returns the parameters and the record for the model's
 * training metadata.
 * @example const { parameters, calibration } = calibrateToMarginals(network, params, raw, encoders, [noise], marginals)
 */
export function calibrateToMarginals(
  network: GeneratorNetworkSpec, parameters: Float32Array, raw: RawOutputLayout, encoders: readonly DiscreteColumnEncoder[],
  inputs: readonly Float32Array[], marginals: DpMarginals,
): { parameters: Float32Array; calibration: Record<string, unknown> } {
  const cal = calibrateOutputBias(network, parameters, raw, encoders, inputs, CALIBRATION_ROWS, (net) => dpMarginalTargets(encoders, marginals, net), { backend: 'auto' });
  return {
    parameters: cal.parameters,
    calibration: {
      rows: CALIBRATION_ROWS, maxGap: cal.maxGap,
      targets: `DP missing rates of ${marginals.groups.length} missingness groups, DP histograms of ${marginals.full.size} constraint-condition and count columns (secure sums across sites)`,
    },
  };
}
