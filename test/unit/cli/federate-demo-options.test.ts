/**
 * `hemasynth federate` and `hemasynth demo` name every option as the user typed it (--epsilon,
 * --delta, --model, --sites, ...), never the internal field (epsilon, delta, model, ...), and
 * refuse a bad option before any work: no federation is set up, nothing is simulated or written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../support/run-cli';
import { checkDemoOptions } from '../../../src/demo';
import { UsageError } from '../../../src/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-option-names-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const p = (...names: string[]) => path.join(dir, ...names);

/** An option error that names an internal field ("for epsilon", "epsilon = Infinity") instead of the option. */
const INTERNAL_NAME = /for (epsilon|delta|model|patients|sites|seed|threshold|rounds|secureAggregation)\b|epsilon = Infinity/;

async function refused(args: string[], code: number, message: RegExp): Promise<void> {
  const r = await runCli(args);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(INTERNAL_NAME);
  expect(r.code).toBe(code);
}

describe('hemasynth federate simulate', () => {
  const sites = p('sites');
  beforeAll(() => {
    // Two site files by name: every refusal below comes before any is read.
    fs.mkdirSync(sites);
    for (const s of ['A', 'B']) fs.writeFileSync(path.join(sites, `site-${s}.arrow`), 'not read');
  });
  const simulate = (...extra: string[]) => ['federate', 'simulate', '--data', sites, '--model', 'marginal', '--out', p('fed.hsm'), ...extra];

  test.each([
    [['--epsilon', '1000'], /Expected an epsilon in \[0\.01, 100\] for --epsilon of a federated training \(a federation always runs with differential privacy\) but received 1000: above 100 the privacy guarantee is void .* not validated$/m],
    [['--epsilon', '0.005'], /for --epsilon of a federated training .* but received 0\.005: .*0\.01 is the smallest that works/],
    [['--epsilon', '1e-300'], /for --epsilon of a federated training .* but received 1e-300/],
    [['--epsilon', 'inf'], /Expected a finite epsilon for --epsilon but received "inf": a federation always runs with differential privacy/],
    [['--epsilon', '0'], /Expected a number in \(0, 100\] for --epsilon but received "0"/],
    [['--epsilon', '1e400'], /for --epsilon but received "1e400", which is too large for a number/],
    [['--epsilon', '1', '--delta', '0'], /Expected a number in \(0, 1\) for --delta but received "0"/],
    [['--epsilon', '1', '--delta', '1'], /Expected a number in \(0, 1\) for --delta but received "1"/],
    [['--epsilon', '1', '--delta', '5e-324'], /Expected a delta in \[7\.1e-15, 1\) for --delta of a DP training but received 5e-324/],
    [['--epsilon', '1', '--model', 'nosuch'], /Expected one of .*marginal.* for --model but received "nosuch"/],
    [['--epsilon', '0.05', '--visits'], /Expected an epsilon of at least 0\.1 for --epsilon of a federated training with visits .* but received 0\.05/],
    [['--epsilon', '1', '--threshold', '3'], /Expected a threshold in \[2, 2\] \(the number of site files\) for --threshold but received number 3/],
    [['--epsilon', '1', '--rounds', '0'], /for --rounds but received "0"/],
    [['--epsilon', '1', '--seed', 'x'], /for --seed but received "x"/],
    [['--epsilon', '1', '--dropout', '1'], /for --dropout but received "1"/],
    [['--epsilon', '1', '--secure-agg', 'x'], /for --secure-agg but received string "x"/],
  ])('%j exits 2 naming the option', async (extra, message) => {
    await refused(simulate(...extra), 2, message);
    expect(fs.existsSync(p('fed.hsm'))).toBe(false);
  });

  test('a missing --schema file is named by its option (was: an internal error)', async () => {
    await refused(simulate('--epsilon', '1', '--schema', p('absent.json')), 1, /Expected an existing file for --schema, file ".*absent\.json" but received a path that does not exist/);
  });
});

describe('hemasynth federate coordinator and site', () => {
  const coordinator = (...extra: string[]) => ['federate', 'coordinator', '--listen', '127.0.0.1:0', '--pki', dir, '--sites', 'a,b', '--out', p('coord.hsm'), ...extra];

  test.each([
    [['--model', 'marginal', '--epsilon', '1000'], /for --epsilon of a federated training .* but received 1000/],
    [['--model', 'marginal', '--epsilon', 'inf'], /Expected a finite epsilon for --epsilon but received "inf"/],
    [['--model', 'marginal', '--epsilon', '1', '--delta', '0'], /Expected a number in \(0, 1\) for --delta but received "0"/],
    [['--model', 'marginal', '--epsilon', '1', '--delta', '1e-300'], /for --delta of a DP training but received 1e-300/],
    [['--model', 'nosuch', '--epsilon', '1'], /Expected one of .*marginal.* for --model but received "nosuch"/],
    [['--model', 'copula', '--epsilon', '0.05', '--visits-schema', __filename], /for --epsilon of a federated training with visits .* but received 0\.05/],
  ])('coordinator %j exits 2 naming the option', async (extra, message) => {
    await refused(coordinator(...extra), 2, message);
  });

  test('site: --budget-epsilon and --budget-delta are refused at 0 and 1, naming the option', async () => {
    const site = (...extra: string[]) => ['federate', 'site', '--coordinator', '127.0.0.1:1', '--pki', dir, '--name', 'a', '--data', p('a.arrow'), ...extra];
    await refused(site('--budget-epsilon', '0', '--budget-delta', '0.5'), 2, /for --budget-epsilon but received "0"/);
    await refused(site('--budget-epsilon', '1', '--budget-delta', '1'), 2, /Expected a number in \(0, 1\) for --budget-delta but received "1"/);
  });
});

describe('hemasynth demo', () => {
  const out = p('demo-out');
  test.each([
    [['--epsilon', '1e-5'], /Expected an epsilon in \[0\.01, 100\] for --epsilon of a federated training .* but received 0\.00001: .*0\.01 is the smallest that works/],
    [['--epsilon', '1000'], /for --epsilon of a federated training .* but received 1000/],
    [['--epsilon', 'inf'], /Expected a finite epsilon for --epsilon of a federated training .*; add --central to train a non-private model/],
    [['--epsilon', '1000', '--central'], /for --epsilon of a DP training \(or --epsilon inf for an explicitly non-private model\) but received 1000/],
    [['--epsilon', '0'], /for --epsilon but received "0"/],
    [['--delta', '1e-15'], /Expected a delta in \[7\.1e-15, 1\) for --delta of a DP training but received 1e-15/],
    [['--delta', '0.2'], /for --delta but received "0\.2"/],
    [['--model', 'nosuch'], /Expected one of .*marginal.* for --model of a federated training but received string "nosuch"/],
    [['--model', 'nosuch', '--central'], /Expected one of .*marginal.* for --model but received string "nosuch"/],
    [['--sites', '1'], /Expected at least 2 for --sites of a federated training \(or --central to train on the pooled table\) but received 1/],
    [['--patients', '10', '--sites', '64'], /Expected at least one patient per site \(--patients >= --sites = 64\) for --patients but received 10/],
    [['--secure-agg', 'x'], /for --secure-agg but received string "x"/],
    [['--seed', '-1'], /for --seed but received "-1"/],
  ])('%j exits 2 naming the option, before anything is simulated or written', async (extra, message) => {
    await refused(['demo', '--out', out, ...extra], 2, message);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('checkDemoOptions names the fields of a library call as given', () => {
    expect(() => checkDemoOptions({ out, epsilon: 1000 })).toThrow(/for epsilon of a federated training/);
    expect(() => checkDemoOptions({ out, sites: 1 })).toThrow(/at least 2 for sites of a federated training \(or central to train on the pooled table\)/);
    expect(() => checkDemoOptions({ out, model: 'nosuch', central: true })).toThrow(UsageError);
    expect(() => checkDemoOptions({ out, epsilon: Infinity, central: true })).not.toThrow();
    expect(() => checkDemoOptions({ out })).not.toThrow();
  });
});

test('hemasynth simulate names --patients and --sites when there are fewer patients than sites', async () => {
  await refused(['simulate', '--out', p('sim'), '--patients', '3', '--sites', '4'], 2, /Expected at least one patient per site \(--patients >= --sites = 4\) for --patients but received 3/);
  expect(fs.existsSync(p('sim'))).toBe(false);
});
