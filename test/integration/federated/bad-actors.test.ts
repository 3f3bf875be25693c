/**
 * Bad actors against a running coordinator over gRPC/mTLS: each is refused with a logged
 * reason and the round still sums the honest sites exactly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createFederationPki, loadPartyCredentials } from '../../../src/federated/pki';
import { FederationCoordinator } from '../../../src/federated/coordinator';
import { FederationSite } from '../../../src/federated/site';
import { clientChannel, FEDERATION_PROTOCOL, federationPackage, MAX_MESSAGE_BYTES } from '../../../src/federated/transport';
import { VectorSumCoordinator, VectorSumSite, siteVector } from './vector-sum-task';

jest.setTimeout(40_000);
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-fed-bad-'));
  await createFederationPki(path.join(dir, 'pki'), ['a', 'b', 'c', 'outsider']);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function rogue(party: string, port: number) {
  const Federation = federationPackage().Federation as grpc.ServiceClientConstructor;
  const channel = clientChannel(`127.0.0.1:${port}`, loadPartyCredentials({ dir: path.join(dir, 'pki'), party }), 'coordinator');
  const client = new Federation(`127.0.0.1:${port}`, channel.credentials, channel.options);
  const call = (client as unknown as { Session(): grpc.ClientDuplexStream<unknown, Record<string, unknown>> }).Session();
  const received: Array<Record<string, unknown>> = [];
  call.on('data', (m) => received.push(m));
  call.on('error', () => undefined);
  return { call, client, received };
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('unknown certificates, duplicate names, wrong round or phase, replays and oversized messages are refused', async () => {
  const task = new VectorSumCoordinator(1, 50);
  const refusals: string[] = [];
  const c = new FederationCoordinator({
    listen: '127.0.0.1:0', credentials: loadPartyCredentials({ dir: path.join(dir, 'pki'), party: 'coordinator' }),
    sites: ['a', 'b', 'c'], threshold: 2, task, secureAggregation: 'pairwise', out: path.join(dir, 'out.json'),
    phaseTimeoutMs: 1500, joinTimeoutMs: 2500,
    log: (event, f) => { if (event === 'refused') refusals.push(`${f.site}: ${f.reason}`); },
  });
  const port = await c.start();
  const mk = (name: string) => new FederationSite({ coordinator: `127.0.0.1:${port}`, credentials: loadPartyCredentials({ dir: path.join(dir, 'pki'), party: name }), name, task: new VectorSumSite(name, 50), log: () => undefined });
  const honest = [mk('a').run(), mk('b').run()];
  const running = c.run(); // waits up to joinTimeoutMs for c to connect
  await pause(300);

  const outsider = rogue('outsider', port);
  outsider.call.write({ round: 0, attempt: 0, phase: 'hello', sequence: '1', hello: { site: 'a', protocol: FEDERATION_PROTOCOL } });
  const duplicate = rogue('a', port);
  duplicate.call.write({ round: 0, attempt: 0, phase: 'hello', sequence: '1', hello: { site: 'a', protocol: FEDERATION_PROTOCOL } });
  const impostor = rogue('c', port);
  impostor.call.write({ round: 0, attempt: 0, phase: 'hello', sequence: '1', hello: { site: 'b', protocol: FEDERATION_PROTOCOL } });
  // A site of the previous protocol (ChaCha20 masks) would derive different masks: refused.
  const outdated = rogue('c', port);
  outdated.call.write({ round: 0, attempt: 0, phase: 'hello', sequence: '1', hello: { site: 'c', protocol: 'hemasynth-federation/1' } });
  await pause(100);
  const c2 = rogue('c', port);
  c2.call.write({ round: 0, attempt: 0, phase: 'hello', sequence: '5', hello: { site: 'c', protocol: FEDERATION_PROTOCOL } });
  // Wait until round 0 opens its first phase (c is connected, so it is a participant).
  for (let i = 0; i < 100 && !c2.received.some((m) => m.body === 'start'); i++) await pause(30);
  c2.call.write({ round: 0, attempt: 0, phase: 'advertise', sequence: '5', keys: { encryption_key: Buffer.alloc(32), masking_key: Buffer.alloc(32) } });
  c2.call.write({ round: 7, attempt: 0, phase: 'advertise', sequence: '6', keys: { encryption_key: Buffer.alloc(32), masking_key: Buffer.alloc(32) } });
  c2.call.write({ round: 0, attempt: 0, phase: 'unmask', sequence: '7', unmask: { self_mask_shares: [], key_shares: [] } });
  await pause(300);
  // Above the 4 MiB message limit: gRPC refuses it and closes c's stream.
  c2.call.write({ round: 0, attempt: 0, phase: 'mask', sequence: '8', chunk: { offset: '0', data: Buffer.alloc(MAX_MESSAGE_BYTES + 8), last: true } });

  await running;
  await c.stop();
  await Promise.allSettled(honest);
  for (const r of [outsider, duplicate, impostor, outdated, c2]) r.client.close();

  const text = refusals.join('\n');
  expect(text).toMatch(/outsider: certificate CN "outsider" is not a site/);
  expect(text).toMatch(/a: duplicate site name/);
  expect(text).toMatch(/c: hello names "b" but the certificate is issued to "c"/);
  expect(text).toMatch(/c: site speaks protocol "hemasynth-federation\/1" but this coordinator speaks "hemasynth-federation\/2"/);
  expect(text).toMatch(/c: replay: sequence 5 is not above 5/);
  expect(text).toMatch(/c: message for round 7 attempt 0, the open phase is round 0/);
  expect(text).toMatch(/c: message for phase "unmask", the open phase is advertise/);
  expect(outsider.received.some((m) => m.body === 'refusal')).toBe(true);
  // The round went on with the honest sites (c's garbage had no effect) and its sum is exact.
  const r = task.results[0];
  expect(r.contributors).toEqual(['a', 'b']);
  expect(r.sum).toEqual(Array.from(siteVector('a', 0, 50), (v, i) => v + siteVector('b', 0, 50)[i]));
});
