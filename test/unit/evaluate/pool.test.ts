// The piscina path: sections in worker threads give the same report as one thread. Workers
// load compiled JavaScript, so this test runs the compiled library in dist/ (npm install runs
// `tsc` through "prepare"; after editing sources run `npm run build:ts`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluateSyntheticInPool } from '../../../src/evaluate/evaluate';
import { cohortColumns, cohortTable } from './cohort-fixture';

const distEvaluate = path.resolve(__dirname, '../../../dist/evaluate/index.js');

const input = () => ({ train: cohortTable(cohortColumns(400, 1)), holdout: cohortTable(cohortColumns(400, 2)), synthetic: cohortTable(cohortColumns(400, 3)), target: 'hospitalised', nAttacks: 60, seed: 5 });

it('from TypeScript sources it runs the sections in this thread and says so', async () => {
  const r = await evaluateSyntheticInPool(input(), { workers: 2 });
  expect(r.notes.join(' ')).toMatch(/worker pool unavailable/);
  expect(r.privacy.membershipInference.auc).toBeGreaterThan(0);
});

it('compiled, the pool gives the same figures as one thread', async () => {
  if (!fs.existsSync(distEvaluate)) throw new Error(`Expected the compiled library at ${distEvaluate} but found none: run "npm run build:ts"`);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const dist = require(distEvaluate) as typeof import('../../../src/evaluate');
  const a = dist.evaluateSynthetic(input());
  const b = await dist.evaluateSyntheticInPool(input(), { workers: 2 });
  expect(b.timings.workers).toBe(2);
  expect(b.notes.join(' ')).not.toMatch(/worker pool unavailable/);
  expect(b.privacy).toEqual(a.privacy);
  expect(b.fidelity).toEqual(a.fidelity);
  expect(b.utility).toEqual(a.utility);
});
