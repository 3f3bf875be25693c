/**
 * The statistics of Anonymeter (Giomi et al., "A Unified Framework for Quantifying Privacy
 * Risk in Synthetic Data", PoPETs 2023; statice/anonymeter stats/confidence.py): the Wilson
 * score interval of an attack's success rate and the residual risk of the main attack over
 * the control attack with first-order error propagation.
 */
import { normalQuantile } from '../statistics/normal';

/** A success rate with its symmetric error (the interval is rate ± error). */
export interface SuccessRate {
  rate: number;
  error: number;
}

/** A risk with its confidence interval, both within [0, 1]. */
export interface RiskEstimate {
  risk: number;
  interval: [number, number];
  confidenceLevel: number;
}

/**
 * Wilson score estimate of a success rate (Wilson 1927): with z the (1+level)/2 normal
 * quantile, rate = (s + z²/2)/(n + z²), error = z/(n + z²)·sqrt(s(n−s)/n + z²/4).
 * @example wilsonSuccessRate(1000, 850, 0.95) // { rate: 0.849..., error: 0.022... }
 */
export function wilsonSuccessRate(n: number, successes: number, confidenceLevel = 0.95): SuccessRate {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Expected an integer >= 1 for the number of attacks but received ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) throw new RangeError(`Expected an integer in [0, ${n}] for the number of successes but received ${successes}`);
  if (!(confidenceLevel >= 0 && confidenceLevel < 1)) throw new RangeError(`Expected a confidence level in [0, 1) but received ${confidenceLevel}`);
  const z = normalQuantile((1 + confidenceLevel) / 2);
  const z2 = z * z;
  const rate = (successes + z2 / 2) / (n + z2);
  const error = (z / (n + z2)) * Math.sqrt((successes * (n - successes)) / n + z2 / 4);
  return { rate, error };
}

/** The interval rate ± error clipped to [0, 1]. */
export function rateInterval(r: SuccessRate): [number, number] {
  return [Math.max(0, r.rate - r.error), Math.min(1, r.rate + r.error)];
}

/**
 * Residual risk of an attack over its control: (attack − control)/(1 − control), error by
 * propagation with ∂/∂attack = 1/(1−control) and ∂/∂control = (attack−1)/(1−control)²;
 * risk and interval clipped to [0, 1]. When the control rate is 1 nothing can be learned
 * beyond it and the risk is 0.
 * @example residualRisk({rate: 0.9, error: 0}, {rate: 0.8, error: 0}) // risk 0.5
 */
export function residualRisk(attack: SuccessRate, control: SuccessRate, confidenceLevel = 0.95): RiskEstimate & { error: number } {
  if (control.rate >= 1) return { risk: 0, error: 0, interval: [0, 0], confidenceLevel };
  const den = 1 - control.rate;
  const risk = (attack.rate - control.rate) / den;
  const dA = 1 / den;
  const dC = (attack.rate - 1) / (den * den);
  const error = Math.sqrt((dA * attack.error) ** 2 + (dC * control.error) ** 2);
  const clip = (v: number) => Math.max(0, Math.min(1, v));
  return { risk: clip(risk), error, interval: [clip(risk - error), clip(risk + error)], confidenceLevel };
}

/**
 * The risk of an attack without a control (the Wilson rate itself), as Anonymeter reports it
 * when no control set is given.
 * @example attackRisk(4, 1, 0.95) // risk 0.3725, interval [0.0456, 0.6994]
 */
export function attackRisk(n: number, successes: number, confidenceLevel = 0.95): RiskEstimate {
  const r = wilsonSuccessRate(n, successes, confidenceLevel);
  return { risk: r.rate, interval: rateInterval(r), confidenceLevel };
}
