/**
 * The privacy section: Anonymeter-style attacks with control sets, membership inference and
 * distance diagnostics, assembled for report.json.
 */
import type { EvalTable } from '../table-columns';
import { AttackResult } from './attack-result';
import { SinglingOutResult, singlingOutAttack } from './singling-out';
import { linkabilityAttack } from './linkability';
import { InferenceResult, inferenceAttack } from './attribute-inference';
import { MembershipInferenceResult, membershipInference } from './membership-inference';
import { DcrResult, distanceToClosestRecord } from './distance-to-closest-record';

/** Options of {@link evaluatePrivacy}. */
export interface PrivacyOptions {
  /** Secret columns for the inference attack (default: the target and sensitive columns, else up to 5 columns). */
  secrets?: string[];
  /** Attribute sets for linkability (default: the columns split into two halves). */
  linkabilityColumns?: [string[], string[]];
  nAttacks?: number;
  confidenceLevel?: number;
  seed?: number;
  threads?: number;
}

/** The privacy section of report.json. */
export interface PrivacyReport {
  singlingOut: { risk: number; interval: [number, number]; univariate: SinglingOutResult | null; multivariate: SinglingOutResult | null };
  linkability: AttackResult & { auxColumns: [string[], string[]] };
  inference: { risk: number; interval: [number, number]; secrets: InferenceResult[] };
  membershipInference: MembershipInferenceResult;
  distanceToClosestRecord: DcrResult;
  /** Plain-language reading of the figures; the attacks are evidence, not a certificate. */
  verdict: { flagged: boolean; reasons: string[] };
}

/** Risks above this upper-interval bound are flagged (Anonymeter's documentation calls risks of a few percent low). */
export const RISK_FLAG_THRESHOLD = 0.1;

/**
 * Runs every privacy attack and diagnostic.
 * @example evaluatePrivacy(train, holdout, synthetic, { secrets: ['genotype'] })
 */
export function evaluatePrivacy(train: EvalTable, holdout: EvalTable, synthetic: EvalTable, opts: PrivacyOptions = {}): PrivacyReport {
  const level = opts.confidenceLevel ?? 0.95;
  const base = { confidenceLevel: level, nAttacks: opts.nAttacks ?? 500, seed: opts.seed };
  const uni = singlingOutAttack(train, synthetic, holdout, { ...base, mode: 'univariate' });
  const multi = singlingOutAttack(train, synthetic, holdout, { ...base, mode: 'multivariate' });
  const worst = [uni, multi].filter((x): x is SinglingOutResult => x !== null).sort((a, b) => b.risk - a.risk)[0];
  const names = train.columns.map((c) => c.name);
  const half = Math.ceil(names.length / 2);
  const aux: [string[], string[]] = opts.linkabilityColumns ?? [names.slice(0, half), names.slice(half)];
  if (aux[1].length === 0) aux[1] = [names[0]];
  const linkability = { ...linkabilityAttack(train, synthetic, holdout, { ...base, auxColumns: aux, threads: opts.threads }), auxColumns: aux };
  const secrets = (opts.secrets && opts.secrets.length ? opts.secrets : names.slice(0, 5)).filter((s) => names.includes(s));
  const inf = names.length > 1 ? secrets.map((secret) => inferenceAttack(train, synthetic, holdout, { ...base, secret, threads: opts.threads })) : [];
  const worstInf = [...inf].sort((a, b) => b.risk - a.risk)[0];
  const mia = membershipInference(train, holdout, synthetic, { seed: opts.seed, threads: opts.threads, confidenceLevel: level });
  const dcr = distanceToClosestRecord(train, holdout, synthetic, { seed: opts.seed, threads: opts.threads, confidenceLevel: level });
  const reasons: string[] = [];
  const flagRisk = (name: string, r: { risk: number; interval: [number, number] } | undefined) => {
    if (r && r.interval[0] > RISK_FLAG_THRESHOLD) reasons.push(`${name} risk ${r.risk.toFixed(3)} (interval ${r.interval[0].toFixed(3)}–${r.interval[1].toFixed(3)}) is above ${RISK_FLAG_THRESHOLD}`);
  };
  flagRisk('singling-out', worst);
  flagRisk('linkability', linkability);
  flagRisk(`attribute-inference (${worstInf?.secret})`, worstInf);
  if (mia.flagged) reasons.push(`membership inference AUC ${mia.auc.toFixed(3)} (interval ${mia.interval[0].toFixed(3)}–${mia.interval[1].toFixed(3)}), TPR ${(mia.tprAtFpr.tpr * 100).toFixed(1)}% at ${(mia.tprAtFpr.fpr * 100).toFixed(1)}% FPR`);
  if (dcr.flagged) reasons.push(`synthetic records sit closer to training than to holdout records (share ${dcr.closerToTrainingShare?.share.toFixed(3) ?? 'n/a'}, exact copies ${dcr.exactCopies.count})`);
  return {
    singlingOut: { risk: worst?.risk ?? 0, interval: worst?.interval ?? [0, 0], univariate: uni, multivariate: multi },
    linkability,
    inference: { risk: worstInf?.risk ?? 0, interval: worstInf?.interval ?? [0, 0], secrets: inf },
    membershipInference: mia,
    distanceToClosestRecord: dcr,
    verdict: { flagged: reasons.length > 0, reasons },
  };
}
