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
}
