/** The numerical PRV/PLD accountant: the default, tight to within its stated error. */
import { AccountantBase, DeltaReport, EpsilonReport } from './accountant';
import { prvDelta, prvEpsilon, PrvOptions } from './prv-analysis';

/**
 * PRV accountant (Gopi et al. 2021), reporting guaranteed upper bounds.
 * @example
 * const acc = new PrvAccountant();
 * acc.compose({ kind: 'subsampled-gaussian', noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2249 });
 * acc.getEpsilon(1e-5); // { epsilon: 6.7774, estimate: 6.7670, error: 0.01, ... }
 */
export class PrvAccountant extends AccountantBase {
  readonly name = 'prv' as const;
  constructor(private readonly options: PrvOptions = {}) {
    super();
  }
  getEpsilon(delta: number): EpsilonReport {
    const r = prvEpsilon(this.mechanisms, delta, this.options);
    return { accountant: 'prv', epsilon: r.epsilon, delta, error: r.error, estimate: r.estimate };
  }
  getDelta(epsilon: number): DeltaReport {
    const r = prvDelta(this.mechanisms, epsilon, { epsilonError: this.options.epsilonError ?? 0.001, deltaError: this.options.deltaError });
    return { accountant: 'prv', delta: r.delta, epsilon, estimate: r.estimate };
  }
}
