/** The RDP accountant: conservative, fast, used as the cross-check of the PRV accountant. */
import { AccountantBase, DeltaReport, EpsilonReport } from './accountant';
import { mechanismRdp, OPACUS_DEFAULT_ORDERS, RdpConversion, rdpToDelta, rdpToEpsilon } from './rdp-analysis';

/** Options of {@link RdpAccountant}. */
export interface RdpAccountantOptions {
  /** Orders α > 1 to optimise over (default: Opacus' default orders). */
  orders?: readonly number[];
  /** RDP → (ε, δ) conversion: Balle et al. 2020 (default) or the classic one. */
  conversion?: RdpConversion;
}

/**
 * Rényi-DP accountant.
 * @example
 * const acc = new RdpAccountant();
 * acc.compose({ kind: 'subsampled-gaussian', noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2250 });
 * acc.getEpsilon(1e-5).epsilon; // 7.32911...
 */
export class RdpAccountant extends AccountantBase {
  readonly name = 'rdp' as const;
  readonly orders: readonly number[];
  readonly conversion: RdpConversion;
  constructor(opts: RdpAccountantOptions = {}) {
    super();
    this.orders = opts.orders ?? OPACUS_DEFAULT_ORDERS;
    this.conversion = opts.conversion ?? 'balle2020';
  }
  /** The composed RDP curve at {@link orders}. */
  rdpCurve(): number[] {
    return this.orders.map((a) => this.mechanisms.reduce((s, m) => s + mechanismRdp(m, a), 0));
  }
  private extraDelta(): number {
    return this.mechanisms.reduce((s, m) => s + (m.kind === 'gaussian' ? (m.additionalDelta ?? 0) * (m.count ?? 1) : 0), 0);
  }
  getEpsilon(delta: number): EpsilonReport {
    const extra = this.extraDelta();
    if (!(delta > extra)) return { accountant: 'rdp', epsilon: Infinity, delta, order: this.orders[0] };
    const r = rdpToEpsilon(this.orders, this.rdpCurve(), delta - extra, this.conversion);
    return { accountant: 'rdp', epsilon: r.epsilon, delta, order: r.order };
  }
  getDelta(epsilon: number): DeltaReport {
    const r = rdpToDelta(this.orders, this.rdpCurve(), epsilon, this.conversion);
    return { accountant: 'rdp', delta: Math.min(1, r.delta + this.extraDelta()), epsilon, order: r.order };
  }
}
