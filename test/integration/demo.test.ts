import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../support/run-cli';

describe('hemasynth demo', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-demo-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('simulates the cohort, anonymises every site and writes a summary', async () => {
    const r = await runCli(['demo', '--out', out, '--patients', '800', '--sites', '3', '--seed', '11', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.cohort.patients).toBe(800);
    expect(summary.cohort.sites).toHaveLength(3);
    expect(summary.anonymisation).toHaveLength(3);
    expect(summary.anonymisation.reduce((s: number, x: { patients: number }) => s + x.patients, 0)).toBe(800);
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
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).cohort.patients).toBe(800);
  });

  it('refuses a bad option with exit code 2', async () => {
    const r = await runCli(['demo', '--out', out, '--patients', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Expected an integer in \[10, 10000000\] for --patients but received "many"/);
  });
});
