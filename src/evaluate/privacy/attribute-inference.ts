/**
 * Attribute-inference attack (Anonymeter, Giomi et al. 2023, section 4.3): knowing some
 * attributes of a target, the attacker takes the secret attribute of the nearest synthetic
 * record. Success: the same category, or a number within a relative tolerance (5%).
 */
import { EvalTable, selectRows } from '../table-columns';
import { SeededSampler } from '../statistics/random';
import { encodeMixedRows, mixedEncoding, nearestNeighbours } from './mixed-distance';
import { AttackResult, attackResult, countAttack } from './attack-result';

/** Options of {@link inferenceAttack}. */
export interface InferenceOptions {
  secret: string;
  /** Attributes the attacker knows (default: every other column). */
  auxColumns?: string[];
  nAttacks?: number;
  /** Relative tolerance for numeric secrets (default 0.05, Anonymeter's). */
  tolerance?: number;
  confidenceLevel?: number;
  seed?: number;
  threads?: number;
}

/** The attack result for one secret column. */
export interface InferenceResult extends AttackResult {
  secret: string;
}

function isCorrect(guess: number, truth: number, numeric: boolean, tol: number): boolean {
  if (!numeric) return guess === truth;
  if (Number.isNaN(truth) || Number.isNaN(guess)) return Number.isNaN(truth) && Number.isNaN(guess);
  return Math.abs(guess - truth) <= tol * Math.abs(truth) || guess === truth;
}

/**
 * Runs the inference attack on `nAttacks` training targets and as many control targets.
 * @example inferenceAttack(train, synthetic, holdout, { secret: 'vaso_occlusive_crises' })
 */
export function inferenceAttack(train: EvalTable, synthetic: EvalTable, control: EvalTable | null, opts: InferenceOptions): InferenceResult {
  const level = opts.confidenceLevel ?? 0.95;
  const tol = opts.tolerance ?? 0.05;
  const rng = new SeededSampler(opts.seed ?? 3);
  const names = train.columns.map((c) => c.name);
  if (!names.includes(opts.secret)) throw new RangeError(`Expected a column of the evaluated tables for the secret but received "${opts.secret}"`);
  const aux = opts.auxColumns ?? names.filter((n) => n !== opts.secret);
  if (aux.length === 0) throw new RangeError('Expected at least one auxiliary column for the inference attack but received none');
  const all = control ? [train, synthetic, control] : [train, synthetic];
  const enc = mixedEncoding(all, aux);
  const synRows = encodeMixedRows(synthetic, enc);
  const sIdx = names.indexOf(opts.secret);
  const synSecret = synthetic.columns[sIdx];
  const numeric = synSecret.kind === 'numeric';
  const secretOf = (t: EvalTable, i: number) => {
    const c = t.columns[sIdx];
    return c.kind === 'numeric' ? c.values[i] : c.codes[i];
  };
  const n = Math.min(opts.nAttacks ?? 500, train.nRows, control ? control.nRows : Infinity);
  const run = (t: EvalTable) => {
    const targets = selectRows(t, rng.sample(t.nRows, n).sort());
    const nn = nearestNeighbours(encodeMixedRows(targets, enc), synRows, enc, 1, { threads: opts.threads });
    let ok = 0;
    for (let q = 0; q < n; q++) if (isCorrect(secretOf(synthetic, nn.index[q]), secretOf(targets, q), numeric, tol)) ok++;
    return { ok, targets };
  };
  const main = run(train);
  const ctrl = control ? run(control).ok : null;
  let base = 0;
  for (let q = 0; q < n; q++) if (isCorrect(secretOf(synthetic, rng.int(synthetic.nRows)), secretOf(main.targets, q), numeric, tol)) base++;
  const r = attackResult(countAttack(n, main.ok, level), ctrl === null ? null : countAttack(n, ctrl, level), countAttack(n, base, level), level);
  return { ...r, secret: opts.secret };
}
