/**
 * The second server of `two-server` secure aggregation: additive secret sharing between two
 * non-colluding computing centres. A site splits its encoding x into a random share
 * r = PRG(seed) and x − r; it sends the 32-byte seed to this helper and x − r to the
 * coordinator. Each server alone sees uniformly random values; the coordinator asks the helper
 * for Σ PRG(seed_s) over the sites whose vectors arrived and adds it to its own sum. Privacy
 * holds as long as the helper and the coordinator do not collude (docs/federation.md).
 */
import * as grpc from '@grpc/grpc-js';
import { applyMasks } from './ring-codec';
import { COORDINATOR_NAME, PartyCredentials } from './pki';
import { federationPackage, GRPC_OPTIONS, MAX_VECTOR_WORDS, peerCommonName, serverCredentials, vectorChunks, writeWithBackpressure } from './transport';
import { FederationLog, stderrLog } from './coordinator';

interface WireSeed {
  session: string;
  round: number;
  attempt: number;
  site: string;
  seed: Buffer;
  vector_length: string;
}

/**
 * Serves seed submissions from sites and seed-sum expansions for the coordinator.
 * @example const h = new ShareHelperServer({ listen: '127.0.0.1:0', credentials, sites }); await h.start();
 */
export class ShareHelperServer {
  private server = new grpc.Server(GRPC_OPTIONS);
  private seeds = new Map<string, Map<string, { seed: Buffer; length: number }>>();
  private readonly log: FederationLog;

  constructor(readonly options: { listen: string; credentials: PartyCredentials; sites: string[]; log?: FederationLog }) {
    this.log = options.log ?? stderrLog;
  }

  async start(): Promise<number> {
    const service = (federationPackage().ShareHelper as grpc.ServiceClientConstructor).service;
    this.server.addService(service, {
      SubmitSeed: (call: grpc.ServerUnaryCall<WireSeed, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, this.submit(call)),
      ExpandSum: (call: grpc.ServerWritableStream<{ session: string; round: number; attempt: number; sites: string[]; vector_length: string }, unknown>) => {
        this.expand(call).catch((e: Error) => call.destroy(e));
      },
    });
    return new Promise((resolve, reject) =>
      this.server.bindAsync(this.options.listen, serverCredentials(this.options.credentials), (err, p) => (err ? reject(err) : resolve(p))));
  }

  private submit(call: grpc.ServerUnaryCall<WireSeed, unknown>): { ok: boolean; reason: string } {
    const cn = peerCommonName(call);
    const m = call.request;
    const refuse = (reason: string) => {
      this.log('helper-refused', { site: cn, reason });
      return { ok: false, reason };
    };
    if (!this.options.sites.includes(cn)) return refuse(`certificate CN ${JSON.stringify(cn)} is not a site of this federation`);
    if (m.site !== cn) return refuse(`seed share names ${JSON.stringify(m.site)} but the certificate is issued to ${cn}`);
    if (!Buffer.isBuffer(m.seed) || m.seed.length !== 32) return refuse('seed share is not 32 bytes');
    const length = Number(m.vector_length);
    if (!(Number.isInteger(length) && length >= 0 && length <= MAX_VECTOR_WORDS)) return refuse(`vector length ${m.vector_length} out of range`);
    const key = `${m.session}/${m.round}/${m.attempt}`;
    const bucket = this.seeds.get(key) ?? new Map();
    if (bucket.has(cn)) return refuse(`second seed share from ${cn} for round ${m.round} attempt ${m.attempt} (replay)`);
    bucket.set(cn, { seed: m.seed, length });
    this.seeds.set(key, bucket);
    return { ok: true, reason: '' };
  }

  private async expand(call: grpc.ServerWritableStream<{ session: string; round: number; attempt: number; sites: string[]; vector_length: string }, unknown>): Promise<void> {
    const cn = peerCommonName(call);
    const m = call.request;
    if (cn !== COORDINATOR_NAME) {
      this.log('helper-refused', { site: cn, reason: 'only the coordinator may request a seed sum' });
      call.destroy(Object.assign(new Error('only the coordinator may request a seed sum'), { code: grpc.status.PERMISSION_DENIED }));
      return;
    }
    const key = `${m.session}/${m.round}/${m.attempt}`;
    const bucket = this.seeds.get(key);
    const length = Number(m.vector_length);
    const missing = m.sites.filter((s) => !bucket?.get(s) || bucket.get(s)!.length !== length);
    if (missing.length || new Set(m.sites).size !== m.sites.length) {
      call.destroy(Object.assign(new Error(`no matching seed share from ${missing.join(', ') || 'a repeated site'}`), { code: grpc.status.FAILED_PRECONDITION }));
      return;
    }
    const sum = new BigUint64Array(length);
    applyMasks(sum, m.sites.map((s) => ({ seed: bucket!.get(s)!.seed, sign: 1 as const })));
    // One use per round: forget the seeds so a second request cannot isolate a site.
    this.seeds.delete(key);
    for (const c of vectorChunks(sum)) await writeWithBackpressure(call as unknown as NodeJS.WritableStream, { offset: String(c.offset), data: c.data, last: c.last });
    call.end();
  }

  stop(): void {
    this.server.forceShutdown();
  }
}
