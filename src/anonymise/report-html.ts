/**
 * A self-contained HTML rendering of REPORT.json: levels, loss, suppression, risk before and
 * after (with bars), and the WP29 verdicts with remedies. No scripts, no external resources.
 */
import type { AnonymisationReport } from './pipeline';

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

function bar(value: number, threshold: number): string {
  const w = Math.max(0, Math.min(100, value * 100));
  const t = Math.max(0, Math.min(100, threshold * 100));
  const colour = value <= threshold ? '#2e7d32' : '#c62828';
  return `<div class="bar"><div style="width:${w}%;background:${colour}"></div><span style="left:${t}%"></span></div>`;
}

/**
 * Renders the report as one HTML page.
 * @example fs.writeFileSync('report.html', renderReportHtml(report))
 */
export function renderReportHtml(r: AnonymisationReport): string {
  const rows = (pairs: [string, string][]) => pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('');
  const riskRows: [string, keyof AnonymisationReport['risk']['before']][] = [
    ['average prosecutor risk', 'averageProsecutor'], ['highest prosecutor risk', 'highestProsecutor'],
    ['records at risk', 'recordsAtRisk'], ['sample uniqueness', 'sampleUniqueness'], ['population uniqueness (Dankar)', 'populationUniqueness'], ['marketer risk', 'marketer'],
  ];
  const thresholdOf: Record<string, number> = {};
  for (const c of r.verdict.criteria) for (const ch of c.checks) thresholdOf[ch.measure] = ch.threshold;
  const riskTable = riskRows.map(([label, key]) => {
    const b = r.risk.before[key] as number, a = r.risk.after[key] as number;
    const t = thresholdOf[key] ?? 1;
    return `<tr><th>${esc(label)}</th><td>${fmt(b)} ${bar(b, t)}</td><td>${fmt(a)} ${bar(a, t)}</td></tr>`;
  }).join('');
  const verdicts = r.verdict.criteria.map((c) => `<section class="${c.passed ? 'pass' : 'fail'}"><h3>${esc(c.criterion)}: ${c.passed ? 'passes' : 'fails'}</h3><p>${esc(c.explanation)}</p>
<table>${c.checks.map((ch) => `<tr><td>${esc(ch.measure)}</td><td>${fmt(ch.value)} ${ch.comparison} ${fmt(ch.threshold)}</td><td>${ch.passed ? 'ok' : 'fails'}</td><td class="src">${esc(ch.source)}</td></tr>`).join('')}</table>
${c.remedies.length ? `<p>What to change:</p><ul>${c.remedies.map((x) => `<li><code>${esc(x)}</code></li>`).join('')}</ul>` : ''}</section>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hemasynth anonymisation report</title>
<style>body{font:14px/1.4 system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}table{border-collapse:collapse;margin:.5em 0}th,td{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.bar{display:inline-block;position:relative;width:10em;height:.7em;background:#eee;margin-left:.5em}.bar div{height:100%}.bar span{position:absolute;top:-2px;width:2px;height:calc(100% + 4px);background:#000}
.pass h3{color:#2e7d32}.fail h3{color:#c62828}.src{font-size:11px;color:#666}</style></head><body>
<h1>Anonymisation report</h1>
<p><strong>Privacy level: ${esc(r.verdict.level)}</strong>. ${esc(r.verdict.summary)}</p>
<table>${rows([
    ['data', esc(r.data ?? '')], ['policy', esc(r.policy ?? '')], ['rows in / out', `${r.rows.input} / ${r.rows.output}`],
    ['dropped by minimisation', esc(r.minimisation.dropped.join(', ') || 'none')],
    ['direct identifiers', esc(r.directIdentifiers.map((d) => `${d.column}: ${d.action}`).join(', ') || 'none')],
    ['levels', esc(Object.entries(r.levels).map(([k, v]) => `${k}=${v}/${r.hierarchyHeights[k] - 1}`).join(', '))],
    ['loss', `${esc(r.loss.metric)} ${fmt(r.loss.value)}`], ['suppressed records', `${r.suppressedRecords} (limit ${(r.suppressionLimit * 100).toFixed(2)}%)`],
    ['equivalence classes', String(r.equivalenceClasses)], ['search', `${r.search.checks} of ${r.search.latticeSize} nodes checked in ${r.search.milliseconds.toFixed(1)} ms`],
  ])}</table>
<h2>Risk before and after</h2><table><tr><th></th><th>before</th><th>after</th></tr>${riskTable}</table>
<h2>WP29 criteria</h2>${verdicts}
</body></html>
`;
}
