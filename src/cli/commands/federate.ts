/**
 * `hemasynth federate`: federated training with secure aggregation (docs/federation.md).
 * * `pki --out DIR --sites a,b,c`: a CA and mutual-TLS certificates for every party;
 * * `coordinator --listen HOST:PORT --pki DIR --sites a,b,c --model M ...`: drives the rounds;
 * * `site --coordinator HOST:PORT --pki DIR --name a --data FILE`: one hospital;
 * * `helper --listen HOST:PORT --pki DIR --sites a,b,c`: the second server of `two-server` mode;
 * * `simulate --data DIR --model M ...`: a coordinator and one site process per file on loopback.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { createFederationPki, loadPartyCredentials, parseSiteList } from '../../federated/pki';
import { FederationCoordinator, stderrLog } from '../../federated/coordinator';
import { defaultThreshold, parseSecureAggregationMode } from '../../federated/secure-aggregation';
import { ShareHelperServer } from '../../federated/share-helper';
import { federatedModel, federatedModels } from '../../federated/task';
import { runSite } from '../../federated/site-runner';
import { runFederatedSimulation } from '../../federated/simulation';
import { federatedCoordinator } from '../../federated/tasks/visits-round';
import { action, parseIntOption, parseNumberOption, printJson, parseModelOptions } from '../runtime';
import { preflightPaths } from '../output-paths';
import { UsageError } from '../../errors';
import { checkTrainingDelta, checkTrainingEpsilon, MAX_TRAINING_EPSILON, MIN_TRAINING_EPSILON } from '../../models/privacy-plan';
import { VISITS_SHARE } from '../../visits/visit-model';

/**
 * Parses --epsilon of a federated training: a finite ε a DP training can use (a federation always
 * runs with differential privacy, so "inf" is refused), named as typed.
 */
function parseFederationEpsilon(v: string): number {
  if (/^\s*[+]?inf(inity)?\s*$/i.test(v)) {
    throw new UsageError(`Expected a finite epsilon for --epsilon but received ${JSON.stringify(v)}: a federation always runs with differential privacy (for an explicitly non-private model, train on one table with hemasynth train --epsilon inf)`);
  }
  const n = Number(v.trim());
  if (v.trim() !== '' && Number.isFinite(n) && n > 0) return checkTrainingEpsilon(n, '--epsilon', { federated: true });
  // Not a number, at most 0, or one a double cannot hold: the parser's message says which.
  return parseNumberOption('--epsilon', { min: 0, max: MAX_TRAINING_EPSILON, minExclusive: true })(v);
}

/** Parses --delta of a federated training: in (0, 1) and certifiable, named as typed. */
function parseFederationDelta(v: string): number {
  return checkTrainingDelta(parseNumberOption('--delta', { min: 0, max: 1, minExclusive: true, maxExclusive: true })(v), '--delta');
}

/**
 * Refuses, naming the options as typed, what the federation would refuse only after its set-up:
 * an unknown --model, and an --epsilon whose visits share no accountant can certify.
 */
function checkFederationOptions(opts: { model: string; epsilon: number; visits: boolean }): void {
  const models = federatedModels();
  if (!models.includes(opts.model)) throw new UsageError(`Expected one of ${models.join(', ')} for --model but received ${JSON.stringify(opts.model)}`);
  if (opts.visits && opts.epsilon * VISITS_SHARE < MIN_TRAINING_EPSILON) {
    throw new UsageError(`Expected an epsilon of at least ${Number((MIN_TRAINING_EPSILON / VISITS_SHARE).toPrecision(6))} for --epsilon of a federated training with visits (their share ${VISITS_SHARE} of epsilon must be at least ${MIN_TRAINING_EPSILON}) but received ${opts.epsilon}`);
  }
}


function parseAddress(v: string, flag: string): string {
  if (!/^[^\s:]+:\d{1,5}$/.test(v) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(v)) throw new UsageError(`Expected HOST:PORT for ${flag} but received ${JSON.stringify(v)}`);
  return v;
}

export function register(program: Command): void {
  const federate = program.command('federate').description('federated training across sites with secure aggregation');
  federate
    .command('pki')
    .description('create a CA and certificates (ECDSA P-256) for the coordinator, the helper and each site')
    .requiredOption('--out <dir>', 'folder for ca.crt, ca.key and <party>.crt/.key')
    .requiredOption('--sites <list>', 'comma-separated site names, e.g. a,b,c')
    .option('--days <n>', 'validity in days', '365')
    .option('--json', 'print the files written as JSON')
    .action(action(async (opts: { out: string; sites: string; days: string; json?: boolean }) => {
      const days = Number(opts.days);
      if (!(Number.isInteger(days) && days >= 1 && days <= 3650)) throw new UsageError(`Expected an integer in [1, 3650] for --days but received ${JSON.stringify(opts.days)}`);
      const files = await createFederationPki(opts.out, parseSiteList(opts.sites), { days });
      if (opts.json) return printJson(files);
      process.stdout.write(`wrote CA ${files.ca} and certificates for ${Object.keys(files.parties).join(', ')}\n`);
    }));

  federate
    .command('coordinator')
    .description('run the coordinator: drive the training rounds over the sites and write the model; it sees only sums of masked vectors')
    .requiredOption('--listen <host:port>', 'address to listen on, e.g. 0.0.0.0:7070')
    .requiredOption('--pki <dir>', 'folder with ca.crt, coordinator.crt and coordinator.key')
    .requiredOption('--sites <list>', 'comma-separated site names (their certificate CNs)')
    .requiredOption('--model <name>', `federated model (${federatedModels().join(', ')})`)
    .requiredOption('--out <file>', 'model file to write (.hsm)')
    .requiredOption('--epsilon <e>', 'privacy budget ε of the training', parseFederationEpsilon)
    .option('--delta <d>', 'privacy parameter δ in (0, 1)', parseFederationDelta, 1e-6)
    .option('--rounds <n>', 'rounds of iterative protocols (default: the model\'s, 30 for tvae; the marginal model has its own fixed rounds)', parseIntOption('--rounds', 1, 100_000))
    .option('--schema <file>', 'the table schema (schema JSON, or an Arrow file whose embedded schema is used; its rows are not read)')
    .option('--secure-agg <mode>', 'pairwise | two-server | none', 'pairwise')
    .option('--helper <host:port>', 'the helper server (two-server mode)')
    .option('--threshold <t>', 'Shamir threshold: sites needed at every phase (default: a strict majority)', parseIntOption('--threshold', 2, 10_000))
    .option('--phase-timeout <ms>', 'how long a phase waits for a silent site', parseIntOption('--phase-timeout', 100, 86_400_000), 30_000)
    .option('--options <json>', 'model options as JSON, e.g. {"bins": 8}')
    .option('--visits-schema <file>', 'also train a visits model (10% of epsilon, one extra round; every site runs with --visits): the visits table\'s schema JSON or an Arrow file with one embedded')
    .option('--json', 'print the summary as JSON')
    .action(action(async (opts: { listen: string; pki: string; sites: string; model: string; out: string; epsilon: number; delta: number; rounds?: number; schema?: string; secureAgg: string; helper?: string; threshold?: number; phaseTimeout: number; options?: string; visitsSchema?: string; json?: boolean }) => {
      const sites = parseSiteList(opts.sites);
      const mode = parseSecureAggregationMode(opts.secureAgg);
      if (mode === 'two-server' && !opts.helper) throw new UsageError('Expected --helper HOST:PORT with --secure-agg two-server but received none');
      const threshold = opts.threshold ?? defaultThreshold(sites.length);
      if (threshold > sites.length) throw new UsageError(`Expected a threshold of at most ${sites.length} (the number of sites) for --threshold but received ${threshold}`);
      checkFederationOptions({ model: opts.model, epsilon: opts.epsilon, visits: opts.visitsSchema !== undefined });
      preflightPaths({
        inputs: [{ option: '--schema', path: opts.schema }, { option: '--visits-schema', path: opts.visitsSchema }],
        outputs: [{ option: '--out', path: opts.out }],
      });
      const task = federatedCoordinator(opts.model, {
        rounds: opts.rounds ?? federatedModel(opts.model).defaultRounds ?? 1, epsilon: opts.epsilon, delta: opts.delta, sites, threshold, distributedDp: mode !== 'none',
        schemaHint: opts.schema, options: parseModelOptions(opts.options),
      }, opts.visitsSchema ? { schema: opts.visitsSchema } : undefined);
      const c = new FederationCoordinator({
        listen: parseAddress(opts.listen, '--listen'), credentials: loadPartyCredentials({ dir: opts.pki, party: 'coordinator' }), sites, threshold, task,
        secureAggregation: mode, out: opts.out, helperAddress: opts.helper && parseAddress(opts.helper, '--helper'), phaseTimeoutMs: opts.phaseTimeout, log: stderrLog,
      });
      await c.start();
      try {
        const r = await c.run();
        if (opts.json) return printJson(r);
        process.stdout.write(`federated ${opts.model} model over ${sites.length} sites (${mode} secure aggregation, ${r.rounds} rounds) -> ${path.relative(process.cwd(), r.out) || r.out}\n`);
      } finally {
        await c.stop();
      }
    }));

  federate
    .command('site')
    .description('run a site: connect to the coordinator, train locally each round, send only masked vectors; data never leaves')
    .requiredOption('--coordinator <host:port>', 'the coordinator address')
    .requiredOption('--pki <dir>', 'folder with ca.crt, <name>.crt and <name>.key')
    .requiredOption('--name <name>', 'this site\'s name (its certificate CN)')
    .requiredOption('--data <file>', 'this site\'s data (Arrow IPC)')
    .option('--visits <file>', 'this site\'s visits table (Arrow IPC, linked by patient_id), when the federation trains a visits model')
    .option('--ledger <file>', 'privacy ledger of the data (default <data>.ledger.json)')
    .option('--budget-epsilon <e>', 'budget ε of a ledger created now (default: the federation\'s ε)', parseNumberOption('--budget-epsilon', { min: 0, minExclusive: true }))
    .option('--budget-delta <d>', 'budget δ of a ledger created now, in (0, 1) (default: the federation\'s δ)', parseNumberOption('--budget-delta', { min: 0, max: 1, minExclusive: true, maxExclusive: true }))
    .option('--server-name <name>', 'TLS name of the coordinator when it differs from the host')
    .option('--json', 'print the rounds this site contributed to as JSON')
    .action(action(async (opts: { coordinator: string; pki: string; name: string; data: string; visits?: string; ledger?: string; budgetEpsilon?: number; budgetDelta?: number; serverName?: string; json?: boolean }) => {
      if ((opts.budgetEpsilon === undefined) !== (opts.budgetDelta === undefined)) throw new UsageError('Expected both --budget-epsilon and --budget-delta (or neither) but received one');
      const r = await runSite({
        coordinator: parseAddress(opts.coordinator, '--coordinator'), pki: opts.pki, name: opts.name, data: opts.data, visits: opts.visits, ledgerFile: opts.ledger,
        budget: opts.budgetEpsilon !== undefined ? { epsilon: opts.budgetEpsilon, delta: opts.budgetDelta as number } : undefined, serverName: opts.serverName,
      });
      if (opts.json) return printJson(r);
      process.stdout.write(`site ${opts.name}: contributed to rounds ${r.contributed.join(', ') || '(none)'}\n`);
    }));

  federate
    .command('helper')
    .description('run the second server of two-server secure aggregation (must not collude with the coordinator)')
    .requiredOption('--listen <host:port>', 'address to listen on')
    .requiredOption('--pki <dir>', 'folder with ca.crt, helper.crt and helper.key')
    .requiredOption('--sites <list>', 'comma-separated site names')
    .action(action(async (opts: { listen: string; pki: string; sites: string }) => {
      const h = new ShareHelperServer({ listen: parseAddress(opts.listen, '--listen'), credentials: loadPartyCredentials({ dir: opts.pki, party: 'helper' }), sites: parseSiteList(opts.sites) });
      const port = await h.start();
      stderrLog('helper-listening', { port });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      h.stop();
    }));

  federate
    .command('simulate')
    .description('train across the site files of a folder: a coordinator and one site process per file on loopback, through the real gRPC/mTLS protocol')
    .requiredOption('--data <dir>', 'folder of site files (site-*.arrow when present, as written by hemasynth simulate; else every .arrow file)')
    .requiredOption('--model <name>', `federated model (${federatedModels().join(', ')})`)
    .requiredOption('--out <file>', 'model file to write (.hsm)')
    .requiredOption('--epsilon <e>', 'privacy budget ε', parseFederationEpsilon)
    .option('--delta <d>', 'privacy parameter δ in (0, 1)', parseFederationDelta, 1e-6)
    .option('--rounds <n>', 'rounds of iterative protocols (default: the model\'s, 30 for tvae; the marginal model has its own fixed rounds)', parseIntOption('--rounds', 1, 100_000))
    .option('--secure-agg <mode>', 'pairwise | two-server | none', 'pairwise')
    .option('--dropout <p>', 'probability that a site drops out at a random phase of each round attempt', parseNumberOption('--dropout', { min: 0, max: 0.99 }), 0)
    .option('--threshold <t>', 'Shamir threshold (default: a strict majority)', parseIntOption('--threshold', 2, 10_000))
    .option('--schema <file>', 'schema JSON (default: DIR/schema.json, else the first site file\'s embedded schema)')
    .option('--ledger-dir <dir>', 'where the sites keep their ledgers (default: next to each data file)')
    .option('--seed <n>', 'seed of the protocol\'s public randomness (DP noise always comes from the OS CSPRNG)', parseIntOption('--seed', 0, 2 ** 31 - 1))
    .option('--options <json>', 'model options as JSON, e.g. {"bins": 8}')
    .option('--visits', 'also train a visits model from each site\'s visits-<SITE>.arrow (10% of epsilon, one extra round)')
    .option('--visits-schema <file>', 'schema of the visits table (default: DIR/visits.schema.json, else the first visits file\'s embedded schema)')
    .option('--json', 'print the result as JSON')
    .action(action(async (opts: { data: string; model: string; out: string; epsilon: number; delta: number; rounds?: number; secureAgg: string; dropout: number; threshold?: number; schema?: string; ledgerDir?: string; seed?: number; options?: string; visits?: boolean; visitsSchema?: string; json?: boolean }) => {
      if (opts.visitsSchema && !opts.visits) throw new UsageError('Expected --visits with --visits-schema but received --visits-schema alone');
      checkFederationOptions({ model: opts.model, epsilon: opts.epsilon, visits: Boolean(opts.visits) });
      preflightPaths({
        inputs: [{ option: '--schema', path: opts.schema }, { option: '--visits-schema', path: opts.visitsSchema }],
        outputs: [{ option: '--out', path: opts.out }],
      });
      const r = await runFederatedSimulation({
        dataDir: opts.data, model: opts.model, out: opts.out, epsilon: opts.epsilon, delta: opts.delta, rounds: opts.rounds,
        secureAggregation: parseSecureAggregationMode(opts.secureAgg), dropout: opts.dropout, threshold: opts.threshold, schema: opts.schema,
        ...(opts.visits ? { visits: opts.visitsSchema ? { schema: opts.visitsSchema } : true } : {}),
        ledgerDir: opts.ledgerDir, seed: opts.seed, options: parseModelOptions(opts.options),
        log: opts.json ? undefined : (event, f) => { if (/^(round-complete|round-aborted|refused|timeout|left|joined)$/.test(event)) stderrLog(event, f); },
      });
      if (opts.json) return printJson(r);
      process.stdout.write(`federated ${r.model} model over ${r.sites.length} sites (${r.sites.map((s) => s.name).join(', ')}; ${r.secureAggregation} secure aggregation, t=${r.threshold}), ${r.rounds} rounds, ε=${r.epsilon} -> ${path.relative(process.cwd(), r.out) || r.out} in ${r.seconds.toFixed(1)} s\n`);
    }));
}
