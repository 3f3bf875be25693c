import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli } from '../support/run-cli';

// The whole job runs through the compiled CLI (dist/, built by `npm test`'s pretest step) in its
// own process, as a user runs it: under jest's module system its numeric loops run far slower.
const cliJs = path.resolve(__dirname, '../../dist/cli/main.js');

describe('hemasynth demo', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-demo-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('simulates, anonymises every site, trains a DP generator, samples and writes the validation report', async () => {
    const p = spawnSync(process.execPath, [cliJs, 'demo', '--out', out, '--patients', '600', '--sites', '3', '--seed', '11', '--epsilon', '2', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const r = { code: p.status, stdout: p.stdout, stderr: p.stderr };
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.cohort.patients).toBe(600);
    expect(summary.cohort.sites).toHaveLength(3);
    expect(summary.anonymisation).toHaveLength(3);
    expect(summary.anonymisation.reduce((s: number, x: { patients: number }) => s + x.patients, 0)).toBe(600);
    for (const site of summary.anonymisation) {
      // The released table exists, carries no direct identifier and lowers the risk.
      const released = fs.readFileSync(site.released, 'utf8');
      const header = released.split(/\r?\n/)[0].split(',');
      for (const direct of ['name', 'hospital_record_number', 'date_of_birth', 'postcode']) expect(header).not.toContain(direct);
      expect(site.averageProsecutorAfter).toBeLessThan(site.averageProsecutorBefore);
      expect(site.highestProsecutorAfter).toBeLessThanOrEqual(0.2 + 1e-12);
      // Site secrets are private to their owner.
      expect(fs.statSync(path.join(out, 'site-secrets', `${site.site}.key`)).mode & 0o077).toBe(0);
    }
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).cohort.patients).toBe(600);
    // What the sites trained on carries no direct identifier.
    const trainingSchema = JSON.parse(fs.readFileSync(path.join(out, 'deidentified', 'schema.json'), 'utf8'));
    for (const c of trainingSchema.columns) expect(c.role).not.toBe('direct-identifier');
    // The generator spent no more than its budget, and the ledger file records it.
    expect(summary.generator.epsilon).toBe(2);
    expect(summary.generator.epsilonSpent).toBeLessThanOrEqual(2 + 1e-9);
    expect(summary.generator.epsilonSpent).toBeGreaterThan(0);
    // Trained across the sites with secure aggregation: every site charged its own ledger.
    expect(summary.generator.training).toBe('federated');
    expect(summary.generator.secureAggregation).toBe('pairwise');
    const siteLedgers = fs.readdirSync(summary.generator.ledger).filter((f) => f.endsWith('.json'));
    expect(siteLedgers).toHaveLength(3);
    for (const f of siteLedgers) {
      const ledger = JSON.parse(fs.readFileSync(path.join(summary.generator.ledger, f), 'utf8'));
      expect(ledger.entries.length).toBeGreaterThan(0);
    }
    expect(fs.statSync(summary.generator.file).size).toBeGreaterThan(1000);
    expect(summary.synthetic.rows).toBe(600);
    // The report exists in both forms, carries the ledger, and names no training row.
    const report = JSON.parse(fs.readFileSync(summary.report.json, 'utf8'));
    expect(report.ledger).not.toBeNull();
    expect(report.inputs.synthetic.rows).toBe(600);
    expect(report.clinical.length).toBeGreaterThan(0);
    const html = fs.readFileSync(summary.report.html, 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('refuses a bad option with exit code 2', async () => {
    const r = await runCli(['demo', '--out', out, '--patients', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Expected an integer in \[10, 10000000\] for --patients but received "many"/);
  });
});
