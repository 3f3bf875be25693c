/**
 * Kaplan–Meier estimator of the cumulative incidence 1 − S(t) (Kaplan & Meier, JASA 1958):
 * used for "cumulative stroke by age 20" style checks where patients are censored at their
 * current age.
 */

/**
 * Cumulative incidence by time `at`: 1 − Π (1 − d_k / n_k) over event times t_k ≤ at.
 * @param time event or censoring time per subject
 * @param event 1 if the event happened at `time`, 0 if censored there
 * @example cumulativeIncidence([1, 2, 3], [1, 0, 1], 2.5) // 1/3
 */
export function cumulativeIncidence(time: ArrayLike<number>, event: ArrayLike<number>, at: number): number {
  const n = time.length;
  if (n !== event.length) throw new RangeError(`time and event differ in length: ${n} vs ${event.length}`);
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a] - time[b] || event[b] - event[a]);
  let atRisk = n;
  let survival = 1;
  for (let k = 0; k < n; ) {
    const t = time[idx[k]];
    if (t > at) break;
    let deaths = 0, leaving = 0;
    while (k < n && time[idx[k]] === t) {
      deaths += event[idx[k]] ? 1 : 0;
      leaving++;
      k++;
    }
    if (atRisk > 0 && deaths > 0) survival *= 1 - deaths / atRisk;
    atRisk -= leaving;
  }
  return 1 - survival;
}
