// A category that occurs in the synthetic table but never in the real one (invented by a generator,
// or written into the file) is refused by `hemasynth evaluate` and by evaluateSynthetic, with or
// without --schema: the schema's categories (declared, or carried by the real table) and the real
// training table's own categories are the allowed set.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeArrowFile } from '../../../src/data/arrow-file';
import { withEmbeddedSchema, writeTable } from '../../../src/data/table-io';
import type { TableSchema } from '../../../src/data/schema';
import { evaluateSynthetic } from '../../../src/evaluate/evaluate';
import { InputError } from '../../../src/errors';
import { runCli } from '../../support/run-cli';
import { sampledChain } from './chain-fixture';
import { Dictionary, Int32, Table, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { cohortColumns, cohortTable, CohortColumns } from './cohort-fixture';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-eval-categories-'));
const file = (n: string) => path.join(dir, n);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The cohort with one genotype replaced (row is 0-based). */
function withGenotype(c: CohortColumns, row: number, genotype: string): CohortColumns {
  const g = [...c.genotype];
  g[row] = genotype;
  return { ...c, genotype: g };
}

const schemaOf = (genotypes: string[]): TableSchema => ({
  version: 1,
  columns: [
    { name: 'age', kind: 'integer' },
    { name: 'sex', kind: 'categorical', categories: ['F', 'M'] },
    { name: 'genotype', kind: 'categorical', categories: genotypes },
    { name: 'hbf_pct', kind: 'continuous' },
    { name: 'hb_g_dl', kind: 'continuous' },
    { name: 'crises_per_year', kind: 'integer' },
    { name: 'hospitalised', kind: 'boolean' },
  ],
} as TableSchema);

const invented = /Expected one of the categories "HbSC", "HbSS", "HbSb0" for file "syn-bad\.(arrow|csv)", row 8, column "genotype" but received "HbXX"\. Only categories of the real training table \(train\.(arrow|csv)\) are valid/;
const evaluate = (real: string, holdout: string, synthetic: string, out: string, extra: string[] = []) =>
  runCli(['evaluate', '--real', file(real), '--holdout', file(holdout), '--synthetic', file(synthetic), '--json', file(`${out}.json`), '--out', file(`${out}.html`), '--attacks', '20', '--no-progress', ...extra]);

describe('hemasynth evaluate without --schema', () => {
  beforeAll(async () => {
    const train = cohortColumns(400, 1), holdout = cohortColumns(400, 2), syn = cohortColumns(400, 3);
    writeArrowFile(file('train.arrow'), cohortTable(train));
    writeArrowFile(file('holdout.arrow'), cohortTable(holdout));
    writeArrowFile(file('syn-bad.arrow'), cohortTable(withGenotype(syn, 7, 'HbXX')));
    await writeTable(file('train.csv'), cohortTable(train));
    await writeTable(file('holdout.csv'), cohortTable(holdout));
    await writeTable(file('syn-bad.csv'), cohortTable(withGenotype(syn, 7, 'HbXX')));
    // A real table carrying a schema that declares a genotype its rows lack.
    const declared = schemaOf(['HbSS', 'HbSC', 'HbSb0', 'HbSb+']);
    writeArrowFile(file('train-schema.arrow'), withEmbeddedSchema(cohortTable(train), declared));
    fs.writeFileSync(file('schema.json'), JSON.stringify(declared));
    writeArrowFile(file('syn-declared.arrow'), cohortTable(withGenotype(syn, 7, 'HbSb+')));
  });

  it('refuses a synthetic-only category of Arrow files (no schema anywhere) and writes no report', async () => {
    const r = await evaluate('train.arrow', 'holdout.arrow', 'syn-bad.arrow', 'arrow');
    expect(r.stderr).toMatch(invented);
    expect(r.code).toBe(1);
    expect(fs.existsSync(file('arrow.json'))).toBe(false);
    expect(fs.existsSync(file('arrow.html'))).toBe(false);
  });

  it('refuses a synthetic-only category of CSV files', async () => {
    const r = await evaluate('train.csv', 'holdout.csv', 'syn-bad.csv', 'csv');
    expect(r.stderr).toMatch(invented);
    expect(r.code).toBe(1);
    expect(fs.existsSync(file('csv.json'))).toBe(false);
  });

  it('with the schema the real table carries: refuses what it does not declare, as --schema does', async () => {
    const without = await evaluate('train-schema.arrow', 'holdout.arrow', 'syn-bad.arrow', 'carried');
    expect(without.stderr).toMatch(/Expected one of the categories "HbSS", "HbSC", "HbSb0", "HbSb\+" for file "syn-bad\.arrow", row 8, column "genotype" but received "HbXX"\. Only categories of the real training table \(train-schema\.arrow\) or of its schema are valid/);
    expect(without.code).toBe(1);
    const withSchema = await evaluate('train-schema.arrow', 'holdout.arrow', 'syn-bad.arrow', 'declared', ['--schema', file('schema.json')]);
    expect(withSchema.stderr).toMatch(/Expected one of the categories "HbSS", "HbSC", "HbSb0", "HbSb\+" for file ".*syn-bad\.arrow", row 8, column "genotype" but received "HbXX"/);
    expect(withSchema.code).toBe(1);
  });

  it('accepts a category the carried schema declares though the real rows lack it', async () => {
    const r = await evaluate('train-schema.arrow', 'holdout.arrow', 'syn-declared.arrow', 'ok');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(file('ok.json'), 'utf8'));
    expect(report.fidelity.columns.find((c: { column: string }) => c.column === 'genotype').distribution.bins).toContain('HbSb+');
  });
});

describe('the documented chain simulate → train → sample → evaluate, with a tampered sample', () => {
  const at = (n: string) => path.join(dir, 'chain', n);
  let tampered = '';
  beforeAll(async () => {
    await sampledChain(path.join(dir, 'chain'), 'syn.csv');
    // Row 2's genotype becomes one no real patient has.
    const lines = fs.readFileSync(at('syn.csv'), 'utf8').split('\n');
    const g = lines[0].split(',').indexOf('genotype');
    const row = lines[2].split(',');
    row[g] = 'HbZZ';
    lines[2] = row.join(',');
    tampered = at('syn-tampered.csv');
    fs.writeFileSync(tampered, lines.join('\n'));
  }, 120000);

  it.each([['with --schema', true], ['with the schema the real table carries', false]])('%s: the invented genotype is refused', async (_, withSchema) => {
    const r = await runCli(['evaluate', '--real', at('real/patients.arrow'), '--holdout', at('holdout/patients.arrow'), '--synthetic', tampered,
      ...(withSchema ? ['--schema', at('real/schema.json')] : []), '--json', at(`r-${withSchema}.json`), '--attacks', '20', '--no-progress']);
    expect(r.stderr).toMatch(/Expected one of the categories "SS", "Sb0", "SC", "Sb\+", "other" for file ".*syn-tampered\.csv", row 2, column "genotype" but received "HbZZ"/);
    expect(r.code).toBe(1);
    expect(fs.existsSync(at(`r-${withSchema}.json`))).toBe(false);
  }, 120000);
});

describe('evaluateSynthetic', () => {
  const train = cohortTable(cohortColumns(300, 1)), holdout = cohortTable(cohortColumns(300, 2));

  it('refuses a category the training table never holds, naming row and column', () => {
    const synthetic = cohortTable(withGenotype(cohortColumns(300, 3), 4, 'HbXX'));
    let err: unknown;
    try {
      evaluateSynthetic({ train, holdout, synthetic, labels: { train: 'train.arrow', synthetic: 'syn-bad.arrow' }, nAttacks: 20 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toEqual({ file: 'syn-bad.arrow', row: 5, column: 'genotype' });
    expect((err as Error).message).toMatch(/^Expected one of the categories "HbSC", "HbSS", "HbSb0" for file "syn-bad\.arrow", row 5, column "genotype" but received "HbXX"/);
  });

  it('refuses it even when the holdout holds it (the generator never saw the holdout)', () => {
    const h = cohortTable(withGenotype(cohortColumns(300, 2), 0, 'HbXX'));
    const synthetic = cohortTable(withGenotype(cohortColumns(300, 3), 0, 'HbXX'));
    expect(() => evaluateSynthetic({ train, holdout: h, synthetic, nAttacks: 20 })).toThrow(/received "HbXX"/);
  });

  it('takes the categories a schema declares as valid, and refuses the others', () => {
    const schema = schemaOf(['HbSS', 'HbSC', 'HbSb0', 'HbSb+']);
    const bad = cohortTable(withGenotype(cohortColumns(300, 3), 2, 'HbXX'));
    expect(() => evaluateSynthetic({ train, holdout, synthetic: bad, schema, nAttacks: 20 })).toThrow(/Expected one of the categories "HbSS", "HbSC", "HbSb0", "HbSb\+" for file "synthetic", row 3, column "genotype" but received "HbXX"/);
    const declared = cohortTable(withGenotype(cohortColumns(300, 3), 2, 'HbSb+'));
    expect(evaluateSynthetic({ train, holdout, synthetic: declared, schema, nAttacks: 20 }).inputs.synthetic.rows).toBe(300);
  });

  it('does not hold an identifier-like column the schema did not name (a value per record, e.g. pseudonyms) to the real values', () => {
    const withIds = (t: Table, prefix: string) => new Table({ ...Object.fromEntries(t.schema.fields.map((f) => [f.name, t.getChild(f.name) as Vector])), patient_id: vectorFromArray(Array.from({ length: t.numRows }, (_, i) => `${prefix}-${i}`), new Dictionary(new Utf8(), new Int32())) });
    const synthetic = withIds(cohortTable(cohortColumns(300, 3)), 'pseudo');
    expect(() => evaluateSynthetic({ train: withIds(train, 'real'), holdout: withIds(holdout, 'hold'), synthetic, labels: { train: 'train.arrow', synthetic: 'anonymised.arrow' }, nAttacks: 20 })).not.toThrow();
    // The genotype column is still held to the real categories in the same tables.
    const bad = withIds(cohortTable(withGenotype(cohortColumns(300, 3), 4, 'HbXX')), 'pseudo');
    expect(() => evaluateSynthetic({ train: withIds(train, 'real'), holdout: withIds(holdout, 'hold'), synthetic: bad, labels: { train: 'train.arrow', synthetic: 'anonymised.arrow' }, nAttacks: 20 })).toThrow(/row 5, column "genotype" but received "HbXX"/);
  });

  it('does not treat a boolean value absent from the training table as invented', () => {
    const c = cohortColumns(300, 1);
    const allFalse = cohortTable({ ...c, hospitalised: c.hospitalised.map(() => false) });
    expect(evaluateSynthetic({ train: allFalse, holdout, synthetic: cohortTable(cohortColumns(300, 3)), nAttacks: 20 }).inputs.synthetic.rows).toBe(300);
  });
});
