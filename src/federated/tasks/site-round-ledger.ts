/**
 * A site's own privacy ledger in a federation: `<data>.ledger.json` (or the file the site names),
 * keyed by the fingerprint of its data file, charged once per federation round before the site
 * reads its data for that round. A retried attempt of a round re-measures what was never
 * released, so it is not charged again. The ledger refuses a charge beyond the site's budget,
 * whatever the coordinator asks for.
 */
import * as fs from 'node:fs';
import { PrivacyLedger, fingerprintFile, ledgerPathFor } from '../../dp/ledger';
import type { Mechanism } from '../../dp/accountants/mechanisms';
import { UsageError } from '../../errors';
import type { SiteTaskOptions } from '../task';

/** What every round plan of a federated generator carries for the site's ledger. */
export interface SitePlan<Stage extends string> {
  federation: string;
  stage: Stage;
  /** The federation's budget (a site's ledger created without one of its own takes it). */
  budget: { epsilon: number; delta: number };
  /** The site charges this to its own ledger before reading its data. */
  mechanism: Mechanism;
  note: string;
}

export class SiteRoundLedger {
  readonly fingerprint: string;
  private ledger?: PrivacyLedger;
  private readonly charged = new Set<string>();

  constructor(readonly o: Pick<SiteTaskOptions, 'dataFile' | 'ledgerFile' | 'budget'>) {
    if (!fs.existsSync(o.dataFile)) throw new UsageError(`Expected a readable data file for --data but received ${JSON.stringify(o.dataFile)} (not found)`);
    this.fingerprint = fingerprintFile(o.dataFile);
  }

  /** The ledger, opened (or created with the site's budget, else the federation's) on first use. */
  open(federationBudget: { epsilon: number; delta: number }): PrivacyLedger {
    this.ledger ??= PrivacyLedger.openOrCreate(this.o.ledgerFile ?? ledgerPathFor(this.o.dataFile), { datasetFingerprint: this.fingerprint, budget: this.o.budget ?? federationBudget });
    return this.ledger;
  }

  /**
   * Charges `mechanism` for the round `key` (e.g. "<federation>/<round>") unless it already was.
   * @example siteLedger.chargeOnce('a1b2/0', { kind: 'gaussian', noiseMultiplier: 40, count: 12 }, 'histograms', { epsilon: 3, delta: 1e-6 })
   */
  chargeOnce(key: string, mechanism: Mechanism, note: string, federationBudget: { epsilon: number; delta: number }): void {
    if (this.charged.has(key)) return;
    this.open(federationBudget).charge({ mechanism, datasetFingerprint: this.fingerprint, note });
    this.charged.add(key);
  }

  /**
   * Charges a round plan's mechanism once per federation round.
   * @example siteLedger.chargeRound(plan, ctx.round)
   */
  chargeRound(plan: SitePlan<string>, round: number): void {
    this.chargeOnce(`${plan.federation}/${round}`, plan.mechanism, plan.note, plan.budget);
  }
}
