/** The documented chain simulate → train → sample, written under `dir` for the evaluate tests. */
import * as path from 'node:path';
import { simulateCohort, writeSimulation } from '../../../src/scd/simulate';
import { runCli } from '../../support/run-cli';

/**
 * Writes real/ and holdout/ cohorts (300 patients, seeds 5 and 6), trains a non-private marginal
 * model on the real one and samples 300 rows into `syntheticName`; returns the path maker.
 * @example const at = await sampledChain(dir, 'syn.arrow'); at('real/patients.arrow')
 */
export async function sampledChain(dir: string, syntheticName: string): Promise<(name: string) => string> {
  const at = (n: string) => path.join(dir, n);
  writeSimulation(at('real'), simulateCohort({ patients: 300, sites: 2, seed: 5 }));
  writeSimulation(at('holdout'), simulateCohort({ patients: 300, sites: 2, seed: 6 }));
  const t = await runCli(['train', '--data', at('real/patients.arrow'), '--model', 'marginal', '--epsilon', 'inf', '--seed', '1', '--out', at('m.hsm')]);
  if (t.code !== 0) throw new Error(`train failed: ${t.stderr}`);
  const s = await runCli(['sample', '--model', at('m.hsm'), '--rows', '300', '--seed', '1', '--out', at(syntheticName)]);
  if (s.code !== 0) throw new Error(`sample failed: ${s.stderr}`);
  return at;
}
