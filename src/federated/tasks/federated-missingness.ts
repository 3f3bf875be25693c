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
 * (`missingnessShare`, 25% by default as in the central models) and their own σ, while the
 * histograms and counts rounds have the preprocessing share. Folding them into one of those rounds
 * would force one σ on both (noisier histograms, or missing rates far noisier than the central
 * model's) for the saving of one round of a few dozen numbers (about 1 s). The condition columns'
 * histograms need the encoders, so the round comes after the `histograms` round.
 *
 * Privacy: the round's mechanism (`count` = releases, σ = missingnessSigma) is part of the plan the
 * coordinator calibrates with chargeNeuralPlan (missingnessReleases), so the whole plan composes
 * to the federation's (ε, δ), and every site charges it to its ledger before it reads its data for
 * the round (SiteRoundLedger.chargeRound). The calibration at the coordinator is post-processing.
 */
import type { TableSchema } from '../../data/schema';
import { HemasynthError } from '../../errors';
import { CALIBRATION_ROWS, calibrateOutputBias } from '../../models/neural/output-calibration';
import type { GeneratorNetworkSpec } from '../../models/neural/generator-network';
import {
  dpMarginalLayout, dpMarginalSums, dpMarginalSumsLength, dpMarginalTargets, dpMarginalsFromSums, planDpMarginals,
  type DpMarginalLayout, type DpMarginalPlan, type DpMarginals,
} from '../../models/neural/missingness-groups';
import type { RawOutputLayout } from '../../models/neural/row-layout';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { scaleFor } from './federated-discretisation';

/** Seed of the calibration's sampling inputs (post-processing: any fixed seed). */
export const FEDERATED_CALIBRATION_SEED = 0xfeca1;

/** What the sites receive in a `missingness` round (public: from the schema and the encoders). */
export interface MissingnessRoundPlan {
  /** Encoder indices of each missingness group's columns. */
  groups: number[][];
  /** Encoder indices of the constraint-condition and count columns. */
  condition: number[];
}

/** The coordinator's side of the calibration measurement. */
export class FederatedMissingness {
  /** The releases the central model would make, known from the schema alone. */
  readonly plan: DpMarginalPlan;
  /** Gaussian releases of the round: the plan's (the row count included); 0 when there is nothing to calibrate. */
  readonly releases: number;

  /**
   * @param modelled the modelled columns, in encoder order
   * @param calibrate false turns the measurement (and the calibration) off
   */
  constructor(readonly schema: TableSchema, modelled: readonly string[], calibrate: boolean) {
    this.plan = planDpMarginals(schema, modelled);
    this.releases = calibrate ? this.plan.releases : 0;
  }

  /** Whether the federation has a `missingness` round. */
  get active(): boolean {
    return this.releases > 0;
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
   * The coordinator's `missingness` round: the plan fields every model's plan carries (encoders,
   * the round plan, the mechanism the sites charge, a ledger note), the vector length, the
   * fixed-point format and each site's share of the noise.
   * @example const r = missingness.openRound(encoders, { model: 'tvae', federation, sigma, perSiteSigma, maxSiteRows })
   */
  openRound(encoders: DiscreteColumnEncoder[], o: { model: string; federation: string; sigma: number; perSiteSigma: number; maxSiteRows: number }) {
    const m = this.round(encoders);
    const scale = scaleFor(o.perSiteSigma);
    return {
      fields: {
        encoders, missingness: m.plan,
        mechanism: { kind: 'gaussian' as const, noiseMultiplier: o.sigma, count: this.releases },
        note: `federated ${o.model} ${o.federation}: missing rates of ${m.plan.groups.length} missingness groups, code counts of ${m.plan.condition.length} constraint-condition and count columns and the row count (${this.releases})`,
      },
      vectorLength: m.vectorLength,
      format: { scale, clip: o.maxSiteRows },
      noiseSigmaPerSite: o.perSiteSigma * scale,
    };
  }

  /**
   * The released marginals from the round's noisy sum (post-processing; `sigma` the sum's total noise).
   * @example const marginals = missingness.marginals(encoders, sum, sigma)
   */
  marginals(encoders: readonly DiscreteColumnEncoder[], sum: ArrayLike<number>, sigma: number): DpMarginals {
    const layout = this.layout(encoders);
    const length = dpMarginalSumsLength(layout, encoders);
    if (sum.length !== length + 1) throw new HemasynthError(`federated missingness: expected a summed vector of ${length + 1} values but received ${sum.length}`);
    return dpMarginalsFromSums(layout, encoders, Array.prototype.slice.call(sum, 0, length) as number[], sum[length], sigma);
  }
}

/**
 * A site's vector for the `missingness` round: the exact group sums and condition-column code
 * counts of its rows (dpMarginalSums), then its row count. Call only after the round was charged.
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
