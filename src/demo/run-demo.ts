/**
 * The main job of hemasynth on built-in data, end to end: simulate a multi-site SCD cohort,
 * anonymise each site under the shipped SCD policy, and summarise. Later stages (DP training,
 * federation, sampling, evaluation) join this pipeline as they land. Used by `hemasynth demo`
 * and callable from services.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { simulateCohort, writeSimulation } from '../scd';
import { runScdChecks } from '../evaluate/clinical/scd-checks';
import { anonymiseTable, loadPolicy, readStringTable, writeStringTable } from '../anonymise';
import type { AnonymisationReport } from '../anonymise';
import { packageRoot } from '../native/addon';

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
}

/** Path of a file shipped with the package (data/…), so the product never reads ../shared. */
export function shippedFile(...parts: string[]): string {
  return path.join(packageRoot, 'data', ...parts);
}

/**
 * Runs the demo pipeline.
 * @example
 * const summary = await runDemo({ out: 'demo-out' });
 * console.log(summary.anonymisation.map((s) => s.verdict));
 */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
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

  const summary: DemoSummary = {
    out,
    cohort: { patients: sim.patients.numRows, sites: sim.perSite.map((s) => s.site), columns: sim.patients.numCols, visits: sim.visits.numRows, files },
    clinicalChecks: { passed: checks.filter((c) => c.passed).length, total: checks.length, failed: checks.filter((c) => !c.passed).map((c) => c.id) },
    anonymisation,
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
