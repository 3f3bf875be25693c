// TLS server names for IP targets: the client sends and verifies the expected party's DNS name
// (never an IP literal as SNI, RFC 6066 §3 / Node DEP0123), over real mutual TLS on loopback.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createFederationPki, loadPartyCredentials, HELPER_NAME } from '../../../src/federated/pki';
import { clientChannel, federationPackage, serverCredentials, targetHost, GRPC_OPTIONS } from '../../../src/federated/transport';

jest.setTimeout(30_000);
let dir: string;
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-tls-names-'));
  await createFederationPki(dir, ['s0', 's1']);
  process.on('warning', onWarning);
});
afterAll(() => {
  process.off('warning', onWarning);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A ShareHelper server presenting `party`'s certificate; SubmitSeed answers ok. */
async function serverAs(party: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server(GRPC_OPTIONS);
  const Helper = federationPackage().ShareHelper as grpc.ServiceClientConstructor;
  server.addService(Helper.service, {
    SubmitSeed: (_call: unknown, cb: (e: null, r: { ok: boolean; reason: string }) => void) => cb(null, { ok: true, reason: '' }),
    ExpandSum: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(loadPartyCredentials({ dir, party })), (e, p) => (e ? reject(e) : resolve(p))));
  return { server, port };
}

function submit(target: string, expected: string, serverName?: string): Promise<{ ok: boolean } | Error> {
  const Helper = federationPackage().ShareHelper as grpc.ServiceClientConstructor;
  const channel = clientChannel(target, loadPartyCredentials({ dir, party: 's0' }), expected, serverName);
  const client = new Helper(target, channel.credentials, channel.options);
  return new Promise((resolve) => {
    (client as unknown as { SubmitSeed(m: unknown, o: grpc.CallOptions, cb: (e: Error | null, r: { ok: boolean }) => void): void }).SubmitSeed(
      { session: 'x', round: 0, attempt: 0, site: 's0', seed: Buffer.alloc(32), vector_length: '1' },
      { deadline: Date.now() + 5000 },
      (e, r) => {
        client.close();
        resolve(e ?? r);
      },
    );
  });
}

describe('client TLS server names', () => {
  test('targetHost takes the host of HOST:PORT, [IPv6]:PORT and gRPC URIs', () => {
    expect(targetHost('127.0.0.1:7070')).toBe('127.0.0.1');
    expect(targetHost('localhost:7070')).toBe('localhost');
    expect(targetHost('[::1]:7070')).toBe('::1');
    expect(targetHost('dns:///cc.example.org:443')).toBe('cc.example.org');
    expect(targetHost('ipv4:10.0.0.1:5')).toBe('10.0.0.1');
  });

  test('an IP target gets the expected party as TLS name; a DNS target and an explicit --server-name are kept', () => {
    const creds = loadPartyCredentials({ dir, party: 's0' });
    expect(clientChannel('127.0.0.1:7070', creds, 'coordinator').options['grpc.ssl_target_name_override']).toBe('coordinator');
    expect(clientChannel('[::1]:7070', creds, 'coordinator').options['grpc.ssl_target_name_override']).toBe('coordinator');
    expect(clientChannel('localhost:7070', creds, 'coordinator').options['grpc.ssl_target_name_override']).toBeUndefined();
    expect(clientChannel('10.1.2.3:7070', creds, 'coordinator', 'cc.example.org').options['grpc.ssl_target_name_override']).toBe('cc.example.org');
  });

  test('over loopback the expected server is accepted, another party with a valid certificate is refused, and no DEP0123 warning is raised', async () => {
    const good = await serverAs(HELPER_NAME);
    const impostor = await serverAs('s1'); // CA-signed and listing 127.0.0.1, but not the helper
    try {
      expect(await submit(`127.0.0.1:${good.port}`, HELPER_NAME)).toEqual({ ok: true, reason: '' });
      const refused = await submit(`127.0.0.1:${impostor.port}`, HELPER_NAME);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
      // A DNS target is verified against its own name, as before.
      expect(await submit(`localhost:${good.port}`, HELPER_NAME)).toEqual({ ok: true, reason: '' });
    } finally {
      good.server.forceShutdown();
      impostor.server.forceShutdown();
    }
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => (w as { code?: string }).code === 'DEP0123' || /RFC 6066/.test(w.message))).toEqual([]);
  });
});
