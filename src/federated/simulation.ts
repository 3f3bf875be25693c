/**
 * A whole federation on one machine: the coordinator in this process and one site per data file
 * as a separate process, on loopback, through the same gRPC/mutual-TLS code as a real
 * deployment (a quick-start PKI is made for the run). Used by `hemasynth federate simulate` and
 * `hemasynth demo`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, ChildProcess } from 'node:child_process';
import { UsageError, HemasynthError, describeValue } from '../errors';
import { packageRoot } from '../native/addon';
import { FederationCoordinator, FederationLog } from './coordinator';
import { createFederationPki, loadPartyCredentials } from './pki';
import { defaultThreshold, parseSecureAggregationMode, SecureAggregationMode } from './secure-aggregation';
import { ShareHelperServer } from './share-helper';
import { federatedModel } from './task';
import { federatedCoordinator } from './tasks/visits-round';
import type { RunSiteOptions } from './site-runner';
import './tasks';

/** Options of {@link runFederatedSimulation}. */
export interface FederatedSimulationOptions {
  /** A folder of site files: `site-*.arrow` when there are any (what `hemasynth simulate` writes), else every `.arrow` file. */
  dataDir?: string;
  /** Explicit site files (instead of dataDir). */
  siteFiles?: string[];
  /** A registered federated model (e.g. "marginal"). */
  model: string;
  /** Rounds for iterative protocols (federated averaging); the marginal protocol has its own fixed rounds. */
  rounds?: number;
  epsilon: number;
  delta: number;
  /** Output model file. */
  out: string;
  /** Default "pairwise". */
  secureAggregation?: SecureAggregationMode;
  /** Probability that a site drops out at a random phase of each round attempt (default 0). */
  dropout?: number;
  /** Seed of the protocol's public randomness (e.g. candidate pairs); DP noise always comes from the OS CSPRNG. */
  seed?: number;
  /** Shamir threshold t (default: a strict majority, at least 2). */
  threshold?: number;
  /** Schema: a TableSchema, a schema JSON file or an Arrow file with an embedded schema (default: DIR/schema.json, else the first site file's embedded schema). */
  schema?: unknown;
  /** Model options (e.g. { bins, maxCandidatePairs }). */
  options?: Record<string, unknown>;
  /**
   * Train a visits model too (tasks/visits-round.ts): each site's visits are the file
   * `visits-<SITE>.arrow` beside its `site-<SITE>.arrow` (what `hemasynth simulate` writes); the
   * visits schema defaults to DIR/visits.schema.json, else the first visits file's embedded one.
   */
  visits?: boolean | { schema?: unknown; share?: number };
  /** Where each site keeps its ledger (default: next to its data, `<file>.ledger.json`). */
  ledgerDir?: string;
  /** Budget of site ledgers created by the run (default: epsilon and delta). */
  siteBudget?: { epsilon: number; delta: number };
  phaseTimeoutMs?: number;
  log?: FederationLog;
}

/** What {@link runFederatedSimulation} returns. */
export interface FederatedSimulationResult {
  model: string;
  /** The model file written. */
  out: string;
  rounds: number;
  secureAggregation: SecureAggregationMode;
  threshold: number;
  epsilon: number;
  delta: number;
  sites: Array<{ name: string; file: string; exitCode: number | null; contributed: number[] }>;
  /** The protocol's own summary (e.g. columns and tree edges of a marginal model). */
  summary: unknown;
  seconds: number;
}

/**
 * Site files of a folder: `site-*` data files when present (so that pooled files such as
 * patients.arrow and visits-*.arrow are not taken for sites), else every `.arrow` file.
 * @example siteFilesIn('cohort') // ['cohort/site-ES1.arrow', 'cohort/site-FR1.arrow', ...]
 */
export function siteFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (e) {
    throw new UsageError(`Expected a readable folder of site files for --data but received ${JSON.stringify(dir)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const sites = names.filter((n) => /^site-.+\.arrow$/.test(n));
  const picked = sites.length ? sites : names.filter((n) => n.endsWith('.arrow'));
  if (picked.length < 2) throw new UsageError(`Expected at least 2 site files (site-*.arrow, or *.arrow) in ${JSON.stringify(dir)} but received ${picked.length}`);
  return picked.map((n) => path.join(dir, n));
}

/** The site name of a file: `site-IT1.arrow` → `IT1`. */
export function siteNameOf(file: string): string {
  return siteStem(file).replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** A site file's name without its folder, extension and `site-` prefix. */
function siteStem(file: string): string {
  return path.basename(file).replace(/\.[^.]+$/, '').replace(/^site-/, '');
}

/**
 * The visits file of a site file: `visits-IT1.arrow` beside `site-IT1.arrow`.
 * @example siteVisitsFile('cohort/site-IT1.arrow') // 'cohort/visits-IT1.arrow'
 */
export function siteVisitsFile(file: string): string {
  const visits = path.join(path.dirname(file), `visits-${siteStem(file)}.arrow`);
  if (!fs.existsSync(visits)) throw new UsageError(`Expected the visits file ${JSON.stringify(visits)} of site file ${JSON.stringify(file)} (a federation with visits reads visits-<SITE>.arrow beside site-<SITE>.arrow) but it does not exist`);
  return visits;
}

/** How to start a site process: the compiled entry, or (from the TypeScript sources) through the test transpiler. */
function siteProcessCommand(): string[] {
  const js = path.join(__dirname, 'site-process.js');
  if (fs.existsSync(js)) return [js];
  const register = path.join(packageRoot, 'test', 'integration', 'federated', 'ts-register.js');
  const ts = path.join(__dirname, 'site-process.ts');
  if (fs.existsSync(ts) && fs.existsSync(register)) return ['-r', register, ts];
  throw new HemasynthError(`cannot find the site process entry (${js}); build the package with npm run build`);
}

function siteProcess(children: ChildProcess[], o: RunSiteOptions, log: FederationLog): Promise<{ code: number | null; out: string; lastError: string }> {
  const child = spawn(process.execPath, [...siteProcessCommand(), JSON.stringify(o)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  children.push(child);
  let out = '';
  let err = '';
  let lastError = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => {
    err += d;
    let nl: number;
    while ((nl = err.indexOf('\n')) >= 0) {
      const line = err.slice(0, nl);
      err = err.slice(nl + 1);
      try {
        const j = JSON.parse(line) as { event?: string; error?: string; reason?: string };
        if (j.error || j.event === 'site-failed') lastError = j.error ?? lastError;
        if (j.event && j.event !== 'welcomed' && j.event !== 'round-result') log(`site:${j.event}`, { ...j, event: undefined });
      } catch {
        if (line.trim()) log('site-output', { site: o.name, line });
      }
    }
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, lastError })));
}

/**
 * Trains a federated model across the site files with secure aggregation: one process per site,
 * the coordinator here, all on loopback with mutual TLS.
 * @example
 * const r = await runFederatedSimulation({ dataDir: 'cohort', model: 'marginal', epsilon: 1, delta: 1e-6, out: 'fed.hsm' });
 * r.sites.map((s) => s.name) // ['ES1', 'FR1', 'IT1', 'NL1']
 */
export async function runFederatedSimulation(o: FederatedSimulationOptions): Promise<FederatedSimulationResult> {
  const t0 = Date.now();
  const files = o.siteFiles ?? (o.dataDir ? siteFilesIn(o.dataDir) : []);
  if (files.length < 2) throw new UsageError(`Expected at least 2 site files (dataDir or siteFiles) but received ${files.length}`);
  for (const f of files) if (!fs.existsSync(f)) throw new UsageError(`Expected a readable site file but received ${JSON.stringify(f)} (not found)`);
  const names = files.map(siteNameOf);
  if (new Set(names).size !== names.length) throw new UsageError(`Expected distinct site names but the files ${files.join(', ')} give ${names.join(', ')}`);
  const mode = parseSecureAggregationMode(o.secureAggregation ?? 'pairwise');
  if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) throw new UsageError(`Expected a probability in [0, 1) for --dropout but received ${describeValue(o.dropout)}`);
  const threshold = o.threshold ?? defaultThreshold(files.length);
  if (!(Number.isInteger(threshold) && threshold >= 2 && threshold <= files.length)) throw new UsageError(`Expected a threshold in [2, ${files.length}] (the number of site files) for --threshold but received ${describeValue(threshold)}`);
  const log = o.log ?? (() => undefined);
  const schemaHint = o.schema ?? (o.dataDir && fs.existsSync(path.join(o.dataDir, 'schema.json')) ? path.join(o.dataDir, 'schema.json') : files[0]);
  const visitsFiles = o.visits ? files.map(siteVisitsFile) : undefined;
  const visitsSchema = typeof o.visits === 'object' && o.visits.schema !== undefined ? o.visits.schema
    : visitsFiles && (o.dataDir && fs.existsSync(path.join(o.dataDir, 'visits.schema.json')) ? path.join(o.dataDir, 'visits.schema.json') : visitsFiles[0]);
  const task = federatedCoordinator(o.model, {
    rounds: o.rounds ?? federatedModel(o.model).defaultRounds ?? 1, epsilon: o.epsilon, delta: o.delta, sites: names, threshold, distributedDp: mode !== 'none', schemaHint,
    options: { ...(o.options ?? {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) },
  }, o.visits ? { schema: visitsSchema, share: typeof o.visits === 'object' ? o.visits.share : undefined } : undefined);
  // The sites' ledgers are created there on their first charge.
  if (o.ledgerDir) fs.mkdirSync(o.ledgerDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-federation-'));
  let helper: ShareHelperServer | undefined;
  let coordinator: FederationCoordinator | undefined;
  const children: ChildProcess[] = [];
  try {
    const pki = path.join(work, 'pki');
    await createFederationPki(pki, names);
    let helperAddress: string | undefined;
    if (mode === 'two-server') {
      helper = new ShareHelperServer({ listen: '127.0.0.1:0', credentials: loadPartyCredentials({ dir: pki, party: 'helper' }), sites: names, log });
      helperAddress = `127.0.0.1:${await helper.start()}`;
    }
    const checkpointFile = path.join(work, 'checkpoint.json');
    coordinator = new FederationCoordinator({
      listen: '127.0.0.1:0', credentials: loadPartyCredentials({ dir: pki, party: 'coordinator' }), sites: names, threshold, task,
      secureAggregation: mode, out: o.out, checkpointFile, helperAddress, log, phaseTimeoutMs: o.phaseTimeoutMs ?? 30_000, joinTimeoutMs: 60_000, maxAttempts: 8,
    });
    const port = await coordinator.start();
    const procs = files.map((file, i) => siteProcess(children, {
      coordinator: `127.0.0.1:${port}`, pki, name: names[i], data: path.resolve(file), dropout: o.dropout, ...(visitsFiles ? { visits: path.resolve(visitsFiles[i]) } : {}),
      ledgerFile: o.ledgerDir ? path.join(o.ledgerDir, `${path.basename(file)}.ledger.json`) : undefined,
      budget: o.siteBudget, connectTimeoutMs: 30_000,
    }, log));
    const run = coordinator.run();
    run.catch(() => undefined);
    // Sites that all die before the end must not leave the coordinator waiting out its timeouts:
    // after the last site process exits, the run has a short grace to finish, else it fails with their reasons.
    const allExited = Promise.all(procs);
    const first = await Promise.race([run.then((r) => ({ r })), allExited.then(() => null)]);
    let result = first?.r;
    if (!result) {
      const late = await within(run.then((r) => ({ r })), 5000, null);
      if (!late) {
        const exits = await allExited;
        throw new HemasynthError(`every site process exited before the federation finished: ${exits.map((e, i) => `${names[i]} (exit ${e.code}${e.lastError ? `: ${e.lastError}` : ''})`).join('; ')}`);
      }
      result = late.r;
    }
    // The model is written; a site still reconnecting (it dropped out of the last round) is told
    // so by the coordinator, and any process left after a grace period is ended.
    const grace = await within(allExited.then(() => true), 5000, false);
    if (!grace) for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await coordinator.stop();
    const exits = await allExited;
    const sites = names.map((name, i) => {
      let contributed: number[] = [];
      try {
        contributed = (JSON.parse(exits[i].out.trim().split('\n').pop() || '{}') as { contributed?: number[] }).contributed ?? [];
      } catch {
        /* the site printed no result */
      }
      return { name, file: files[i], exitCode: exits[i].code, contributed };
    });
    return { model: o.model, out: o.out, rounds: result.rounds, secureAggregation: mode, threshold, epsilon: o.epsilon, delta: o.delta, sites, summary: result.summary, seconds: (Date.now() - t0) / 1000 };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await coordinator?.stop();
    helper?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** `p`, or `fallback` after `ms`; the timer is cleared either way so that it never holds the process open. */
async function within<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<F>((r) => { timer = setTimeout(() => r(fallback), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
