/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no external URL) for
 * the clinician, the statistician and the data-protection officer: verdicts first, then each
 * section's figures beside the real-vs-real yardstick, with charts.
 */
import type { EvaluationReport, ClinicalEntry } from '../evaluate';
import type { ClinicalAnalysisResult } from '../clinical/analyses';
import type { AttackResult } from '../privacy/attack-result';
import { renderSvg } from './svg-chart';
import { associationDifferenceChart, clinicalChart, marginalChart, privacyRiskChart, utilityChart } from './charts';

/** Escapes text for HTML. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

const f3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3));
const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)}%`);
const ci = (i: [number, number] | null | undefined) => (i ? `[${f3(i[0])}, ${f3(i[1])}]` : '–');

function badge(ok: boolean | null, yes: string, no: string): string {
  if (ok === null) return '<span class="badge na">not run</span>';
  return ok ? `<span class="badge ok">${escapeHtml(yes)}</span>` : `<span class="badge bad">${escapeHtml(no)}</span>`;
}

function table(head: string[], rows: (string | number)[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** Shown reasons before the rest fold away: a wide table can flag hundreds of columns. */
const REASONS_SHOWN = 12;

function reasons(list: string[]): string {
  if (!list.length) return '';
  const item = (r: string) => `<li>${escapeHtml(r)}</li>`;
  const head = list.slice(0, REASONS_SHOWN).map(item).join('');
  const rest = list.slice(REASONS_SHOWN);
  const more = rest.length ? `<li class="more"><details><summary>${rest.length} more</summary><ul>${rest.map(item).join('')}</ul></details></li>` : '';
  return `<ul class="reasons">${head}${more}</ul>`;
}

async function chart(spec: Record<string, unknown>): Promise<string> {
  return `<figure class="chart">${await renderSvg(spec)}</figure>`;
}

function attackRow(name: string, r: AttackResult | null): (string | number)[] {
  if (!r) return [escapeHtml(name), '–', '–', '–', '–', '–', 'no predicates found'];
  return [escapeHtml(name), f3(r.risk), ci(r.interval), pct(r.attack.rate), r.control ? pct(r.control.rate) : '–', pct(r.baseline.rate),
    r.interval[0] > 0.1 ? '<span class="badge bad">risk</span>' : r.attackWeakerThanBaseline ? '<span class="badge na">attack weak</span>' : '<span class="badge ok">low</span>'];
}

function ledgerHtml(ledger: unknown): string {
  if (ledger === null || ledger === undefined) return '<p class="note">No privacy ledger was given (<code>--ledger FILE</code>): this report cannot state the privacy budget the model spent.</p>';
  const entries = Array.isArray(ledger) ? ledger : (ledger as { entries?: unknown }).entries;
  let out = '';
  const l = ledger as { spent?: { epsilon?: number; delta?: number; rdpEpsilon?: number }; budget?: { epsilon?: number; delta?: number }; accountant?: string };
  if (l.spent && typeof l.spent.epsilon === 'number') {
    out += `<p>Spent <b>ε = ${escapeHtml(Number(l.spent.epsilon.toPrecision(4)))}</b> at δ = ${escapeHtml(l.spent.delta)} (${escapeHtml(l.accountant ?? 'accountant not stated')}${typeof l.spent.rdpEpsilon === 'number' ? `; RDP cross-check ε = ${escapeHtml(Number(l.spent.rdpEpsilon.toPrecision(4)))}` : ''})${l.budget ? ` of a budget of ε = ${escapeHtml(l.budget.epsilon)}, δ = ${escapeHtml(l.budget.delta)}` : ''}.</p>`;
  }
  if (Array.isArray(entries) && entries.length && entries.every((e) => typeof e === 'object' && e !== null)) {
    const keys = [...new Set(entries.flatMap((e) => Object.keys(e as object)))].slice(0, 10);
    out += table(keys, entries.map((e) => keys.map((k) => {
      const v = (e as Record<string, unknown>)[k];
      return escapeHtml(typeof v === 'object' ? JSON.stringify(v) : v ?? '');
    })));
  }
  return out + `<details><summary>Ledger as given</summary><pre>${escapeHtml(JSON.stringify(ledger, null, 2))}</pre></details>`;
}

function isAnalysis(c: ClinicalEntry): c is ClinicalAnalysisResult {
  return c.kind === 'glm' && 'terms' in c;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px} h2{border-bottom:2px solid #d0d7de;padding-bottom:4px;margin-top:36px} h3{margin-bottom:6px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px 20px 16px;margin:16px 0}
table{border-collapse:collapse;margin:8px 0;font-size:.9em} th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right} th{background:#eef1f4} td:first-child,th:first-child{text-align:left}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.85em;font-weight:600} .ok{background:#dafbe1;color:#116329} .bad{background:#ffebe9;color:#a40e26} .na{background:#eef1f4;color:#57606a}
.grid{display:flex;flex-wrap:wrap;gap:8px} figure.chart{margin:4px;background:#fff}
.note{color:#57606a} .reasons li{color:#a40e26} pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:300px}
.summary td{text-align:left}`;

/**
 * The HTML page of a report.
 * @example fs.writeFileSync('report.html', await renderHtmlReport(report))
 */
export async function renderHtmlReport(r: EvaluationReport): Promise<string> {
  const parts: string[] = [];
  const s = r.summary;
  parts.push(`<h1>Synthetic data evaluation</h1><p class="note">hemasynth ${escapeHtml(r.hemasynth)} · ${escapeHtml(r.createdAt)} · synthetic <b>${escapeHtml(r.inputs.synthetic.label)}</b> (${r.inputs.synthetic.rows} rows) against training <b>${escapeHtml(r.inputs.train.label)}</b> (${r.inputs.train.rows}) and holdout <b>${escapeHtml(r.inputs.holdout.label)}</b> (${r.inputs.holdout.rows}); ${r.inputs.columns.length} columns; seed ${r.inputs.seed}.</p>`);
  parts.push(`<section><h2>Summary</h2>${table(['Section', 'Reading'], [
    ['Fidelity', badge(!s.fidelityFlagged, 'close to real data', 'differs from real data')],
    ['Utility', badge(s.utilityFlagged === null ? null : !s.utilityFlagged, 'models trained on it work on real data', 'models trained on it lose accuracy')],
    ['Privacy', badge(!s.privacyFlagged, 'no attack succeeded beyond its control', 'attacks succeed: see below')],
    ['Clinical validity', s.clinicalTotal ? badge(s.clinicalPassed === s.clinicalTotal, `${s.clinicalPassed}/${s.clinicalTotal} analyses reproduced`, `${s.clinicalPassed}/${s.clinicalTotal} analyses reproduced`) : badge(null, '', '')],
  ])}<p class="note">Every figure for the synthetic data stands beside the same figure for the holdout, a second sample of real people: real data differs from itself by that much. Privacy attacks are evidence, not a certificate; the privacy ledger states the formal guarantee.</p>${reasons(r.notes)}</section>`);

  const fd = r.fidelity;
  const m2 = (k: number, src: 'synthetic' | 'holdout') => fd.marginals[src].find((m) => m.k === k);
  const detRow = (name: 'logistic' | 'gbt') => [name === 'gbt' ? 'Detection AUC (gradient-boosted trees)' : 'Detection AUC (logistic)', `${f3(fd.detection.synthetic[name]?.auc)} ${ci(fd.detection.synthetic[name]?.interval)}`, `${f3(fd.detection.holdout[name]?.auc)} ${ci(fd.detection.holdout[name]?.interval)}`];
  parts.push(`<section><h2>Fidelity</h2>${reasons(fd.verdict.reasons)}${table(['Measure', 'Synthetic vs training', 'Holdout vs training'], [
    ['Mean |Δ association| over column pairs', f3(fd.pairSummary.meanDifferenceSynthetic), f3(fd.pairSummary.meanDifferenceHoldout)],
    ['Max |Δ association|', f3(fd.pairSummary.maxDifferenceSynthetic), f3(fd.pairSummary.maxDifferenceHoldout)],
    ['2-way marginals: mean TVD (NIST score /1000)', `${f3(m2(2, 'synthetic')?.meanTvd)} (${m2(2, 'synthetic')?.nistScore.toFixed(0) ?? '–'})`, `${f3(m2(2, 'holdout')?.meanTvd)} (${m2(2, 'holdout')?.nistScore.toFixed(0) ?? '–'})`],
    ['3-way marginals: mean TVD (NIST score /1000)', `${f3(m2(3, 'synthetic')?.meanTvd)} (${m2(3, 'synthetic')?.nistScore.toFixed(0) ?? '–'})`, `${f3(m2(3, 'holdout')?.meanTvd)} (${m2(3, 'holdout')?.nistScore.toFixed(0) ?? '–'})`],
    detRow('logistic'), detRow('gbt'),
    ['Detection pMSE (gradient-boosted trees)', f3(fd.detection.synthetic.gbt?.pmse), f3(fd.detection.holdout.gbt?.pmse)],
  ])}<div class="grid">${await chart(associationDifferenceChart(fd.pairs, 'differenceSynthetic', 'Association difference: synthetic vs training'))}${await chart(associationDifferenceChart(fd.pairs, 'differenceHoldout', 'Yardstick: holdout vs training'))}</div>
  <h3>Columns</h3>${table(['Column', 'Statistic', 'Synthetic', 'Holdout', 'Wasserstein/range syn.', 'Wasserstein/range hold.', 'Missing train', 'Missing hold.', 'Missing syn.'], fd.columns.map((c) => [escapeHtml(c.column), c.statistic.toUpperCase(), f3(c.synthetic), f3(c.holdout), f3(c.wassersteinSynthetic), f3(c.wassersteinHoldout), pct(c.missing.train), pct(c.missing.holdout), pct(c.missing.synthetic)]))}
  <h3>Marginal distributions</h3><div class="grid">${(await Promise.all(fd.columns.map((c) => chart(marginalChart(c))))).join('')}</div></section>`);

  const u = r.utility;
  if (u) {
    const sc = (x: Record<string, unknown> | null) => (x ? Object.entries(x).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${f3(v as number)}`).join(' · ') : '<span class="badge bad">failed</span>');
    parts.push(`<section><h2>Utility</h2>${reasons(u.verdict.reasons)}<p>Target <b>${escapeHtml(u.target)}</b> (${u.task}); each model is trained on the training data or on the synthetic data and tested on the real holdout.</p>${table(['Model', 'Trained on training', 'Trained on synthetic', 'Ratio', 'Notes'], u.models.map((m) => [m.model.toUpperCase(), sc(m.real as Record<string, unknown> | null), sc(m.synthetic as Record<string, unknown> | null), f3(m.ratio), escapeHtml(m.notes.join('; '))]))}
    ${await chart(utilityChart(u))}${u.importance ? `<h3>Feature importance (tree gain share)</h3><p>Spearman agreement ${f3(u.importance.spearman)}</p>${table(['Feature', 'Trained on training', 'Trained on synthetic'], u.importance.features.map((f, i) => {
      const tr = u.importance!.real.reduce((a, b) => a + b, 0) || 1, ts = u.importance!.synthetic.reduce((a, b) => a + b, 0) || 1;
      return [escapeHtml(f), pct(u.importance!.real[i] / tr), pct(u.importance!.synthetic[i] / ts)];
    }))}` : ''}</section>`);
  } else {
    parts.push('<section><h2>Utility</h2><p class="note">Not run: no target column was given (<code>--target COLUMN</code>).</p></section>');
  }

  const p = r.privacy;
  const mia = p.membershipInference, dcr = p.distanceToClosestRecord;
  parts.push(`<section><h2>Privacy</h2>${reasons(p.verdict.reasons)}<p>Anonymeter-style attacks (Giomi et al. 2023): the main attack targets training records; the same attack on holdout records (the control) shows what is guessed from population patterns alone; the residual risk is what the synthetic data gives away about the people in it.</p>
  ${table(['Attack', 'Risk', '95% interval', 'Attack success', 'Control success', 'Naive baseline', 'Reading'], [
    attackRow('Singling out (univariate)', p.singlingOut.univariate), attackRow('Singling out (multivariate)', p.singlingOut.multivariate),
    attackRow(`Linkability (${p.linkability.auxColumns[0].length} + ${p.linkability.auxColumns[1].length} columns)`, p.linkability),
    ...p.inference.secrets.map((x) => attackRow(`Attribute inference: ${x.secret}`, x)),
  ])}${await chart(privacyRiskChart(p))}
  <h3>Membership inference</h3>${table(['Measure', 'Value', 'Interval'], [
    ['AUC (0.5 = chance)', f3(mia.auc), ci(mia.interval)], [`TPR at ${pct(mia.tprAtFpr.fpr)} FPR`, pct(mia.tprAtFpr.tpr), ci(mia.tprAtFpr.interval)], ['Members / non-members', `${mia.n} / ${mia.n}`, ''], ['Reading', mia.flagged ? '<span class="badge bad">members identifiable</span>' : '<span class="badge ok">not identifiable</span>', ''],
  ])}
  <h3>Distances (diagnostics)</h3>${table(['Distance (mean Gower)', 'Median', '5th percentile', 'Minimum'], [
    ['Synthetic → training', f3(dcr.syntheticToTrain.median), f3(dcr.syntheticToTrain.p05), f3(dcr.syntheticToTrain.min)],
    ...(dcr.syntheticToHoldout ? [['Synthetic → holdout', f3(dcr.syntheticToHoldout.median), f3(dcr.syntheticToHoldout.p05), f3(dcr.syntheticToHoldout.min)]] : []),
    ...(dcr.holdoutToTrain ? [['Holdout → training (yardstick)', f3(dcr.holdoutToTrain.median), f3(dcr.holdoutToTrain.p05), f3(dcr.holdoutToTrain.min)]] : []),
    ['NNDR synthetic', f3(dcr.nndrSynthetic.median), f3(dcr.nndrSynthetic.p05), f3(dcr.nndrSynthetic.min)],
    ...(dcr.nndrHoldout ? [['NNDR holdout (yardstick)', f3(dcr.nndrHoldout.median), f3(dcr.nndrHoldout.p05), f3(dcr.nndrHoldout.min)]] : []),
  ])}<p>Exact copies of training rows: <b>${dcr.exactCopies.count}</b> (${pct(dcr.exactCopies.rate)}; holdout rows identical to a training row: ${dcr.exactCopies.holdoutCount ?? '–'}). Share of synthetic rows closer to training than to holdout rows: <b>${f3(dcr.closerToTrainingShare?.share)}</b> ${ci(dcr.closerToTrainingShare?.interval)} (0.5 expected).</p></section>`);

  const clin: string[] = [];
  for (const c of r.clinical) {
    if (isAnalysis(c)) {
      clin.push(`<h3>${escapeHtml(c.title)} ${badge(c.passed, 'reproduced', 'not reproduced')}</h3>${table(['Term', 'Training estimate [95% CI]', 'Synthetic estimate [95% CI]', 'Same sign', 'CI overlap'], c.terms.map((t) => [escapeHtml(t.term), `${f3(t.real.estimate)} ${ci(t.real.interval)}`, t.synthetic ? `${f3(t.synthetic.estimate)} ${ci(t.synthetic.interval)}` : '–', t.signAgreement ? 'yes' : 'no', f3(t.intervalOverlap)]))}${reasons(c.notes)}${c.terms.length ? await chart(clinicalChart(c)) : ''}`);
    } else if ('error' in c) {
      clin.push(`<h3>${escapeHtml(c.title)} ${badge(false, '', 'could not run')}</h3><p class="note">${escapeHtml(c.error)}</p>`);
    }
  }
  const checks = r.clinical.filter((c) => c.kind === 'check') as (ClinicalEntry & { statistics?: Record<string, unknown> })[];
  const fmtStats = (st: Record<string, unknown> | undefined) => Object.entries(st ?? {}).map(([k, v]) => `${escapeHtml(k)} ${typeof v === 'number' ? f3(v) : escapeHtml(v)}`).join('<br>');
  if (checks.length) clin.push(`<h3>Sickle-cell checks V1–V13</h3>${table(['Check', 'Title', 'Synthetic', 'Real (training)', 'Synthetic statistics', 'Real statistics'], checks.map((c) => {
    const real = (c as { real?: { passed: boolean; statistics?: Record<string, unknown> } }).real;
    return [escapeHtml(c.id), escapeHtml(c.title), badge(c.passed, 'passed', 'failed'), real ? badge(real.passed, 'passed', 'failed') : '–', fmtStats(c.statistics), fmtStats(real?.statistics)];
  }))}`);
  parts.push(`<section><h2>Clinical validity</h2>${clin.length ? clin.join('') : '<p class="note">No clinical analyses were given.</p>'}</section>`);
  parts.push(`<section><h2>Privacy ledger of the model</h2>${ledgerHtml(r.ledger)}</section>`);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>hemasynth evaluation: ${escapeHtml(r.inputs.synthetic.label)}</title><style>${STYLE}</style></head><body><main>${parts.join('\n')}</main></body></html>\n`;
}
