/**
 * Longitudinal visits in a federation: the visits model of src/visits/visit-model.ts trained
 * beside any federated generator, from the same per-patient sums as a central training, summed
 * across sites by secure aggregation with distributed discrete Gaussian noise.
 *
 * The visits are one extra round before the generator's own: each site charges the round to its
 * ledger, reads its patients file and its visits file, and sends the 2 + 5·labs clipped sums
 * and the histogram of visits per patient (sensitivity 1 each under add/remove of a patient with
 * all their visits). The coordinator turns
 * the noisy totals into the visits model (visitModelFromSums) and, after the generator has written
 * its model file, adds the visits model to its manifest.
 *
 * Budget: the visits take `share` of the federation's ε (default 10%, as centrally), calibrated by
 * the accountant alone; the generator's plan is then calibrated on top of that charge (its
 * planner starts from it, see federationPlanner), so the two compose to the federation's (ε, δ)
 * on the federation's ledger and on every site's.
 */
import { randomBytes } from 'node:crypto';
import type { Table } from 'apache-arrow';
import { readArrowFile } from '../../data/arrow-file';
import { PrivacyLedger } from '../../dp/ledger';
import { HemasynthError, UsageError } from '../../errors';
import { loadModel, saveModel } from '../../models/model-file';
import { PrivacyPlanner } from '../../models/privacy-plan';
import { VISITS_SHARE, VisitLayout, VisitModelSpec, visitLayout, visitModelFromSums, visitSums, visitsNote, visitsSigma, visitVectorShape } from '../../visits/visit-model';
import { checkFederatedOptions, federatedModel } from '../task';
import type { AggregateInfo, CoordinatorTask, CoordinatorTaskOptions, RoundPlan, SiteRoundContext, SiteTask, SiteTaskOptions } from '../task';
import { federationSchema } from './federated-discretisation';
import { SiteRoundLedger, type SitePlan } from './site-round-ledger';

/** Fixed-point scale of the visit sums (fractions of a patient: 2^-10 resolution, far below their noise). */
const VISITS_SCALE = 2 ** 10;
/** Most patients a site may hold (clip of every encoded sum). */
const MAX_SITE_PATIENTS = 10_000_000;

/** The visits round's plan: what a site measures. */
export interface VisitsRoundPlan extends SitePlan<'visits'> {
  /** Routes the plan to the visits site task whatever the generator (site-runner.ts). */
  task: 'visits';
  layout: VisitLayout;
}

/** What a federation with visits is told: the visits table's schema (JSON or Arrow file with an embedded schema). */
export interface FederatedVisitsOptions {
  schema: unknown;
  /** Share of the federation's ε for the visits (default 0.1). */
  share?: number;
  /** Column linking visits to patients (default `patient_id`). */
  key?: string;
}

/** The coordinator of a generator with a visits round first (see the header). */
export class VisitsFirstCoordinatorTask implements CoordinatorTask {
  readonly model: string;
  readonly rounds: number;
  private state: { federation: string; spec: VisitModelSpec | null; contributors: string[] };

  constructor(private readonly inner: CoordinatorTask, private readonly o: CoordinatorTaskOptions, private readonly layout: VisitLayout, private readonly sigma: number) {
    this.model = inner.model;
    this.rounds = inner.rounds + 1;
    this.state = { federation: randomBytes(12).toString('hex'), spec: null, contributors: [] };
  }

  planRound(round: number): RoundPlan {
    if (round > 0) {
      const p = this.inner.planRound(round - 1);
      // The generator's site tasks see their own round numbers (site-runner.ts subtracts it).
      return { ...p, plan: { ...(p.plan as object), roundOffset: 1 } };
    }
    const share = this.o.distributedDp ? Math.sqrt(this.o.threshold) : 1;
    const plan: VisitsRoundPlan = {
      task: 'visits', federation: this.state.federation, stage: 'visits', budget: { epsilon: this.o.epsilon, delta: this.o.delta }, layout: this.layout,
      mechanism: { kind: 'gaussian', noiseMultiplier: this.sigma, count: this.layout.releases }, note: `federated ${visitsNote(this.layout.releases)}`,
    };
    // Encoded sensitivity per sum: S (one patient's clipped term) plus 1 from the rounding.
    return { plan, vectorLength: this.layout.vectorLength, format: { scale: VISITS_SCALE, clip: MAX_SITE_PATIENTS }, noiseSigmaPerSite: (this.sigma * (VISITS_SCALE + 1)) / share };
  }

  absorbRound(round: number, sum: Float64Array, info: AggregateInfo): unknown {
    if (round > 0) return this.inner.absorbRound(round - 1, sum, { ...info, round: info.round - 1 });
    this.state.spec = visitModelFromSums(this.layout, sum, null, this.sigma);
    this.state.contributors = info.contributors;
    return { stage: 'visits', labs: this.layout.labs.length, perYear: Number(this.state.spec.perYear.toPrecision(4)), contributors: info.contributors.length };
  }

  checkpoint(): unknown {
    return { visits: this.state, inner: this.inner.checkpoint() };
  }

  restore(state: unknown): void {
    const s = state as { visits?: VisitsFirstCoordinatorTask['state']; inner?: unknown };
    if (!s || !s.visits || typeof s.visits.federation !== 'string') throw new HemasynthError('federated visits: the checkpoint does not hold a visits round state');
    this.state = s.visits;
    this.inner.restore(s.inner);
  }

  async finish(out: string): Promise<unknown> {
    const spec = this.state.spec;
    if (!spec) throw new HemasynthError('federated visits: the visits round has not completed; no model to write');
    const summary = await this.inner.finish(out);
    // The generator wrote an ordinary model file; the visits model joins its manifest.
    const model = loadModel(out);
    saveModel(out, { ...model, manifest: { ...model.manifest, visits: spec } });
    return { ...(summary as object), visits: { labs: spec.labs.length, perYear: spec.perYear, contributors: this.state.contributors.length } };
  }
}

/**
 * The coordinator task of `model`, with a visits round first when `visits` is given.
 * @example const task = federatedCoordinator('copula', options, { schema: 'cohort/visits.schema.json' })
 */
export function federatedCoordinator(model: string, o: CoordinatorTaskOptions, visits?: FederatedVisitsOptions): CoordinatorTask {
  const def = federatedModel(model);
  checkFederatedOptions(model, o.options);
  if (!visits) return def.coordinator(o);
  const layout = visitLayout(federationSchema(o.schemaHint), federationSchema(visits.schema), { key: visits.key });
  // σ at the visits' share of ε alone (a planner on a scratch ledger: nothing is charged here).
  const scratch = new PrivacyPlanner(PrivacyLedger.create({ datasetFingerprint: 'visits-plan', budget: { epsilon: o.epsilon, delta: o.delta } }), { epsilon: o.epsilon, delta: o.delta });
  const sigma = visitsSigma(scratch, layout.releases, visits.share ?? VISITS_SHARE);
  const mechanism = { kind: 'gaussian' as const, noiseMultiplier: sigma, count: layout.releases };
  const inner = def.coordinator({ ...o, earlierCharges: [...(o.earlierCharges ?? []), { mechanism, note: `federated ${visitsNote(layout.releases)}` }] });
  return new VisitsFirstCoordinatorTask(inner, o, layout, sigma);
}

/** Whether a layout from the coordinator is one a site can measure (names, bounds, release count). */
function wellFormed(l: VisitLayout | undefined): l is VisitLayout {
  const name = (x: unknown) => typeof x === 'string' && x.length > 0 && x.length <= 256;
  return !!l && name(l.key) && name(l.followupColumn) && Number.isFinite(l.followupMax) && Array.isArray(l.labs) && Array.isArray(l.copied) && l.copied.every(name)
    && (l.numberColumn === null || name(l.numberColumn)) && l.labs.every((b) => b && name(b.column) && Number.isFinite(b.min) && Number.isFinite(b.max) && b.max > b.min)
    && l.releases === visitVectorShape(l.labs.length).releases && l.vectorLength === visitVectorShape(l.labs.length).vectorLength;
}

/** The site side of the visits round: the site's patients and visits files, never sent. */
export class VisitsSiteTask implements SiteTask {
  private readonly ledger: SiteRoundLedger;
  private tables?: { patients: Table; visits: Table };

  constructor(readonly o: SiteTaskOptions) {
    this.ledger = new SiteRoundLedger(o);
  }

  localVector(raw: unknown, ctx: SiteRoundContext): Float64Array {
    const plan = raw as VisitsRoundPlan;
    if (!plan || plan.task !== 'visits' || !wellFormed(plan.layout) || !plan.mechanism || typeof plan.federation !== 'string') throw new HemasynthError('federated visits: malformed round plan from the coordinator');
    if (!this.o.visitsFile) throw new UsageError(`Expected a visits file for site ${this.o.site} (federate site --visits FILE) but received none: the federation trains a visits model`);
    this.ledger.chargeRound(plan, ctx.round);
    this.tables ??= { patients: readArrowFile(this.o.dataFile), visits: readArrowFile(this.o.visitsFile) };
    return visitSums(plan.layout, this.tables.patients, this.tables.visits, true).sums;
  }
}
