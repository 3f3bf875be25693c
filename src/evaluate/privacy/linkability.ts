/**
 * Linkability attack (Anonymeter, Giomi et al. 2023, section 4.2): an attacker holding two
 * disjoint sets of attributes of a target (say, one from a hospital file and one from a
 * registry) looks up the nearest synthetic records for each set; the target is linked when
 * the two neighbour lists share a synthetic record.
 */
import { EvalTable, selectRows } from '../table-columns';
import { SeededSampler } from '../statistics/random';
import { encodeMixedRows, mixedEncoding, nearestNeighbours } from './mixed-distance';
import { AttackResult, attackResult, countAttack } from './attack-result';

/** Options of {@link linkabilityAttack}. */
export interface LinkabilityOptions {
  /** The two disjoint attribute sets the attacker holds. */
  auxColumns: [string[], string[]];
  /** Number of target records (default 500, at most the table size). */
  nAttacks?: number;
  /** Neighbours looked up per attribute set (default 1). */
  nNeighbors?: number;
  confidenceLevel?: number;
  seed?: number;
  threads?: number;
}

function countLinks(targets: EvalTable, synthetic: EvalTable, allTables: EvalTable[], aux: [string[], string[]], k: number, threads?: number): number {
  const idx = aux.map((cols) => {
    const enc = mixedEncoding(allTables, cols);
    return nearestNeighbours(encodeMixedRows(targets, enc), encodeMixedRows(synthetic, enc), enc, k, { threads }).index;
  });
  let links = 0;
  for (let q = 0; q < targets.nRows; q++) {
    const a = new Set<number>();
    for (let m = 0; m < k; m++) a.add(idx[0][q * k + m]);
    for (let m = 0; m < k; m++) if (idx[1][q * k + m] >= 0 && a.has(idx[1][q * k + m])) { links++; break; }
  }
  return links;
}

/**
 * Runs the linkability attack on `nAttacks` training targets and, when given, as many control
 * targets; the naive baseline links by drawing random synthetic records.
 * @example linkabilityAttack(train, synthetic, holdout, { auxColumns: [['age', 'sex'], ['genotype', 'hb']] })
 */
export function linkabilityAttack(train: EvalTable, synthetic: EvalTable, control: EvalTable | null, opts: LinkabilityOptions): AttackResult {
  const level = opts.confidenceLevel ?? 0.95;
  const k = opts.nNeighbors ?? 1;
  const rng = new SeededSampler(opts.seed ?? 1);
  const all = control ? [train, synthetic, control] : [train, synthetic];
  const n = Math.min(opts.nAttacks ?? 500, train.nRows, control ? control.nRows : Infinity);
  if (n < 1) throw new RangeError('Expected at least one target record for the linkability attack but received none');
  // Sorted rows keep table order when every row is chosen (small known-answer cases read naturally).
  const pick = (t: EvalTable) => selectRows(t, rng.sample(t.nRows, n).sort());
  const main = countLinks(pick(train), synthetic, all, opts.auxColumns, k, opts.threads);
  const ctrl = control ? countLinks(pick(control), synthetic, all, opts.auxColumns, k, opts.threads) : null;
  // Naive baseline: each attribute set "finds" k random synthetic records.
  let base = 0;
  for (let q = 0; q < n; q++) {
    const a = new Set<number>();
    for (let m = 0; m < k; m++) a.add(rng.int(synthetic.nRows));
    for (let m = 0; m < k; m++) if (a.has(rng.int(synthetic.nRows))) { base++; break; }
  }
  return attackResult(countAttack(n, main, level), ctrl === null ? null : countAttack(n, ctrl, level), countAttack(n, base, level), level);
}
