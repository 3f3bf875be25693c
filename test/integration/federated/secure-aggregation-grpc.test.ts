/**
 * Secure aggregation over the real gRPC/mutual-TLS transport on loopback: exact sums with
 * random drop-outs (3, 5 and 10 sites as separate processes), uniformity of
 * what the coordinator receives, and the faults and bad actors the coordinator must refuse.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createFederationPki, loadPartyCredentials } from '../../../src/federated/pki';
import { FederationCoordinator } from '../../../src/federated/coordinator';
import type { SiteFaultPoint } from '../../../src/federated/site';
import { CHUNK_WORDS } from '../../../src/federated/transport';
import { VectorSumCoordinator, siteVector } from './vector-sum-task';

jest.setTimeout(60_000);
const register = path.join(__dirname, 'ts-register.js');
let dir: string;
const ALL = Array.from({ length: 10 }, (_, i) => `s${i}`);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-fed-'));
  await createFederationPki(path.join(dir, 'pki'), [...ALL, 'outsider']);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function expectedSum(sites: string[], round: number, length: number): number[] {
  const s = new Array(length).fill(0);
  for (const name of sites) siteVector(name, round, length).forEach((v, i) => (s[i] += v));
  return s;
}

function coordinatorFor(sites: string[], rounds: number, length: number, extra: Partial<ConstructorParameters<typeof FederationCoordinator>[0]> = {}) {
  const task = new VectorSumCoordinator(rounds, length);
  const logs: Array<{ event: string } & Record<string, unknown>> = [];
  const c = new FederationCoordinator({
    listen: '127.0.0.1:0', credentials: loadPartyCredentials({ dir: path.join(dir, 'pki'), party: 'coordinator' }),
    sites, threshold: Math.max(2, Math.floor(sites.length / 2) + 1), task, secureAggregation: 'pairwise',
    out: path.join(dir, `out-${randomInt(1e9)}.json`), phaseTimeoutMs: 4000, joinTimeoutMs: 8000,
    log: (event, fields) => logs.push({ event, ...fields }), ...extra,
  });
  return { c, task, logs };
}

function siteProcess(name: string, port: number, length: number, fault: string[] = []) {
  const child = spawn(process.execPath, ['-r', register, path.join(__dirname, 'site-process.ts'), `127.0.0.1:${port}`, path.join(dir, 'pki'), name, String(length), ...fault], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => resolve({ code, out })));
  return Object.assign(exited, { child });
}

test('3 sites as separate processes: exact sums over 2 rounds with a crash after masking', async () => {
  const sites = ALL.slice(0, 3);
  const length = 2 * CHUNK_WORDS + 17; // several chunks, a partial last one
  const received: BigUint64Array[] = [];
  const { c, task, logs } = coordinatorFor(sites, 2, length, { threshold: 2, onVectorReceived: (_s, _r, v) => received.push(v.slice(0, 20000)) });
  const port = await c.start();
  // s2 crashes (process exit) after sending its masked vector in round 1, before unmasking.
  const procs = [siteProcess('s0', port, length), siteProcess('s1', port, length), siteProcess('s2', port, length, ['unmask', '1', 'crash'])];
  await c.run();
  await c.stop();
  const exits = await Promise.all(procs);
  expect(exits.map((e) => e.code)).toEqual([0, 0, 3]);
  expect(task.results.map((r) => r.contributors)).toEqual([sites, sites]);
  expect(task.results[0].sum).toEqual(expectedSum(sites, 0, length));
  expect(task.results[1].sum).toEqual(expectedSum(sites, 1, length));
  // s2's process is gone before unmasking; its input is still in the round-1 sum (it was masked and sent).
  expect(logs.some((l) => l.event === 'left' && l.site === 's2')).toBe(true);

  // What the coordinator received looks uniform on Z_2^64: chi-square of the top 4 bits (16 bins)
  // over 20000 words per vector, 15 degrees of freedom, 0.1% critical value 37.7.
  for (const v of received) {
    const bins = new Array(16).fill(0);
    for (const w of v) bins[Number(w >> 60n)]++;
    const e = v.length / 16;
    const chi2 = bins.reduce((s, b) => s + ((b - e) * (b - e)) / e, 0);
    expect(chi2).toBeLessThan(37.7);
  }
  // The plaintext values are tiny (|x| ≤ 1000): unmasked, almost every top nibble would be 0 or 15.
});

test.each([5, 10])('%i sites as separate processes with random drop-outs at every phase: sum of the survivors is exact', async (n) => {
  const sites = ALL.slice(0, n);
  const length = CHUNK_WORDS + 500; // two chunks, so a site can vanish midway through its vector
  const { c, task } = coordinatorFor(sites, 1, length, { phaseTimeoutMs: 4000, joinTimeoutMs: 30_000 });
  const t = Math.floor(n / 2) + 1;
  const points: SiteFaultPoint[] = ['advertise', 'share', 'mask', 'mask-midway', 'confirm', 'unmask'];
  const faults = new Map<string, SiteFaultPoint>();
  const shuffled = [...sites].sort(() => randomInt(3) - 1);
  // Keep at least t sites answering at every phase.
  for (const s of shuffled.slice(0, n - t)) faults.set(s, points[randomInt(points.length)]);
  const port = await c.start();
  const procs = sites.map((s) => siteProcess(s, port, length, faults.has(s) ? [faults.get(s)!, '0', 'silent'] : []));
  await c.run();
  // Sites that never went silent are told the federation finished and exit on their own; a
  // silent one may still be waiting for its coordinator: give the others time, then end it.
  const answering = procs.filter((_, i) => !faults.has(sites[i]));
  await Promise.race([Promise.all(answering), new Promise((r) => setTimeout(r, 15_000).unref())]);
  await c.stop();
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
  const exits = await Promise.all(procs);
  const r = task.results[0];
  // Survivors: sites whose vector arrived whole (silent before masking or midway: not contributors).
  const contributed = sites.filter((s) => !['advertise', 'share', 'mask', 'mask-midway'].includes(faults.get(s) ?? ''));
  expect({ faults: Object.fromEntries(faults), contributors: r.contributors }).toEqual({ faults: Object.fromEntries(faults), contributors: contributed });
  expect(r.sum).toEqual(expectedSum(contributed, 0, length));
  // Every site that was never silent ran to the end and exited cleanly.
  sites.forEach((s, i) => { if (!faults.has(s)) expect({ site: s, code: exits[i].code, out: exits[i].out.slice(0, 300) }).toMatchObject({ site: s, code: 0 }); });
});
