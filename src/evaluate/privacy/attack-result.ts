/** The shape every Anonymeter-style attack reports. */
import { RiskEstimate, SuccessRate, residualRisk, attackRisk, wilsonSuccessRate } from './anonymeter-statistics';

/** Counts and Wilson rate of one attack run. */
export interface AttackCounts extends SuccessRate {
  attacks: number;
  successes: number;
}

/** A main attack on the training records, the same attack on control (holdout) records and a naive baseline. */
export interface AttackResult extends RiskEstimate {
  /** Main attack against training records. */
  attack: AttackCounts;
  /** The same attack against control records the generator never saw (null: no control). */
  control: AttackCounts | null;
  /** A naive attacker guessing at random; a main attack no better than it says the attack is too weak to measure anything. */
  baseline: AttackCounts;
  /** True when the main attack does not beat the naive baseline (risk figures then mean little). */
  attackWeakerThanBaseline: boolean;
}

/** Counts → Wilson rate. */
export function countAttack(attacks: number, successes: number, confidenceLevel: number): AttackCounts {
  const r = wilsonSuccessRate(attacks, successes, confidenceLevel);
  return { attacks, successes, rate: r.rate, error: r.error };
}

/** Assembles an {@link AttackResult}: residual risk over the control when there is one, else the attack rate. */
export function attackResult(attack: AttackCounts, control: AttackCounts | null, baseline: AttackCounts, confidenceLevel: number): AttackResult {
  const risk = control ? residualRisk(attack, control, confidenceLevel) : attackRisk(attack.attacks, attack.successes, confidenceLevel);
  return {
    risk: risk.risk,
    interval: risk.interval,
    confidenceLevel,
    attack,
    control,
    baseline,
    attackWeakerThanBaseline: attack.rate <= baseline.rate,
  };
}
