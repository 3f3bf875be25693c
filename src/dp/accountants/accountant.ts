/**
 * The accountant interface (the Opacus `IAccountant` idea): a stateful history of mechanisms
 * that answers ε(δ) and δ(ε) for their composition. The maths lives in the pure
 * `*-analysis.ts` modules; accountants only keep the history.
 */
import { Mechanism, validateMechanism } from './mechanisms';

/** The accountants available. `pld` is an alias of `prv` (the same numerical method). */
export type AccountantName = 'prv' | 'rdp';

/** ε at a δ, with how it was obtained. */
export interface EpsilonReport {
  accountant: AccountantName;
  /** A guaranteed upper bound on ε (never an estimate). */
  epsilon: number;
  delta: number;
  /** RDP: the order that gave the bound. */
  order?: number;
  /** PRV: the ε error bound; `epsilon` is the estimate plus this. */
  error?: number;
  /** PRV: the central estimate (not a bound). */
  estimate?: number;
  /** Set when the PRV accountant could not reach its accuracy and the (smaller) RDP bound is reported instead. */
  note?: string;
}

/** δ at an ε, with how it was obtained. */
export interface DeltaReport {
  accountant: AccountantName;
  /** A guaranteed upper bound on δ. */
  delta: number;
  epsilon: number;
  order?: number;
  estimate?: number;
  note?: string;
}

/** A privacy accountant: records mechanisms, answers ε(δ) and δ(ε) for their composition. */
export interface PrivacyAccountant {
  readonly name: AccountantName;
  /** Records one mechanism (with its number of applications). */
  compose(mechanism: Mechanism): void;
  /** The recorded mechanisms, in order. */
  readonly history: readonly Mechanism[];
  getEpsilon(delta: number): EpsilonReport;
  getDelta(epsilon: number): DeltaReport;
}

/** Shared history keeping. */
export abstract class AccountantBase implements PrivacyAccountant {
  abstract readonly name: AccountantName;
  protected readonly mechanisms: Mechanism[] = [];
  get history(): readonly Mechanism[] {
    return this.mechanisms;
  }
  compose(mechanism: Mechanism): void {
    this.mechanisms.push(validateMechanism(mechanism));
  }
  abstract getEpsilon(delta: number): EpsilonReport;
  abstract getDelta(epsilon: number): DeltaReport;
}
