/**
 * `hemasynth schema validate` checks a schema's constraints against the schema (form, columns,
 * kinds, bounds), naming each wrong one by index and text, and checks the rows of a table against
 * the constraints, listing the rows that break one (row number, constraint, values; capped).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../support/run-cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-schema-constraints-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const columns = [
  { name: 'hb_g_dl', kind: 'continuous', min: 3, max: 17 },
  { name: 'hbf_pct', kind: 'continuous', min: 0, max: 50 },
  { name: 'genotype', kind: 'categorical', categories: ['SS', 'SC'] },
];
function schemaFile(name: string, constraints: string[]): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, JSON.stringify({ version: 1, columns, constraints }));
  return f;
}
function csvFile(name: string, rows: Array<[number, number, string]>): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, ['hb_g_dl,hbf_pct,genotype', ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return f;
}

describe('schema validate: constraints', () => {
  test('a syntax error and an unknown column are reported with index, text and what is wrong (exit 1), alone or before data', async () => {
    const bad = schemaFile('bad.json', ['hb_g_dl + hbf_pct <= 60', 'hb_g_dl +* 3', 'b < 3', 'hb_g_dl + hbf_pct <= 2']);
    const r = await runCli(['schema', 'validate', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid schema: 3 wrong constraints');
    expect(r.stderr).toMatch(/constraints\[1\] "hb_g_dl \+\* 3": expected a constraint of the form .*; received text of none of these forms/);
    expect(r.stderr).toMatch(/constraints\[2\] "b < 3": expected a constraint on columns of the schema; received unknown column "b"/);
    expect(r.stderr).toMatch(/constraints\[3\] "hb_g_dl \+ hbf_pct <= 2": expected a constraint that the columns' bounds allow; received the columns' minimums \(hb_g_dl min 3; hbf_pct min 0\) already make the sum 3, above 2/);
    expect(r.stderr).not.toContain('constraints[0]');
    const json = await runCli(['schema', 'validate', bad, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, constraintProblems: [{ index: 1, constraint: 'hb_g_dl +* 3' }, { index: 2, constraint: 'b < 3' }, { index: 3 }] });
    const withData = await runCli(['schema', 'validate', csvFile('ok.csv', [[5, 2, 'SS']]), '--schema', schemaFile('unk.json', ['nosuch < 3'])]);
    expect(withData.code).toBe(1);
    expect(withData.stderr).toMatch(/constraints\[0\] "nosuch < 3": .*unknown column "nosuch"/);
    const good = await runCli(['schema', 'validate', schemaFile('good.json', ['hb_g_dl + hbf_pct <= 10'])]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('valid schema, 3 columns, 1 constraint');
  });

  test('rows that break a constraint are listed (row, constraint, values), at most 10, and counted (exit 1); rows that meet it pass', async () => {
    const schema = schemaFile('cons.json', ['hb_g_dl + hbf_pct <= 10', 'hbf_pct is null when genotype = SC']);
    const rows: Array<[number, number, string]> = Array.from({ length: 30 }, (_, i) => [3, i < 12 ? 7.5 : 7, 'SS']);
    rows[4] = [3, 8.51, 'SS'];
    const r = await runCli(['schema', 'validate', csvFile('cons.csv', rows), '--schema', schema]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"hb_g_dl + hbf_pct <= 10": 12 rows');
    expect(r.stderr).toContain('10 of 12 violations listed');
    expect(r.stderr).toContain('row 1: "hb_g_dl + hbf_pct <= 10" with hb_g_dl=3, hbf_pct=7.5');
    expect(r.stderr).toContain('row 5: "hb_g_dl + hbf_pct <= 10" with hb_g_dl=3, hbf_pct=8.51');
    expect(r.stderr).not.toContain('row 11:');
    const json = await runCli(['schema', 'validate', csvFile('cons.csv', rows), '--schema', schema, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, constraintViolations: { 'hb_g_dl + hbf_pct <= 10': 12 }, violatingRows: expect.arrayContaining([{ row: 5, constraint: 'hb_g_dl + hbf_pct <= 10', values: { hb_g_dl: 3, hbf_pct: 8.51 } }]) });
    const nullWhen = await runCli(['schema', 'validate', csvFile('nw.csv', [[3, 1, 'SC'], [3, 1, 'SS']]), '--schema', schema]);
    expect(nullWhen.code).toBe(1);
    expect(nullWhen.stderr).toContain('row 1: "hbf_pct is null when genotype = SC" with hbf_pct=1, genotype=SC');
    const ok = await runCli(['schema', 'validate', csvFile('fine.csv', [[3, 7, 'SS'], [3.3, 6.7, 'SC']].map((x) => x as [number, number, string])), '--schema', schemaFile('sum.json', ['hb_g_dl + hbf_pct <= 10'])]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('valid against');
    // Decimal data that meets the bound exactly passes, though its binary sum is 100.00000000000001.
    expect(76.9 + 6.4 + 4.7 + 12).toBeGreaterThan(100);
    const fr = path.join(dir, 'fractions.json');
    fs.writeFileSync(fr, JSON.stringify({ version: 1, columns: ['hbs', 'hbf', 'hba2', 'hba'].map((name) => ({ name, kind: 'continuous', min: 0, max: 100 })), constraints: ['hbs + hbf + hba2 + hba <= 100'] }));
    const frCsv = path.join(dir, 'fractions.csv');
    fs.writeFileSync(frCsv, 'hbs,hbf,hba2,hba\n76.9,6.4,4.7,12\n76.9,6.4,4.7,12.1\n');
    const fractions = await runCli(['schema', 'validate', frCsv, '--schema', fr]);
    expect(fractions.code).toBe(1);
    expect(fractions.stderr).toContain('"hbs + hbf + hba2 + hba <= 100": 1 row\n');
    expect(fractions.stderr).toContain('row 2: ');
  });
});
