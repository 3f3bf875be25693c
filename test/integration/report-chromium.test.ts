// Opens report.html in headless Chromium (Debian's chromium; .ci/run installs it), checks that
// every chart rendered, that the page logged no console error and fetched nothing, and saves a
// screenshot. Without chromium this test fails with the reason: a report nobody has seen
// render is not tested.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { evaluateSynthetic } from '../../src/evaluate/evaluate';
import { renderHtmlReport } from '../../src/evaluate/report/html-report';
import { cohortColumns, cohortTable } from '../unit/evaluate/cohort-fixture';

const CHROMIUM = process.env.HEMASYNTH_CHROMIUM ?? '/usr/bin/chromium';

it('report.html renders its charts in headless Chromium without console errors', async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Expected a Chromium executable at ${CHROMIUM} but found none. Install it (Debian: apt-get install -y chromium) or set HEMASYNTH_CHROMIUM`);
  }
  const train = cohortTable(cohortColumns(500, 1));
  const report = evaluateSynthetic({
    train, holdout: cohortTable(cohortColumns(500, 2)), synthetic: cohortTable(cohortColumns(500, 3)), target: 'hospitalised', nAttacks: 100,
    analyses: [{ id: 'crises-hbf', title: 'Crises and HbF', outcome: 'crises_per_year', family: 'poisson', covariates: ['hbf_pct', 'genotype'] }],
    ledger: { format: 'example', spent: { epsilon: 2.5, delta: 1e-5 }, budget: { epsilon: 4, delta: 1e-5 }, accountant: 'prv', entries: [{ id: 1, mechanism: 'subsampled-gaussian', epsilonAfter: 2.5 }] },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-report-'));
  const htmlFile = path.join(dir, 'report.html');
  fs.writeFileSync(htmlFile, await renderHtmlReport(report));
  // A fresh profile per run (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    await page.goto(`file://${htmlFile}`, { waitUntil: 'load' });
    const charts = await page.$$eval('figure.chart svg', (svgs) => svgs.map((s) => {
      const box = s.getBoundingClientRect();
      return { w: box.width, h: box.height, marks: s.querySelectorAll('path, rect, line, circle').length };
    }));
    // 7 marginals + 2 heat maps + utility + privacy + 1 clinical chart.
    expect(charts.length).toBe(7 + 2 + 1 + 1 + 1);
    for (const c of charts) {
      expect(c.w).toBeGreaterThan(50);
      expect(c.h).toBeGreaterThan(50);
      expect(c.marks).toBeGreaterThan(3);
    }
    expect(await page.textContent('body')).toMatch(/Spent ε = 2\.5/);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    const shot = path.join(process.env.HEMASYNTH_SCREENSHOT_DIR ?? dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    process.stdout.write(`report screenshot: ${shot}\n`);
  } finally {
    await context.close();
  }
});
