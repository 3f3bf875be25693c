/**
 * Sites of a simulated federation: hospitals in Italy, the Netherlands, Spain and France (by
 * default), each with its own genotype mix, hydroxyurea practice, laboratory calibration and
 * data-management quality, so that site data are not identically distributed (non-IID), as in
 * real multi-centre SCD registries.
 */
import { UsageError } from '../errors';
import { GENOTYPES, ScdParams } from './params';
import { SeededRandom } from './random';
import type { SiteTemplate } from './simulator-defaults';

/** A resolved site: its template plus the realised genotype mix and patient range. */
export interface SimulatedSite extends SiteTemplate {
  /** Site code: country code plus a number, e.g. IT1, NL1, IT2. */
  code: string;
  country: string;
  /** Patients [start, end) of the cohort belong to this site. */
  start: number;
  end: number;
}

/**
 * Resolves `count` sites (cycling the countries of `simulator.sites.country_order`) and splits
 * `patients` among them in proportion to the size weights (largest remainder).
 * @example resolveSites(defaultScdParams(), 4, 1500, 7).map((s) => s.code) // ['IT1', 'NL1', 'ES1', 'FR1']
 */
export function resolveSites(params: ScdParams, count: number, patients: number, seed: number): SimulatedSite[] {
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new UsageError(`Expected an integer in [1, 1000] for sites but received ${count}`);
  if (patients < count) throw new UsageError(`Expected at least one patient per site (patients >= ${count}) for patients but received ${patients}`);
  const cfg = params.simulator.sites;
  const rng = new SeededRandom(seed, 'sites');
  const perCountry = new Map<string, number>();
  const weights: number[] = [];
  const sites: SimulatedSite[] = [];
  for (let i = 0; i < count; i++) {
    const country = cfg.country_order[i % cfg.country_order.length];
    const k = (perCountry.get(country) ?? 0) + 1;
    perCountry.set(country, k);
    const t = cfg.templates[country];
    const mean = GENOTYPES.map((g) => t.genotype_probs[g]);
    const mix = rng.dirichlet(mean, cfg.jitter_concentration);
    const genotypeProbs: Record<string, number> = {};
    GENOTYPES.forEach((g, j) => (genotypeProbs[g] = Math.round(mix[j] * 1e6) / 1e6));
    // Make the rounded mix sum to exactly 1 (put the rounding residue on the largest class).
    const residue = 1 - GENOTYPES.reduce((s, g) => s + genotypeProbs[g], 0);
    genotypeProbs.SS = Math.round((genotypeProbs.SS + residue) * 1e6) / 1e6;
    weights.push(cfg.size_weights[i % cfg.size_weights.length]);
    sites.push({ ...JSON.parse(JSON.stringify(t)), genotype_probs: genotypeProbs, code: `${country}${k}`, country, start: 0, end: 0 });
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / total) * patients);
  const sizes = exact.map((x) => Math.max(1, Math.floor(x)));
  let left = patients - sizes.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) sizes[order[j][1]]++;
  for (let j = sizes.length - 1; left < 0; j = (j - 1 + sizes.length) % sizes.length) if (sizes[j] > 1) { sizes[j]--; left++; }
  let start = 0;
  sites.forEach((s, i) => {
    s.start = start;
    s.end = start + sizes[i];
    start = s.end;
  });
  return sites;
}
