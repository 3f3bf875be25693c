/**
 * A site (hospital): connects to the coordinator over mutual TLS, computes its local vector
 * for each round with its learning task, encodes it in fixed point (adding its share of the
 * distributed DP noise when the plan asks for it), masks it and streams it in chunks. Its data
 * never leaves the process; only masked (or secret-shared) vectors and key material do.
 *
 * A site whose connection breaks reconnects and rejoins at the next round.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { HemasynthError } from '../errors';
import { discreteGaussianVector } from '../dp/discrete-noise';
import { PairwiseMaskingSite } from './pairwise-masking';
import { FederationIdentity } from './site-identity';
import { applyMasks, encodeFixedPoint, SEED_BYTES } from './ring-codec';
import type { SiteTask } from './task';
import { clientChannel, FEDERATION_PROTOCOL, federationPackage, MAX_PLAN_PARTS, MAX_VECTOR_WORDS, vectorChunks, writeWithBackpressure } from './transport';
import type { PartyCredentials } from './pki';
import { COORDINATOR_NAME, HELPER_NAME } from './pki';
import { FederationLog, stderrLog } from './coordinator';

/** Points where a test or an operator drill can make a site fail on purpose. */
export type SiteFaultPoint = 'advertise' | 'share' | 'mask' | 'mask-midway' | 'confirm' | 'unmask';

export interface SiteOptions {
  coordinator: string;
  credentials: PartyCredentials;
  name: string;
  task: SiteTask;
  log?: FederationLog;
  /** TLS server name of the coordinator when it differs from the host (default: the certificate's SAN must match the host). */
  serverName?: string;
  /** Give up connecting after this long (default 60 s). */
  connectTimeoutMs?: number;
  /**
   * Fault drill: called before the site sends in each phase; 'silent' makes it stop answering for
   * the rest of the round, 'crash' exits the process with code 3, 'disconnect' drops the
   * connection (the site reconnects and rejoins at the next round), 'delay:<ms>' waits first.
   */
  fault?: (point: SiteFaultPoint, round: number, attempt: number) => 'go' | 'silent' | 'crash' | 'disconnect' | `delay:${number}`;
  threads?: number;
}

interface WireStart {
  session: string;
  plan_json: string;
  vector_length: string;
  scale: number;
  clip: number;
  threshold: number;
  secure_aggregation: string;
  helper_address: string;
  /** A plan larger than one message arrives in parts 0..plan_parts−1, in order (proto3: 0 means 1 part). */
  plan_part?: number;
  plan_parts?: number;
}

/**
 * Runs a site until the coordinator says the federation is finished.
 * @example await new FederationSite({ coordinator: 'host:7070', credentials, name: 'a', task }).run();
 */
export class FederationSite {
  private sequence = 0n;
  private planParts?: { key: string; parts: number; chunks: string[] };
  private call?: grpc.ClientDuplexStream<unknown, unknown>;
  private client?: grpc.Client;
  private masking?: PairwiseMaskingSite;
  private encoded?: BigUint64Array;
  private current?: { round: number; attempt: number; start: WireStart; silent: boolean };
  private queue: Promise<void> = Promise.resolve();
  private finished = false;
  private welcomed = false;
  private readonly log: FederationLog;
  /** Rounds this site contributed to. */
  readonly contributed: number[] = [];
  /** Signs this site's key advertisements and survivor checks; checks its peers' (site-identity.ts). */
  private readonly identity: FederationIdentity;

  constructor(readonly options: SiteOptions) {
    this.log = options.log ?? stderrLog;
    this.identity = new FederationIdentity(options.credentials);
  }

  private nextSequence(): string {
    this.sequence += 1n;
    return this.sequence.toString();
  }

  private async send(phase: string, body: Record<string, unknown>): Promise<void> {
    const c = this.current!;
    if (!this.call) return;
    await writeWithBackpressure(this.call as unknown as NodeJS.WritableStream, { round: c.round, attempt: c.attempt, phase, sequence: this.nextSequence(), ...body });
  }

  /** Applies the fault drill; true when the site must stay silent. */
  private async drill(point: SiteFaultPoint): Promise<boolean> {
    const c = this.current!;
    if (c.silent) return true;
    const f = this.options.fault?.(point, c.round, c.attempt) ?? 'go';
    if (f === 'crash') {
      this.log('fault-crash', { site: this.options.name, point, round: c.round });
      process.exit(3);
    }
    if (f === 'disconnect') {
      this.log('fault-disconnect', { site: this.options.name, point, round: c.round });
      c.silent = true;
      this.call?.cancel();
      return true;
    }
    if (f === 'silent') {
      this.log('fault-silent', { site: this.options.name, point, round: c.round });
      c.silent = true;
      return true;
    }
    if (f.startsWith('delay:')) await new Promise((r) => setTimeout(r, Number(f.slice(6))));
    return false;
  }

  /** Connects (retrying) and serves rounds until the federation finishes. */
  async run(): Promise<{ contributed: number[] }> {
    const timeout = this.options.connectTimeoutMs ?? 60_000;
    let deadline = Date.now() + timeout;
    let delay = 100;
    while (!this.finished) {
      const outcome = await this.session();
      if (this.finished) break;
      // A session that was welcomed proves the coordinator reachable: the reconnect window starts again.
      if (this.welcomed) {
        this.welcomed = false;
        deadline = Date.now() + timeout;
        delay = 100;
      }
      if (outcome === 'refused') throw new HemasynthError(`the coordinator refused site ${this.options.name} (see the log for the reason)`);
      if (Date.now() > deadline) throw new HemasynthError(`site ${this.options.name} could not reach the coordinator at ${this.options.coordinator} within ${this.options.connectTimeoutMs ?? 60_000} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(2000, delay * 2);
    }
    return { contributed: this.contributed };
  }

  private session(): Promise<'ended' | 'refused'> {
    const Federation = federationPackage().Federation as grpc.ServiceClientConstructor;
    const channel = clientChannel(this.options.coordinator, this.options.credentials, COORDINATOR_NAME, this.options.serverName);
    this.client = new Federation(this.options.coordinator, channel.credentials, channel.options);
    const call = (this.client as unknown as { Session(): grpc.ClientDuplexStream<unknown, unknown> }).Session();
    this.call = call;
    let refused = false;
    return new Promise((resolve) => {
      call.on('data', (m: Record<string, unknown>) => {
        if (m.body === 'refusal') {
          const reason = (m.refusal as { reason: string }).reason;
          this.log('refused-by-coordinator', { site: this.options.name, reason });
          if (!this.current) refused = true;
          return;
        }
        // Set synchronously: the stream may close before the queue reaches this message.
        if (m.body === 'finished') this.finished = true;
        this.queue = this.queue.then(() => this.handle(m)).catch((e: Error) => {
          this.log('site-error', { site: this.options.name, error: e.message });
          this.send('failure', { failure: { reason: e.message } }).catch(() => undefined);
        });
      });
      const done = () => {
        this.call = undefined;
        this.client?.close();
        resolve(refused ? 'refused' : 'ended');
      };
      call.on('error', (e: Error) => {
        if (!this.finished) this.log('connection-error', { site: this.options.name, error: e.message });
      });
      call.on('close', done);
      call.on('end', () => call.end());
      call.write({ round: 0, attempt: 0, phase: 'hello', sequence: this.nextSequence(), hello: { site: this.options.name, protocol: FEDERATION_PROTOCOL } });
    });
  }

  private async handle(m: Record<string, unknown>): Promise<void> {
    const round = m.round as number;
    const attempt = m.attempt as number;
    switch (m.body) {
      case 'welcome':
        this.welcomed = true;
        this.log('welcomed', { site: this.options.name, ...(m.welcome as object) });
        return;
      case 'start': {
        const start = this.assemblePlan(round, attempt, m.start as WireStart);
        if (!start) return;
        this.current = { round, attempt, start, silent: false };
        this.masking = undefined;
        return this.onStart();
      }
      case 'roster':
        if (!this.isCurrent(round, attempt) || !this.masking) return;
        if (await this.drill('share')) return;
        {
          const entries = (m.roster as { entries: Array<{ site: string; encryption_key: Buffer; masking_key: Buffer; signature: Buffer; certificate: string }> }).entries;
          const bundle = this.masking.shareKeys(entries.map((e) => ({ site: e.site, encryptionKey: e.encryption_key, maskingKey: e.masking_key, signature: e.signature, certificate: e.certificate })));
          return this.send('share', { shares: { commitment: bundle.commitment, boxes: bundle.boxes.map((b) => ({ peer: b.to, box: b.box })) } });
        }
      case 'delivery':
        if (!this.isCurrent(round, attempt) || !this.masking || !this.encoded) return;
        if (await this.drill('mask')) return;
        {
          const d = m.delivery as { masking_set: string[]; boxes: Array<{ peer: string; box: Buffer }> };
          const masked = this.masking.mask(this.encoded, { maskingSet: d.masking_set, boxes: d.boxes.map((b) => ({ from: b.peer, box: b.box })) }, this.options.threads ?? 0);
          return this.streamVector(masked);
        }
      case 'confirm':
        if (!this.isCurrent(round, attempt) || !this.masking) return;
        if (await this.drill('confirm')) return;
        {
          const signature = this.masking.confirmSurvivors(m.confirm as { survivors: string[]; dropped: string[] });
          return this.send('confirm', { confirmation: { signature } });
        }
      case 'unmask':
        if (!this.isCurrent(round, attempt) || !this.masking) return;
        if (await this.drill('unmask')) return;
        {
          const r = this.masking.unmask(m.unmask as { survivors: string[]; dropped: string[]; signatures: Array<{ site: string; signature: Buffer }> });
          const wire = (xs: Array<{ of: string; x: number; y: BigUint64Array }>) => xs.map((s) => ({ site: s.of, x: s.x, y: Array.from(s.y, (v) => v.toString()) }));
          return this.send('unmask', { unmask: { self_mask_shares: wire(r.selfMaskShares), key_shares: wire(r.keyShares) } });
        }
      case 'result': {
        const r = m.result as { completed: boolean; reason: string; contributors: string[] };
        if (r.completed && r.contributors.includes(this.options.name)) this.contributed.push(round);
        this.log('round-result', { site: this.options.name, round, attempt, completed: r.completed, reason: r.reason || undefined });
        return;
      }
      case 'finished':
        this.finished = true;
        this.log('finished', { site: this.options.name });
        this.call?.end();
        return;
      default:
        this.log('ignored', { site: this.options.name, body: m.body });
    }
  }

  /** The whole round start once every part of its plan has arrived (parts come in order on the stream), else null. */
  private assemblePlan(round: number, attempt: number, part: WireStart): WireStart | null {
    const parts = part.plan_parts || 1;
    if (parts === 1) return part;
    const index = part.plan_part ?? 0;
    if (!(Number.isInteger(parts) && parts <= MAX_PLAN_PARTS)) throw new HemasynthError(`round ${round} plan announced in ${parts} parts; at most ${MAX_PLAN_PARTS} are allowed`);
    const key = `${round}/${attempt}`;
    if (index === 0 || this.planParts?.key !== key) this.planParts = { key, parts, chunks: [] };
    const p = this.planParts;
    if (p.parts !== parts || index !== p.chunks.length) throw new HemasynthError(`round ${round} plan part ${index} of ${parts} arrived out of order (expected part ${p.chunks.length} of ${p.parts})`);
    p.chunks.push(part.plan_json);
    if (p.chunks.length < parts) return null;
    this.planParts = undefined;
    return { ...part, plan_json: p.chunks.join('') };
  }

  private isCurrent(round: number, attempt: number): boolean {
    return !!this.current && this.current.round === round && this.current.attempt === attempt && !this.current.silent;
  }

  private async onStart(): Promise<void> {
    const c = this.current!;
    const s = c.start;
    const length = Number(s.vector_length);
    if (!(Number.isInteger(length) && length >= 0 && length <= MAX_VECTOR_WORDS)) throw new HemasynthError(`round start declares ${s.vector_length} words`);
    const plan = JSON.parse(s.plan_json) as { noiseSigmaPerSite?: number };
    const values = await this.options.task.localVector(plan, { round: c.round, attempt: c.attempt, site: this.options.name, contributors: 0 });
    if (values.length !== length) throw new HemasynthError(`local vector has ${values.length} values, the round expects ${length}`);
    const noise = plan.noiseSigmaPerSite ? discreteGaussianVector(length, plan.noiseSigmaPerSite) : undefined;
    const { encoded, clipped } = encodeFixedPoint(values, { scale: s.scale, clip: s.clip }, noise, this.options.threads ?? 0);
    if (clipped > 0) this.log('clipped', { site: this.options.name, round: c.round, values: clipped });
    this.encoded = encoded;
    if (s.secure_aggregation === 'pairwise') {
      if (await this.drill('advertise')) return;
      this.masking = new PairwiseMaskingSite(this.options.name, { session: s.session, round: c.round, attempt: c.attempt, threshold: s.threshold, vectorLength: length }, this.identity);
      const a = this.masking.advertise();
      return this.send('advertise', { keys: { encryption_key: a.encryptionKey, masking_key: a.maskingKey, signature: a.signature, certificate: a.certificate } });
    }
    if (await this.drill('mask')) return;
    if (s.secure_aggregation === 'two-server') {
      const seed = randomBytes(SEED_BYTES);
      await this.submitSeed(s, seed, length);
      applyMasks(encoded, [{ seed, sign: -1 }], this.options.threads ?? 0);
    }
    return this.streamVector(encoded);
  }

  private submitSeed(s: WireStart, seed: Uint8Array, length: number): Promise<void> {
    const c = this.current!;
    const Helper = federationPackage().ShareHelper as grpc.ServiceClientConstructor;
    const channel = clientChannel(s.helper_address, this.options.credentials, HELPER_NAME);
    const client = new Helper(s.helper_address, channel.credentials, channel.options);
    return new Promise((resolve, reject) => {
      (client as unknown as { SubmitSeed(m: unknown, cb: (e: Error | null, r: { ok: boolean; reason: string }) => void): void }).SubmitSeed(
        { session: s.session, round: c.round, attempt: c.attempt, site: this.options.name, seed, vector_length: String(length) },
        (e, r) => {
          client.close();
          if (e) reject(new HemasynthError(`helper at ${s.helper_address} unreachable: ${e.message}`));
          else if (!r.ok) reject(new HemasynthError(`helper refused the seed share: ${r.reason}`));
          else resolve();
        });
    });
  }

  private async streamVector(v: BigUint64Array): Promise<void> {
    let first = true;
    for (const chunk of vectorChunks(v)) {
      if (!first && (await this.drill('mask-midway'))) return;
      first = false;
      await this.send('mask', { chunk: { offset: String(chunk.offset), data: chunk.data, last: chunk.last } });
    }
  }
}
