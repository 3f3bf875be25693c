/** `hemasynth simulate` through the CLI: files, determinism by bytes, exit codes and messages. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readArrowFile } from '../../src/data/arrow-file';
import { embeddedSchema } from '../../src/data/arrow-types';
import { runCli } from '../support/run-cli';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-cli-simulate-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const digest = (dir: string) =>
  Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]));

describe('hemasynth simulate', () => {
  it('writes per-site and pooled Arrow files, visits, schema and parameters; same seed gives the same bytes', async () => {
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    const r1 = await runCli(['simulate', '--patients', '300', '--sites', '2', '--seed', '5', '--out', a, '--json']);
    expect(r1.code).toBe(0);
    const r2 = await runCli(['simulate', '--patients', '300', '--sites', '2', '--seed', '5', '--out', b]);
    expect(r2.code).toBe(0);
    const files = fs.readdirSync(a).sort();
    for (const f of ['patients.arrow', 'visits.arrow', 'schema.json', 'visits.schema.json', 'params.json', 'site-IT1.arrow', 'site-NL1.arrow', 'visits-IT1.arrow', 'visits-NL1.arrow']) {
      expect(files).toContain(f);
    }
    expect(digest(a)).toEqual(digest(b));
    const pooled = readArrowFile(path.join(a, 'patients.arrow'));
    const perSite = readArrowFile(path.join(a, 'site-IT1.arrow')).numRows + readArrowFile(path.join(a, 'site-NL1.arrow')).numRows;
    expect(pooled.numRows).toBe(300);
    expect(perSite).toBe(300);
    const schema = JSON.parse(fs.readFileSync(path.join(a, 'schema.json'), 'utf8'));
    expect(schema.columns.map((c: { name: string }) => c.name)).toEqual(pooled.schema.fields.map((f) => f.name));
    // Each Arrow file carries the schema (roles, constraints), so training without --schema keeps them.
    expect(embeddedSchema(pooled.schema)).toEqual(schema);
    expect((embeddedSchema(readArrowFile(path.join(a, 'site-IT1.arrow')).schema) as { constraints: string[] }).constraints).toContain('hbs_pct + hbf_pct + hba2_pct + hba_pct <= 100');
  });

  it('exits 2 with the option named for a bad value, 1 naming the field for bad parameters', async () => {
    const bad = await runCli(['simulate', '--patients', '-3', '--out', path.join(root, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--patients/);
    const params = path.join(root, 'params.json');
    fs.writeFileSync(params, JSON.stringify({ cohort: { genotype_probs: { SS: 'many' } } }));
    const r = await runCli(['simulate', '--patients', '50', '--params', params, '--out', path.join(root, 'y')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/genotype_probs/);
  });

  it('refuses to leave an earlier run\'s site files beside a run with other sites, writing nothing', async () => {
    const out = path.join(root, 'rerun');
    expect((await runCli(['simulate', '--patients', '120', '--sites', '3', '--seed', '1', '--out', out])).code).toBe(0);
    const before = fs.readdirSync(out).sort();
    const pooled = fs.readFileSync(path.join(out, 'patients.arrow'));
    const r = await runCli(['simulate', '--patients', '120', '--sites', '2', '--seed', '1', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/earlier simulation with other sites; remove them or choose another --out/);
    expect(r.stderr).toMatch(/site-[A-Z]{2}\d\.arrow/);
    expect(fs.readdirSync(out).sort()).toEqual(before);
    expect(fs.readFileSync(path.join(out, 'patients.arrow')).equals(pooled)).toBe(true);
    // The same sites again overwrite their own files.
    expect((await runCli(['simulate', '--patients', '120', '--sites', '3', '--seed', '2', '--out', out])).code).toBe(0);
  });
});
