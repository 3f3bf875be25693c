/**
 * The Vega-Lite specifications of the report's charts, built from report.json sections.
 */
import type { ColumnFidelity, PairFidelity } from '../fidelity/evaluate-fidelity';
import type { PrivacyReport } from '../privacy/evaluate-privacy';
import type { ClinicalAnalysisResult } from '../clinical/analyses';
import type { UtilityReport } from '../utility/evaluate-utility';
import type { ChartSpec } from './svg-chart';

const SOURCE_COLOURS = { domain: ['training', 'holdout', 'synthetic'], range: ['#1f77b4', '#9ecae1', '#d62728'] };

/** Training, holdout and synthetic distributions of one column, side by side per bin. */
export function marginalChart(c: ColumnFidelity): ChartSpec {
  const values = c.distribution.bins.flatMap((bin, i) => [
    { bin, order: i, source: 'training', share: c.distribution.train[i] },
    { bin, order: i, source: 'holdout', share: c.distribution.holdout[i] },
    { bin, order: i, source: 'synthetic', share: c.distribution.synthetic[i] },
  ]);
  return {
    title: { text: c.column, subtitle: `${c.statistic.toUpperCase()} synthetic ${c.synthetic.toFixed(3)} · holdout ${c.holdout.toFixed(3)}` },
    width: 260, height: 140,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'bin', type: 'nominal', sort: { field: 'order' }, title: null, axis: { labelAngle: -40, labelLimit: 90 } },
      xOffset: { field: 'source', sort: SOURCE_COLOURS.domain },
      y: { field: 'share', type: 'quantitative', title: 'share', axis: { format: '.0%' } },
      color: { field: 'source', type: 'nominal', scale: SOURCE_COLOURS, legend: { orient: 'bottom', title: null } },
    },
  };
}

/** Heat map of |association(synthetic) − association(training)| for every column pair. */
export function associationDifferenceChart(pairs: PairFidelity[], key: 'differenceSynthetic' | 'differenceHoldout', title: string): ChartSpec {
  const values = pairs.flatMap((p) => [
    { a: p.a, b: p.b, diff: p[key], kind: p.kind },
    { a: p.b, b: p.a, diff: p[key], kind: p.kind },
  ]).filter((v) => v.diff !== null);
  const side = Math.max(160, Math.min(520, 16 * Math.sqrt(pairs.length * 2 + 1)));
  return {
    title,
    width: side, height: side,
    data: { values },
    mark: 'rect',
    encoding: {
      x: { field: 'a', type: 'nominal', title: null, axis: { labelAngle: -45 } },
      y: { field: 'b', type: 'nominal', title: null },
      color: { field: 'diff', type: 'quantitative', title: '|Δ association|', scale: { domain: [0, 0.5], scheme: 'reds', clamp: true } },
      tooltip: [{ field: 'a' }, { field: 'b' }, { field: 'kind' }, { field: 'diff', format: '.3f' }],
    },
  };
}

/** Risks with their confidence intervals for every attack (main, control and baseline rates too). */
export function privacyRiskChart(p: PrivacyReport): ChartSpec {
  const rows: { attack: string; measure: string; value: number; lo: number; hi: number }[] = [];
  const add = (attack: string, r: { risk: number; interval: [number, number] }) => rows.push({ attack, measure: 'residual risk', value: r.risk, lo: r.interval[0], hi: r.interval[1] });
  add('singling-out', p.singlingOut);
  add('linkability', p.linkability);
  add('attribute inference', p.inference);
  rows.push({ attack: 'membership inference', measure: 'AUC − 0.5 (×2)', value: Math.max(0, 2 * (p.membershipInference.auc - 0.5)), lo: Math.max(0, 2 * (p.membershipInference.interval[0] - 0.5)), hi: Math.max(0, 2 * (p.membershipInference.interval[1] - 0.5)) });
  return {
    title: 'Privacy risks with 95% intervals (0 = nothing learned beyond the control)',
    width: 420, height: 150,
    data: { values: rows },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y: { field: 'attack', type: 'nominal', title: null }, x: { field: 'lo', type: 'quantitative', scale: { domain: [0, 1] }, title: 'risk' }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 80 }, encoding: { y: { field: 'attack', type: 'nominal' }, x: { field: 'value', type: 'quantitative' }, color: { field: 'measure', type: 'nominal', legend: { orient: 'bottom', title: null } } } },
      { data: { values: [{ t: 0.1 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { x: { field: 't', type: 'quantitative' } } },
    ],
  };
}

/** Estimates with confidence intervals on real and synthetic data, per term. */
export function clinicalChart(a: ClinicalAnalysisResult): ChartSpec {
  const values = a.terms.flatMap((t) => [
    { term: t.term, source: 'training', est: t.real.estimate, lo: t.real.interval[0], hi: t.real.interval[1] },
    ...(t.synthetic ? [{ term: t.term, source: 'synthetic', est: t.synthetic.estimate, lo: t.synthetic.interval[0], hi: t.synthetic.interval[1] }] : []),
  ]);
  const colours = { domain: ['training', 'synthetic'], range: ['#1f77b4', '#d62728'] };
  return {
    title: { text: a.title, subtitle: `${a.family} GLM of ${a.outcome}; ${a.effectScale === 'difference' ? 'coefficients' : `log ${a.effectScale.replace('-', ' ')}s`}` },
    width: 380, height: Math.max(60, 34 * a.terms.length),
    data: { values },
    encoding: { y: { field: 'term', type: 'nominal', title: null }, yOffset: { field: 'source', sort: colours.domain }, color: { field: 'source', type: 'nominal', scale: colours, legend: { orient: 'bottom', title: null } } },
    layer: [
      { mark: 'rule', encoding: { x: { field: 'lo', type: 'quantitative', title: 'estimate (95% CI)' }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true }, encoding: { x: { field: 'est', type: 'quantitative' } } },
      { data: { values: [{ z: 0 }] }, mark: { type: 'rule', strokeDash: [3, 3], color: '#888' }, encoding: { x: { field: 'z', type: 'quantitative' }, y: null, yOffset: null, color: null } },
    ],
  };
}

/** Main utility score per model, trained on real vs on synthetic data. */
export function utilityChart(u: UtilityReport): ChartSpec {
  const key = (m: UtilityReport['models'][number]) => m.primaryMetric as 'auc' | 'accuracy' | 'meanDeviance';
  const values = u.models.flatMap((m) => [
    ...(m.real ? [{ model: m.model.toUpperCase(), source: 'trained on training', score: (m.real as Record<string, number>)[key(m)] ?? 0 }] : []),
    ...(m.synthetic ? [{ model: m.model.toUpperCase(), source: 'trained on synthetic', score: (m.synthetic as Record<string, number>)[key(m)] ?? 0 }] : []),
  ]);
  return {
    title: `Tested on the real holdout: ${u.models[0]?.primaryMetric ?? ''} of "${u.target}"`,
    width: 260, height: 120,
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'model', type: 'nominal', title: null },
      yOffset: { field: 'source' },
      x: { field: 'score', type: 'quantitative', title: u.models[0]?.primaryMetric ?? 'score' },
      color: { field: 'source', type: 'nominal', scale: { range: ['#1f77b4', '#d62728'] }, legend: { orient: 'bottom', title: null } },
    },
  };
}
