/**
 * The main job of hemasynth on built-in data, end to end:
 *  1. simulate a multi-site SCD cohort (and a separate holdout cohort the generator never sees);
 *  2. anonymise each site under the shipped SCD policy: the k-anonymous release and its risk
 *     report, as a site would publish it, and the de-identified, minimised table (no direct
 *     identifier, no column the policy does not name) that the site trains on;
 *  3. train a differentially private generator across the hospitals: by default federated, one
 *     process per site on loopback over mutually authenticated gRPC/TLS, the sites' measurements
 *     summed under pairwise-masking secure aggregation with distributed DP noise, so the
 *     coordinator only sees noisy sums (`central: true` trains on the pooled table instead).
 *     Direct identifiers are never modelled; quasi-identifiers keep their detail because DP,
 *     not generalisation, protects the training. Every spend is charged to a privacy ledger;
 *  4. sample a synthetic cohort and write it as Arrow;
 *  5. evaluate it against the training and holdout data (fidelity, utility, privacy attacks,
 *     clinical validity) and write report.json and a self-contained report.html.
 * Used by `hemasynth demo` and callable from services.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { simulateCohort, writeSimulation } from '../scd';
import { runScdChecks } from '../evaluate/clinical/scd-checks';
import { anonymiseTable, loadPolicy, minimiseForTraining, readStringTable, writeStringTable } from '../anonymise';
import type { AnonymisationReport } from '../anonymise';
import { packageRoot } from '../native/addon';
import { writeArrowFile } from '../data/arrow-file';
import { tableFingerprint } from '../data/fingerprint';
import { PrivacyLedger } from '../dp/ledger';
import { loadModel, saveModel, sampleModel, trainModel } from '../models';
import type { HemasynthModel } from '../models';
import { availableGenerators } from '../models/registry';
import { checkTrainingDelta, checkTrainingEpsilon } from '../models/privacy-plan';
import { federatedModels, runFederatedSimulation, SECURE_AGGREGATION_MODES } from '../federated';
import { UsageError, describeValue } from '../errors';
import { evaluateSyntheticInPool, renderHtmlReport } from '../evaluate';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Output folder (created). */
  out: string;
  /** Simulated patients over all sites (default 1500). */
  patients?: number;
  /** Number of hospital sites (default 4). */
  sites?: number;
  /** Seed of the simulator (default 7). */
  seed?: number;
  /** Generator (default marginal). */
  model?: string;
  /** Privacy budget of the generator (default ε = 3, δ = 1e-5); Infinity = non-private. */
  epsilon?: number;
  delta?: number;
  /** Synthetic rows (default: as many as training patients). */
  syntheticRows?: number;
  /** Train on the pooled table instead of across the sites (default false: federated). */
  central?: boolean;
  /** Secure aggregation of the federated training (default pairwise). */
  secureAggregation?: 'pairwise' | 'two-server' | 'none';
  /** Holdout patients simulated with another seed (default: a third of the training patients). */
  holdoutPatients?: number;
  /** Called at the start of each stage. */
  onStage?: (stage: string) => void;
}

/** One site's anonymisation outcome. */
export interface DemoSiteSummary {
  site: string;
  patients: number;
  released: string;
  report: string;
  levels: Record<string, number>;
  suppressedRecords: number;
  averageProsecutorBefore: number;
  averageProsecutorAfter: number;
  highestProsecutorAfter: number;
  verdict: string;
}

/** What {@link runDemo} produced. */
export interface DemoSummary {
  out: string;
  cohort: { patients: number; sites: string[]; columns: number; visits: number; files: string[] };
  clinicalChecks: { passed: number; total: number; failed: string[] };
  anonymisation: DemoSiteSummary[];
  generator: { model: string; training: 'federated' | 'central'; secureAggregation: string | null; file: string; epsilon: number; delta: number; epsilonSpent: number | 'inf'; ledger: string; seconds: number };
  synthetic: { file: string; rows: number; seconds: number };
  report: { html: string; json: string; clinicalPassed: number; clinicalTotal: number; membershipAuc: number | null; seconds: number };
}

/** Path of a file shipped with the package (data/…), so the product never reads ../shared. */
export function shippedFile(...parts: string[]): string {
  return path.join(packageRoot, 'data', ...parts);
}

/** How the options of {@link checkDemoOptions} are named in its errors (the CLI: "--epsilon", ...). */
export type DemoOptionNames = Record<'patients' | 'sites' | 'seed' | 'model' | 'epsilon' | 'delta' | 'central' | 'secureAggregation', string>;

/** The field names of {@link DemoOptions}, as a library caller typed them. */
const FIELD_NAMES: DemoOptionNames = { patients: 'patients', sites: 'sites', seed: 'seed', model: 'model', epsilon: 'epsilon', delta: 'delta', central: 'central', secureAggregation: 'secureAggregation' };

/**
 * Refuses options the demo cannot run with before it simulates or writes anything (else the
 * simulator, the anonymisation and the training would run first and the error come minutes
 * later), naming each option as `names` says (the CLI passes "--epsilon", ...).
 * @example checkDemoOptions({ out: 'demo-out', epsilon: 1000 }, { ...names, epsilon: '--epsilon' }) // throws, naming --epsilon
 */
export function checkDemoOptions(opts: DemoOptions, names: DemoOptionNames = FIELD_NAMES): void {
  const central = opts.central === true;
  const patients = opts.patients ?? 1500, sites = opts.sites ?? 4, seed = opts.seed ?? 7;
  if (!(Number.isInteger(patients) && patients >= 1 && patients <= 10_000_000)) throw new UsageError(`Expected an integer in [1, 10000000] for ${names.patients} but received ${describeValue(patients)}`);
  if (!(Number.isInteger(sites) && sites >= 1 && sites <= 255)) throw new UsageError(`Expected an integer in [1, 255] for ${names.sites} but received ${describeValue(sites)}`);
  if (!central && sites < 2) throw new UsageError(`Expected at least 2 for ${names.sites} of a federated training (or ${names.central} to train on the pooled table) but received ${sites}`);
  if (patients < sites) throw new UsageError(`Expected at least one patient per site (${names.patients} >= ${names.sites} = ${sites}) for ${names.patients} but received ${patients}`);
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 31 - 1)) throw new UsageError(`Expected an integer in [0, ${2 ** 31 - 1}] for ${names.seed} but received ${describeValue(seed)}`);
  const model = opts.model ?? 'marginal';
  const models = central ? availableGenerators() : federatedModels();
  if (!models.includes(model)) throw new UsageError(`Expected one of ${models.join(', ')} for ${names.model}${central ? '' : ' of a federated training'} but received ${describeValue(model)}`);
  const epsilon = opts.epsilon ?? 3;
  if (epsilon === Infinity) {
    if (!central) throw new UsageError(`Expected a finite epsilon for ${names.epsilon} of a federated training (a federation always runs with differential privacy) but received an explicitly non-private epsilon; add ${names.central} to train a non-private model on the pooled table`);
  } else {
    checkTrainingEpsilon(epsilon, names.epsilon, { federated: !central });
    checkTrainingDelta(opts.delta ?? 1e-5, names.delta);
  }
  const mode = opts.secureAggregation ?? 'pairwise';
  if (!SECURE_AGGREGATION_MODES.includes(mode)) throw new UsageError(`Expected one of ${SECURE_AGGREGATION_MODES.join(', ')} for ${names.secureAggregation} but received ${describeValue(mode)}`);
  const holdout = opts.holdoutPatients ?? Math.max(100, Math.round(patients / 3));
  if (!(Number.isInteger(holdout) && holdout >= sites)) throw new UsageError(`Expected an integer of at least ${sites} (one patient per site) for holdoutPatients but received ${describeValue(holdout)}`);
}

/**
 * Runs the demo pipeline.
 * @example
 * const summary = await runDemo({ out: 'demo-out' });
 * console.log(summary.anonymisation.map((s) => s.verdict));
 */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  checkDemoOptions(opts);
  const out = path.resolve(opts.out);
  const stage = opts.onStage ?? (() => {});
  fs.mkdirSync(out, { recursive: true });

  stage('simulate');
  const cohortDir = path.join(out, 'cohort');
  const sim = simulateCohort({ patients: opts.patients ?? 1500, sites: opts.sites ?? 4, seed: opts.seed ?? 7 });
  const files = writeSimulation(cohortDir, sim);
  const checks = runScdChecks(sim.patients);

  stage('anonymise');
  const policy = loadPolicy(shippedFile('policies', 'scd.json'));
  const anonDir = path.join(out, 'anonymised');
  const secretDir = path.join(out, 'site-secrets');
  fs.mkdirSync(anonDir, { recursive: true });
  fs.mkdirSync(secretDir, { recursive: true, mode: 0o700 });
  const anonymisation: DemoSiteSummary[] = [];
  for (const { site, patients } of sim.perSite) {
    // Each hospital keys its pseudonyms and date shifts with its own secret, which never
    // leaves the site; the demo keeps them in a separate folder readable by its owner only.
    const secretFile = path.join(secretDir, `${site}.key`);
    const secret = crypto.randomBytes(32).toString('hex');
    fs.writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
    const table = await readStringTable(path.join(cohortDir, `site-${site}.arrow`));
    const { table: released, report } = anonymiseTable(table, policy, { dataFile: path.join(cohortDir, `site-${site}.arrow`), secret });
    const releasedFile = path.join(anonDir, `site-${site}.csv`);
    const reportFile = path.join(anonDir, `site-${site}.report.json`);
    await writeStringTable(releasedFile, released);
    fs.writeFileSync(reportFile, JSON.stringify(report, null, 2) + '\n');
    anonymisation.push(siteSummary(site, patients.numRows, releasedFile, reportFile, report));
  }

  // What each site trains on: its table without direct identifiers and minimised to the policy.
  const trainingDir = path.join(out, 'deidentified');
  fs.mkdirSync(trainingDir, { recursive: true });
  const pooled = minimiseForTraining(sim.patients, sim.schema, policy);
  const siteTrainingFiles = sim.perSite.map(({ site, patients }) => {
    const file = path.join(trainingDir, `site-${site}.arrow`);
    writeArrowFile(file, minimiseForTraining(patients, sim.schema, policy).table);
    return file;
  });
  fs.writeFileSync(path.join(trainingDir, 'schema.json'), JSON.stringify(pooled.schema, null, 2) + '\n');

  stage('train');
  const model = opts.model ?? 'marginal';
  const epsilon = opts.epsilon ?? 3;
  const delta = opts.delta ?? 1e-5;
  const modelDir = path.join(out, 'model');
  fs.mkdirSync(modelDir, { recursive: true });
  const modelFile = path.join(modelDir, `${model}.hsm`);
  let t0 = Date.now();
  let trained: HemasynthModel;
  let ledgerFile: string;
  let ledgerJson: unknown = null;
  if (opts.central) {
    ledgerFile = path.join(modelDir, 'cohort.ledger.json');
    fs.rmSync(ledgerFile, { force: true });
    const ledger = epsilon === Infinity ? undefined : PrivacyLedger.create({ datasetFingerprint: tableFingerprint(pooled.table), budget: { epsilon, delta }, file: ledgerFile });
    trained = trainModel({ table: pooled.table, schema: pooled.schema, model, epsilon, delta, seed: opts.seed ?? 7, ledger });
    ledger?.save();
    ledgerJson = ledger ? ledger.toJSON() : null;
    if (!ledger) ledgerFile = '';
    saveModel(modelFile, trained);
  } else {
    // Each site keeps its own ledger; a fresh folder per run, so a rerun of the demo is not
    // refused for the budget the previous run already spent on the same simulated data.
    const ledgerDir = path.join(modelDir, 'site-ledgers');
    fs.rmSync(ledgerDir, { recursive: true, force: true });
    fs.mkdirSync(ledgerDir, { recursive: true });
    await runFederatedSimulation({
      siteFiles: siteTrainingFiles,
      schema: pooled.schema, model, epsilon, delta, out: modelFile, seed: opts.seed ?? 7,
      secureAggregation: opts.secureAggregation ?? 'pairwise', ledgerDir,
    });
    trained = loadModel(modelFile);
    ledgerFile = ledgerDir;
    ledgerJson = trained.manifest.privacy.ledger;
  }
  const trainSeconds = (Date.now() - t0) / 1000;

  stage('sample');
  t0 = Date.now();
  const rows = opts.syntheticRows ?? sim.patients.numRows;
  const synthetic = sampleModel(trained, { rows, seed: (opts.seed ?? 7) + 1 });
  const syntheticFile = path.join(out, 'synthetic.arrow');
  writeArrowFile(syntheticFile, synthetic);
  const sampleSeconds = (Date.now() - t0) / 1000;

  stage('evaluate');
  t0 = Date.now();
  // The holdout is real data the generator never saw: a separate cohort from the simulator.
  const holdout = simulateCohort({ patients: opts.holdoutPatients ?? Math.max(100, Math.round(sim.patients.numRows / 3)), sites: opts.sites ?? 4, seed: (opts.seed ?? 7) + 1_000_003 });
  const report = await evaluateSyntheticInPool({
    train: pooled.table, holdout: minimiseForTraining(holdout.patients, holdout.schema, policy).table, synthetic, schema: pooled.schema,
    ledger: ledgerJson, seed: opts.seed ?? 7,
    labels: { train: 'simulated cohort (training)', holdout: 'simulated holdout cohort', synthetic: path.basename(syntheticFile) },
  });
  const reportJson = path.join(out, 'report.json');
  const reportHtml = path.join(out, 'report.html');
  fs.writeFileSync(reportJson, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(reportHtml, await renderHtmlReport(report));
  const membership = report.privacy.membershipInference?.auc ?? null;

  const summary: DemoSummary = {
    out,
    cohort: { patients: sim.patients.numRows, sites: sim.perSite.map((s) => s.site), columns: sim.patients.numCols, visits: sim.visits.numRows, files },
    clinicalChecks: { passed: checks.filter((c) => c.passed).length, total: checks.length, failed: checks.filter((c) => !c.passed).map((c) => c.id) },
    anonymisation,
    generator: { model, training: opts.central ? 'central' : 'federated', secureAggregation: opts.central ? null : opts.secureAggregation ?? 'pairwise', file: modelFile, epsilon, delta, epsilonSpent: trained.manifest.privacy.epsilon, ledger: ledgerFile, seconds: trainSeconds },
    synthetic: { file: syntheticFile, rows: synthetic.numRows, seconds: sampleSeconds },
    report: { html: reportHtml, json: reportJson, clinicalPassed: report.summary.clinicalPassed, clinicalTotal: report.summary.clinicalTotal, membershipAuc: membership, seconds: (Date.now() - t0) / 1000 },
  };
  fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

function siteSummary(site: string, patients: number, released: string, reportFile: string, r: AnonymisationReport): DemoSiteSummary {
  return {
    site, patients, released, report: reportFile, levels: r.levels, suppressedRecords: r.suppressedRecords,
    averageProsecutorBefore: r.risk.before.averageProsecutor, averageProsecutorAfter: r.risk.after.averageProsecutor,
    highestProsecutorAfter: r.risk.after.highestProsecutor, verdict: r.verdict.level,
  };
}
