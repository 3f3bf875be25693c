/**
 * Omics modalities of the simulated cohort: a background SNP panel in linkage blocks and a
 * log-normal metabolomics panel partly driven by hemolysis. Both exist only for patients in
 * the (site-dependent) omics sub-study, as in real registries.
 *
 * The panel structure (block sizes, allele frequencies, metabolite medians and drivers) comes
 * from its own `structure_seed`, so every cohort and every site shares one panel definition.
 */
import type { ColumnData } from './column-store';
import { SeededRandom } from './random';

/** Structure of a SNP panel: blocks and per-SNP allele frequencies. */
export interface SnpPanel {
  names: string[];
  maf: Float64Array;
  /** True where a SNP starts a new linkage block. */
  blockStart: Uint8Array;
}

/**
 * Builds the panel structure `snp_001..` (names continue from `first`).
 * @example makeSnpPanel(200, 4, 12, 0.05, 0.5, 20240531).names[0] // 'snp_001'
 */
export function makeSnpPanel(count: number, blockMin: number, blockMax: number, mafMin: number, mafMax: number, structureSeed: number, first = 1): SnpPanel {
  const rng = new SeededRandom(structureSeed, `snp-panel-${first}`);
  const width = Math.max(3, String(first + count - 1).length);
  const names: string[] = [];
  const maf = new Float64Array(count);
  const blockStart = new Uint8Array(count);
  let left = 0;
  for (let j = 0; j < count; j++) {
    if (left === 0) {
      left = blockMin + rng.int(blockMax - blockMin + 1);
      blockStart[j] = 1;
    }
    left--;
    names.push(`snp_${String(first + j).padStart(width, '0')}`);
    maf[j] = mafMin + (mafMax - mafMin) * rng.uniform();
  }
  return { names, maf, blockStart };
}

/**
 * Simulates genotypes (0/1/2 minor-allele counts) of a panel by haplotype copying: within a
 * block each allele repeats the previous SNP's allele with probability `ldCopy` (linkage
 * disequilibrium decaying along the block), otherwise it is drawn from the SNP's frequency.
 * Patients outside the omics sub-study (`inStudy[i] = 0`) and failed calls are missing.
 */
export function simulateSnpPanel(panel: SnpPanel, inStudy: Uint8Array, ldCopy: number, callMissing: number, seed: number): Array<[string, ColumnData]> {
  const n = inStudy.length;
  const m = panel.names.length;
  const rng = new SeededRandom(seed, `snp-genotypes-${panel.names[0] ?? ''}`);
  const values = panel.names.map(() => new Int8Array(n));
  const valid = panel.names.map(() => new Uint8Array(n));
  const U32 = 2.3283064365386963e-10; // 2^-32: a 32-bit uniform is plenty for allele draws
  for (let i = 0; i < n; i++) {
    if (!inStudy[i]) continue;
    let h1 = 0, h2 = 0;
    for (let j = 0; j < m; j++) {
      const p = panel.maf[j];
      if (panel.blockStart[j] || rng.nextUint32() * U32 >= ldCopy) h1 = rng.nextUint32() * U32 < p ? 1 : 0;
      if (panel.blockStart[j] || rng.nextUint32() * U32 >= ldCopy) h2 = rng.nextUint32() * U32 < p ? 1 : 0;
      values[j][i] = h1 + h2;
      valid[j][i] = rng.nextUint32() * U32 < callMissing ? 0 : 1;
    }
  }
  return panel.names.map((name, j) => [name, { type: 'int8', values: values[j], valid: valid[j] }]);
}

/** Options of the metabolomics panel. */
export interface MetabolomicsOptions {
  count: number;
  /** Names start at met_<first>. */
  first: number;
  hemolysisDriven: number;
  hemolysisLoading: number;
  hbfDriven: number;
  ageDriven: number;
  clusters: number;
  clusterLoading: number;
  structureSeed: number;
}

/**
 * Simulates log-normal metabolite concentrations (arbitrary units, relative abundance). The
 * first block loads on the hemolysis latent (heme/arginine-pathway metabolites rise with
 * hemolysis), then on log HbF, then on age; the rest on a few shared latent clusters.
 */
export function simulateMetabolomics(opts: MetabolomicsOptions, inStudy: Uint8Array, hemolysis: Float64Array, logHbf: Float64Array, age: Float64Array, seed: number): Array<[string, ColumnData]> {
  const n = inStudy.length;
  const srng = new SeededRandom(opts.structureSeed, `metabolomics-${opts.first}`);
  const width = Math.max(2, String(opts.first + opts.count - 1).length);
  const rng = new SeededRandom(seed, `metabolomics-${opts.first}`);
  // Standardise drivers over the cohort so loadings are correlations.
  const std = (x: Float64Array) => {
    let s = 0, s2 = 0, k = 0;
    for (let i = 0; i < n; i++) if (Number.isFinite(x[i])) { s += x[i]; s2 += x[i] * x[i]; k++; }
    const m = k ? s / k : 0;
    const sd = k > 1 ? Math.sqrt(Math.max(s2 / k - m * m, 1e-12)) : 1;
    return (i: number) => (Number.isFinite(x[i]) ? (x[i] - m) / sd : 0);
  };
  const zH = std(hemolysis), zF = std(logHbf), zA = std(age);
  const clusterZ = Array.from({ length: opts.clusters }, () => new Float64Array(n));
  for (const cz of clusterZ) for (let i = 0; i < n; i++) cz[i] = rng.normal();
  const out: Array<[string, ColumnData]> = [];
  for (let j = 0; j < opts.count; j++) {
    const name = `met_${String(opts.first + j).padStart(width, '0')}`;
    const mu = Math.log(1) + Math.log(500) * srng.uniform();
    const sd = 0.3 + 0.5 * srng.uniform();
    let driver: (i: number) => number;
    let load: number;
    if (j < opts.hemolysisDriven) {
      driver = zH;
      load = opts.hemolysisLoading * (srng.uniform() < 0.8 ? 1 : -1) * (0.7 + 0.3 * srng.uniform());
    } else if (j < opts.hemolysisDriven + opts.hbfDriven) {
      driver = zF;
      load = 0.4 * (srng.uniform() < 0.5 ? 1 : -1);
    } else if (j < opts.hemolysisDriven + opts.hbfDriven + opts.ageDriven) {
      driver = zA;
      load = 0.45 * (srng.uniform() < 0.6 ? 1 : -1);
    } else {
      const cz = clusterZ[srng.int(opts.clusters)];
      driver = (i) => cz[i];
      load = opts.clusterLoading * (0.6 + 0.4 * srng.uniform());
    }
    const values = new Float64Array(n);
    const valid = new Uint8Array(n);
    const rest = Math.sqrt(1 - load * load);
    for (let i = 0; i < n; i++) {
      const e = rng.normal();
      if (!inStudy[i]) continue;
      valid[i] = 1;
      values[i] = Math.round(Math.exp(mu + sd * (load * driver(i) + rest * e)) * 1e4) / 1e4;
    }
    out.push([name, { type: 'float64', values, valid }]);
  }
  return out;
}
