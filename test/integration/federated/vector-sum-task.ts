/**
 * A learning task for protocol tests: every site contributes a known integer vector per round
 * (derived from SHA-256 of site and round), so the test can compute the plaintext sum itself.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { CoordinatorTask, SiteTask, AggregateInfo } from '../../../src/federated/task';

export const VALUE_RANGE = 1000;

/** The vector of one site in one round: integers in [-VALUE_RANGE, VALUE_RANGE]. */
export function siteVector(site: string, round: number, length: number): Float64Array {
  const out = new Float64Array(length);
  let block = Buffer.alloc(0);
  for (let i = 0; i < length; i++) {
    if ((i * 4) % 32 === 0) block = createHash('sha256').update(`${site}/${round}/${i}`).digest();
    out[i] = (block.readUInt32LE((i * 4) % 32) % (2 * VALUE_RANGE + 1)) - VALUE_RANGE;
  }
  return out;
}

export class VectorSumCoordinator implements CoordinatorTask {
  readonly model = 'vector-sum';
  readonly results: Array<{ round: number; sum: number[]; contributors: string[] }> = [];
  constructor(readonly rounds: number, readonly length: number) {}
  planRound(round: number) {
    return { plan: { round }, vectorLength: this.length, format: { scale: 1, clip: VALUE_RANGE } };
  }
  absorbRound(round: number, sum: Float64Array, info: AggregateInfo) {
    this.results.push({ round, sum: Array.from(sum), contributors: info.contributors });
    return { contributors: info.contributors.length };
  }
  checkpoint() {
    return { results: this.results };
  }
  restore(state: unknown) {
    this.results.splice(0, this.results.length, ...(state as { results: VectorSumCoordinator['results'] }).results);
  }
  finish(out: string) {
    fs.writeFileSync(out, JSON.stringify(this.results));
    return { rounds: this.results.length };
  }
}

export class VectorSumSite implements SiteTask {
  constructor(readonly name: string, readonly length: number) {}
  localVector(plan: unknown) {
    return siteVector(this.name, (plan as { round: number }).round, this.length);
  }
}
