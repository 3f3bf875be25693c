/**
 * A round plan larger than one gRPC message (a neural generator's global model) reaches every site
 * whole: the coordinator sends it in ordered parts of PLAN_PART_CHARS characters and each site
 * reassembles it. Each site answers with a digest of the plan it received, so the exact sum proves
 * that all three saw every byte.
 */
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { createFederationPki, loadPartyCredentials } from '../../../src/federated/pki';
import { FederationCoordinator } from '../../../src/federated/coordinator';
import { FederationSite } from '../../../src/federated/site';
import { MAX_MESSAGE_BYTES, PLAN_PART_CHARS } from '../../../src/federated/transport';
import type { AggregateInfo, CoordinatorTask, SiteTask } from '../../../src/federated/task';
import { temporaryDir } from '../../support/federated-cohort';

jest.setTimeout(60_000);
const tmp = temporaryDir('hemasynth-large-plan-');
// 9.5 parts, about 2.4× the message limit.
const BLOB = randomBytes(Math.floor(PLAN_PART_CHARS * 9.5 * 0.75)).toString('base64');

/** Six 16-bit words of the SHA-256 of a string (exact in the fixed-point sum). */
function digest(s: string): number[] {
  const h = createHash('sha256').update(s).digest();
  return Array.from({ length: 6 }, (_, i) => h.readUInt16LE(2 * i));
}

class LargePlanCoordinator implements CoordinatorTask {
  readonly model = 'large-plan';
  readonly rounds = 1;
  sum: number[] = [];
  planRound(round: number) {
    return { plan: { round, blob: BLOB }, vectorLength: 7, format: { scale: 1, clip: 2 ** 24 } };
  }
  absorbRound(_round: number, sum: Float64Array, _info: AggregateInfo) {
    this.sum = Array.from(sum);
    return {};
  }
  checkpoint() { return {}; }
  restore() { /* one round: nothing to restore */ }
  finish() { return {}; }
}

class LargePlanSite implements SiteTask {
  localVector(plan: unknown) {
    const blob = (plan as { blob: string }).blob;
    return Float64Array.from([blob.length % 65536, ...digest(blob)]);
  }
}

test('a 2.4× message-limit plan arrives whole at every site, in parts', async () => {
  expect(BLOB.length).toBeGreaterThan(2 * MAX_MESSAGE_BYTES);
  const dir = tmp();
  const sites = ['a', 'b', 'c'];
  await createFederationPki(path.join(dir, 'pki'), sites);
  const task = new LargePlanCoordinator();
  const events: string[] = [];
  const c = new FederationCoordinator({
    listen: '127.0.0.1:0', credentials: loadPartyCredentials({ dir: path.join(dir, 'pki'), party: 'coordinator' }),
    sites, threshold: 2, task, secureAggregation: 'pairwise', out: path.join(dir, 'out.json'), phaseTimeoutMs: 10_000, joinTimeoutMs: 10_000,
    log: (event) => events.push(event),
  });
  const port = await c.start();
  const runs = sites.map((name) => new FederationSite({
    coordinator: `127.0.0.1:${port}`, credentials: loadPartyCredentials({ dir: path.join(dir, 'pki'), party: name }),
    name, task: new LargePlanSite(), log: () => undefined, connectTimeoutMs: 10_000,
  }).run());
  await c.run();
  await c.stop();
  await Promise.all(runs);
  const one = [BLOB.length % 65536, ...digest(BLOB)];
  expect(task.sum).toEqual(one.map((v) => 3 * v));
  expect(events).toContain('round-complete');
});
