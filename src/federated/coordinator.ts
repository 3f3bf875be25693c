/**
 * The coordinator: a gRPC server (mutual TLS) that drives the rounds of a learning protocol
 * over the connected sites, sums their masked vectors and sees only the aggregate.
 *
 * Faults: a site that disconnects or stays silent past the phase timeout is dropped from the
 * round; the round completes while ≥ t sites remain, else it is aborted and retried with a new
 * attempt number (fresh keys) and the global model untouched. After every completed round the
 * coordinator checkpoints the task state; a restarted coordinator resumes at the next round.
 * Sites that reconnect are admitted at the next round (rejoin).
 *
 * Refusals (logged with a reason, no effect on the round): a peer whose certificate CN is not
 * a federation site; a second session for a site already connected; a Hello whose name is not
 * the certificate's; messages for another round, attempt or phase; a sequence number not above
 * the last one (replay); malformed bodies; chunks that are oversized, out of order or beyond
 * the vector length.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { HemasynthError, UsageError } from '../errors';
import { ProtocolViolation, RoundAborted } from './errors';
import { PairwiseAggregator, UnmaskResponse } from './pairwise-masking';
import { FederationIdentity } from './site-identity';
import { assertCapacity, decodeFixedPoint, ringAdd } from './ring-codec';
import { SecureAggregationMode } from './secure-aggregation';
import type { CoordinatorTask, RoundPlan } from './task';
import { clientChannel, FEDERATION_PROTOCOL, federationPackage, GRPC_OPTIONS, MAX_PLAN_PARTS, MAX_VECTOR_WORDS, PLAN_PART_CHARS, peerCommonName, serverCredentials, VectorAssembly } from './transport';
import type { PartyCredentials } from './pki';
import { HELPER_NAME } from './pki';

/** A log line of the federation runtime. */
export type FederationLog = (event: string, fields: Record<string, unknown>) => void;

/** A JSON-lines logger on stderr. */
export const stderrLog: FederationLog = (event, fields) => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + '\n');
};

export interface CoordinatorOptions {
  /** HOST:PORT to listen on (port 0: an ephemeral port). */
  listen: string;
  credentials: PartyCredentials;
  sites: string[];
  threshold: number;
  task: CoordinatorTask;
  secureAggregation: SecureAggregationMode;
  /** Output model file. */
  out: string;
  /** Checkpoint file (default `<out>.checkpoint.json`). */
  checkpointFile?: string;
  /** How long a phase waits for every expected site (default 30 s). */
  phaseTimeoutMs?: number;
  /** How long a round waits for all sites to be connected before starting with ≥ t (default 10 s). */
  joinTimeoutMs?: number;
  /** Attempts per round before the federation gives up (default 4). */
  maxAttempts?: number;
  /** Two-server mode: the helper's HOST:PORT. */
  helperAddress?: string;
  log?: FederationLog;
  /** Observer of every whole vector received from a site (diagnostics and tests: what the coordinator sees). */
  onVectorReceived?: (site: string, round: number, vector: BigUint64Array) => void;
  /** Native threads for ring arithmetic (0: all cores). */
  threads?: number;
}

interface SiteSession {
  name: string;
  call: grpc.ServerDuplexStream<WireSiteMessage, unknown>;
  lastSequence: bigint;
  open: boolean;
  assembly?: VectorAssembly;
}

/** A site message as decoded by proto-loader (oneof name in `body`). */
export interface WireSiteMessage {
  round: number;
  attempt: number;
  phase: string;
  sequence: string;
  body?: string;
  hello?: { site: string; protocol: string };
  keys?: { encryption_key: Buffer; masking_key: Buffer; signature: Buffer; certificate: string };
  confirmation?: { signature: Buffer };
  shares?: { commitment: Buffer; boxes: Array<{ peer: string; box: Buffer }> };
  chunk?: { offset: string; data: Buffer; last: boolean };
  unmask?: { self_mask_shares: WireShareOf[]; key_shares: WireShareOf[] };
  failure?: { reason: string };
}
interface WireShareOf {
  site: string;
  x: number;
  y: string[];
}

interface PhaseGate {
  round: number;
  attempt: number;
  phase: string;
  expected: Set<string>;
  delivered: Set<string>;
  /** Handles one message; returns false when the site has more to send in this phase (a partial vector). */
  accept: (s: SiteSession, m: WireSiteMessage) => boolean | void;
  settle: () => void;
}

/** A checkpoint of the coordinator. */
interface CoordinatorCheckpoint {
  format: 'hemasynth-federation-checkpoint';
  version: 1;
  model: string;
  sites: string[];
  completedRounds: number;
  task: unknown;
}

/**
 * Runs a federation to the end.
 * @example
 * const c = new FederationCoordinator({ listen: '127.0.0.1:0', credentials, sites, threshold: 2, task, secureAggregation: 'pairwise', out: 'model.hsm' });
 * const port = await c.start();
 * await c.run();
 */
export class FederationCoordinator {
  private server = new grpc.Server(GRPC_OPTIONS);
  private sessions = new Map<string, SiteSession>();
  private gate?: PhaseGate;
  private readonly session = randomBytes(8).toString('hex');
  private readonly log: FederationLog;
  private completedRounds = 0;
  private joinWaiters: Array<() => void> = [];
  private stopped = false;
  /** Set once the model is written: a site that rejoins afterwards is told the federation finished. */
  private finishedSummary?: string;
  /** Refusals logged so far (site, reason), for operators and tests. */
  readonly refusals: Array<{ site: string; reason: string }> = [];

  /** Checks the sites' signatures (pairwise masking) against the federation's CA. */
  private readonly identity: FederationIdentity;

  constructor(readonly options: CoordinatorOptions) {
    this.log = options.log ?? stderrLog;
    this.identity = new FederationIdentity(options.credentials);
    if (options.secureAggregation === 'pairwise' && 2 * options.threshold <= options.sites.length) {
      // Sites refuse such a round (pairwise-masking.ts shareKeys): say so before anyone connects.
      throw new UsageError(`Expected a threshold above half of the ${options.sites.length} sites (at least ${Math.floor(options.sites.length / 2) + 1}) for pairwise secure aggregation but received ${options.threshold}: below a strict majority the survivor check cannot stop a coordinator from showing two survivor sets`);
    }
  }

  private get checkpointFile(): string {
    return this.options.checkpointFile ?? `${this.options.out}.checkpoint.json`;
  }

  /** Binds the server; resolves to the bound port. */
  async start(): Promise<number> {
    const pkg = federationPackage();
    const service = (pkg.Federation as grpc.ServiceClientConstructor).service;
    this.server.addService(service, { Session: (call: grpc.ServerDuplexStream<WireSiteMessage, unknown>) => this.onSession(call) });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(this.options.listen, serverCredentials(this.options.credentials), (err, p) => (err ? reject(err) : resolve(p))));
    this.log('listening', { port, sites: this.options.sites, threshold: this.options.threshold, secureAggregation: this.options.secureAggregation });
    return port;
  }

  private refuse(site: string, reason: string, call?: grpc.ServerDuplexStream<WireSiteMessage, unknown>): void {
    this.refusals.push({ site, reason });
    this.log('refused', { site, reason });
    if (call) {
      try {
        call.write({ refusal: { reason } });
      } catch {
        /* the stream may already be closed */
      }
    }
  }

  private onSession(call: grpc.ServerDuplexStream<WireSiteMessage, unknown>): void {
    const cn = peerCommonName(call);
    if (!this.options.sites.includes(cn)) {
      this.refuse(cn, `certificate CN ${JSON.stringify(cn)} is not a site of this federation`, call);
      call.end();
      return;
    }
    let session: SiteSession | undefined;
    call.on('data', (m: WireSiteMessage) => {
      if (!session) {
        if (m.body !== 'hello' || !m.hello) {
          this.refuse(cn, 'first message of a session must be hello', call);
          call.end();
          return;
        }
        if (m.hello.site !== cn) {
          this.refuse(cn, `hello names ${JSON.stringify(m.hello.site)} but the certificate is issued to ${JSON.stringify(cn)}`, call);
          call.end();
          return;
        }
        if (m.hello.protocol !== FEDERATION_PROTOCOL) {
          this.refuse(cn, `site speaks protocol ${JSON.stringify(m.hello.protocol ?? '')} but this coordinator speaks ${JSON.stringify(FEDERATION_PROTOCOL)}: upgrade both to the same hemasynth version`, call);
          call.end();
          return;
        }
        if (this.finishedSummary !== undefined) {
          call.write({ finished: { summary_json: this.finishedSummary } });
          call.end();
          return;
        }
        const existing = this.sessions.get(cn);
        if (existing && existing.open) {
          this.refuse(cn, `duplicate site name: a session for ${cn} is already open`, call);
          call.end();
          return;
        }
        session = { name: cn, call, lastSequence: BigInt(m.sequence || '0'), open: true };
        this.sessions.set(cn, session);
        this.log('joined', { site: cn, rejoin: existing !== undefined });
        call.write({ welcome: { session: this.session, sites: this.options.sites, threshold: this.options.threshold, secure_aggregation: this.options.secureAggregation } });
        this.joinWaiters.splice(0).forEach((w) => w());
        return;
      }
      this.onMessage(session, m);
    });
    const close = () => {
      if (session && session.open) {
        session.open = false;
        this.log('left', { site: session.name });
        if (this.gate && this.gate.expected.delete(session.name)) this.gate.settle();
      }
    };
    call.on('end', () => {
      close();
      try {
        call.end();
      } catch {
        /* already ended */
      }
    });
    call.on('error', close);
    call.on('cancelled', close);
  }

  private onMessage(s: SiteSession, m: WireSiteMessage): void {
    let seq: bigint;
    try {
      seq = BigInt(m.sequence);
    } catch {
      this.refuse(s.name, 'malformed sequence number');
      return;
    }
    if (seq <= s.lastSequence) {
      this.refuse(s.name, `replay: sequence ${seq} is not above ${s.lastSequence}`);
      return;
    }
    s.lastSequence = seq;
    const g = this.gate;
    if (m.body === 'failure') {
      this.log('site-failure', { site: s.name, reason: m.failure?.reason });
      if (g && g.expected.delete(s.name)) g.settle();
      return;
    }
    if (!g) {
      this.refuse(s.name, `${m.body ?? 'empty'} message while no round phase is open`);
      return;
    }
    if (m.round !== g.round || m.attempt !== g.attempt) {
      this.refuse(s.name, `message for round ${m.round} attempt ${m.attempt}, the open phase is round ${g.round} attempt ${g.attempt}`);
      return;
    }
    if (m.phase !== g.phase) {
      this.refuse(s.name, `message for phase ${JSON.stringify(m.phase)}, the open phase is ${g.phase}`);
      return;
    }
    if (!g.expected.has(s.name) || g.delivered.has(s.name)) {
      this.refuse(s.name, g.delivered.has(s.name) ? `second ${g.phase} message in one phase (replay)` : `not a participant of phase ${g.phase}`);
      return;
    }
    try {
      g.accept(s, m);
    } catch (e) {
      if (e instanceof ProtocolViolation || e instanceof HemasynthError || e instanceof RangeError || e instanceof TypeError) {
        this.refuse(s.name, e instanceof ProtocolViolation ? e.reason : (e as Error).message);
        s.assembly = undefined;
        return;
      }
      throw e;
    }
  }

  private openSites(): string[] {
    return this.options.sites.filter((s) => this.sessions.get(s)?.open);
  }

  private send(site: string, message: Record<string, unknown>): void {
    const s = this.sessions.get(site);
    if (s?.open) s.call.write(message);
  }

  /**
   * Opens a phase for `expected` sites and resolves with those that delivered, after all did
   * or the timeout passed (the silent ones count as dropped).
   */
  private phase(round: number, attempt: number, phase: string, expected: string[], accept: PhaseGate['accept'], onOpen?: () => void): Promise<string[]> {
    const timeout = this.options.phaseTimeoutMs ?? 30_000;
    return new Promise((resolve) => {
      const gate: PhaseGate = {
        round, attempt, phase,
        expected: new Set(expected.filter((s) => this.sessions.get(s)?.open)),
        delivered: new Set(),
        accept: (s, m) => {
          if (accept(s, m) !== false) {
            gate.delivered.add(s.name);
            gate.settle();
          }
        },
        settle: () => {
          if ([...gate.expected].every((s) => gate.delivered.has(s))) finish();
        },
      };
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (this.gate !== gate) return;
        if (timer) clearTimeout(timer);
        this.gate = undefined;
        const late = [...gate.expected].filter((s) => !gate.delivered.has(s));
        if (late.length) this.log('phase-missing', { round, attempt, phase, sites: late });
        resolve([...gate.delivered]);
      };
      this.gate = gate;
      timer = setTimeout(() => {
        const late = [...gate.expected].filter((s) => !gate.delivered.has(s));
        if (late.length) this.log('timeout', { round, attempt, phase, sites: late, timeoutMs: timeout });
        finish();
      }, timeout);
      onOpen?.();
      gate.settle();
    });
  }

  private async waitForSites(): Promise<void> {
    const deadline = Date.now() + (this.options.joinTimeoutMs ?? 10_000);
    while (this.openSites().length < this.options.sites.length && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(10, deadline - Date.now()));
        this.joinWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private loadCheckpoint(): void {
    const file = this.checkpointFile;
    if (!fs.existsSync(file)) return;
    const cp = JSON.parse(fs.readFileSync(file, 'utf8')) as CoordinatorCheckpoint;
    if (cp.format !== 'hemasynth-federation-checkpoint' || cp.model !== this.options.task.model || cp.sites.join(',') !== this.options.sites.join(',')) {
      throw new HemasynthError(`checkpoint ${file} belongs to another federation (model ${cp.model}, sites ${cp.sites?.join(',')}); remove it to start afresh`);
    }
    this.options.task.restore(cp.task);
    this.completedRounds = cp.completedRounds;
    this.log('resumed', { file, completedRounds: cp.completedRounds });
  }

  private saveCheckpoint(): void {
    const cp: CoordinatorCheckpoint = {
      format: 'hemasynth-federation-checkpoint', version: 1, model: this.options.task.model, sites: this.options.sites,
      completedRounds: this.completedRounds, task: this.options.task.checkpoint(),
    };
    const file = this.checkpointFile;
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(cp));
    fs.renameSync(`${file}.tmp`, file);
  }

  /** Runs every remaining round, writes the model and closes the sessions. */
  async run(): Promise<{ rounds: number; out: string; summary: unknown }> {
    const task = this.options.task;
    this.loadCheckpoint();
    while (this.completedRounds < task.rounds) {
      const round = this.completedRounds;
      const maxAttempts = this.options.maxAttempts ?? 4;
      let attempt = 0;
      for (;;) {
        await this.waitForSites();
        try {
          const summary = await this.runRound(round, attempt);
          this.completedRounds++;
          this.saveCheckpoint();
          this.log('round-complete', { round, attempt, summary });
          break;
        } catch (e) {
          if (!(e instanceof RoundAborted)) throw e;
          this.log('round-aborted', { round, attempt, reason: e.reason });
          for (const s of this.openSites()) this.send(s, { round, attempt, phase: 'result', result: { completed: false, reason: e.reason, contributors: [], summary_json: '' } });
          attempt++;
          if (attempt >= maxAttempts) throw new HemasynthError(`round ${round} aborted ${attempt} times (last: ${e.reason}); the global model after round ${round - 1} is kept in ${this.checkpointFile}`);
        }
      }
    }
    const summary = await task.finish(this.options.out);
    this.finishedSummary = JSON.stringify(summary ?? {});
    for (const s of this.openSites()) this.send(s, { finished: { summary_json: this.finishedSummary } });
    for (const s of this.sessions.values()) if (s.open) s.call.end();
    // Let the sites read the last message and close their side before the server may be stopped.
    const deadline = Date.now() + 3000;
    while (this.openSites().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.log('finished', { out: this.options.out, rounds: task.rounds });
    return { rounds: task.rounds, out: this.options.out, summary };
  }

  private async runRound(round: number, attempt: number): Promise<unknown> {
    const o = this.options;
    const t = o.threshold;
    const plan = o.task.planRound(round);
    if (!(Number.isInteger(plan.vectorLength) && plan.vectorLength >= 0 && plan.vectorLength <= MAX_VECTOR_WORDS)) {
      throw new HemasynthError(`task planned a vector of ${plan.vectorLength} words; at most ${MAX_VECTOR_WORDS} are allowed`);
    }
    const participants = this.openSites();
    if (participants.length < t) throw new RoundAborted(round, `${participants.length} sites connected, fewer than the threshold ${t}`);
    const noiseBound = plan.noiseSigmaPerSite ? Math.ceil(plan.noiseSigmaPerSite * 40) : 0;
    const bound = assertCapacity(plan.format, o.sites.length, noiseBound);
    const start = {
      session: this.session, plan_json: JSON.stringify({ model: o.task.model, ...(plan.plan as object), noiseSigmaPerSite: plan.noiseSigmaPerSite ?? 0 }),
      vector_length: String(plan.vectorLength), scale: plan.format.scale, clip: plan.format.clip, threshold: t,
      secure_aggregation: o.secureAggregation, helper_address: o.helperAddress ?? '',
    };
    // A plan larger than one message (a neural generator's global model) goes in ordered parts.
    const parts = Math.max(1, Math.ceil(start.plan_json.length / PLAN_PART_CHARS));
    if (parts > MAX_PLAN_PARTS) {
      throw new HemasynthError(`round ${round} plan of ${(start.plan_json.length / 2 ** 20).toFixed(1)} Mi characters exceeds the ${MAX_PLAN_PARTS} parts of ${PLAN_PART_CHARS / 2 ** 20} Mi a plan may have: use a smaller network (option embeddingDim, or the layer widths where the model takes them) or fewer columns`);
    }
    for (let k = 0; k < parts; k++) {
      const part = parts === 1 ? start : { ...start, plan_json: start.plan_json.slice(k * PLAN_PART_CHARS, (k + 1) * PLAN_PART_CHARS), plan_part: k, plan_parts: parts };
      for (const s of participants) this.send(s, { round, attempt, phase: 'start', start: part });
    }
    this.log('round-start', { round, attempt, participants, vectorLength: plan.vectorLength });
    const { sum, contributors, dropped } = o.secureAggregation === 'pairwise'
      ? await this.pairwiseRound(round, attempt, participants, plan)
      : await this.directRound(round, attempt, participants, plan);
    const values = decodeFixedPoint(sum, plan.format, bound, o.threads ?? 0);
    const summary = o.task.absorbRound(round, values, { round, contributors, dropped });
    for (const s of this.openSites()) this.send(s, { round, attempt, phase: 'result', result: { completed: true, reason: '', contributors, summary_json: JSON.stringify(summary ?? {}) } });
    return summary;
  }

  /** Assembles chunked vectors of one phase; calls `whole` when a site's vector is complete. */
  private vectorAcceptor(length: number, whole: (s: SiteSession, v: BigUint64Array) => void): PhaseGate['accept'] {
    return (s, m) => {
      if (m.body !== 'chunk' || !m.chunk) throw new ProtocolViolation(s.name, `expected a vector chunk but received ${m.body ?? 'an empty message'}`);
      const offset = Number(m.chunk.offset);
      if (!s.assembly || offset === 0) s.assembly = new VectorAssembly(length);
      const reason = s.assembly.add(offset, m.chunk.data, m.chunk.last);
      if (reason) throw new ProtocolViolation(s.name, reason);
      if (!s.assembly.complete) return false;
      const v = s.assembly.words;
      s.assembly = undefined;
      whole(s, v);
    };
  }

  private async pairwiseRound(round: number, attempt: number, participants: string[], plan: RoundPlan) {
    const o = this.options;
    const ctx = { session: this.session, round, attempt, threshold: o.threshold, vectorLength: plan.vectorLength };
    const agg = new PairwiseAggregator(ctx, o.sites, this.identity);
    await this.phase(round, attempt, 'advertise', participants, (s, m) => {
      if (m.body !== 'keys' || !m.keys) throw new ProtocolViolation(s.name, `expected keys but received ${m.body}`);
      agg.acceptAdvertisement({ site: s.name, encryptionKey: m.keys.encryption_key, maskingKey: m.keys.masking_key, signature: m.keys.signature, certificate: m.keys.certificate });
    });
    const roster = agg.closeAdvertisements();
    const entries = roster.map((r) => ({ site: r.site, encryption_key: r.encryptionKey, masking_key: r.maskingKey, signature: r.signature, certificate: r.certificate }));
    await this.phase(round, attempt, 'share', roster.map((r) => r.site), (s, m) => {
      if (m.body !== 'shares' || !m.shares) throw new ProtocolViolation(s.name, `expected shares but received ${m.body}`);
      agg.acceptShares({ site: s.name, commitment: m.shares.commitment, boxes: m.shares.boxes.map((b) => ({ to: b.peer, box: b.box })) });
    }, () => roster.forEach((r) => this.send(r.site, { round, attempt, phase: 'roster', roster: { entries } })));
    const maskingSet = agg.closeShares();
    await this.phase(round, attempt, 'mask', maskingSet, this.vectorAcceptor(plan.vectorLength, (s, v) => {
      agg.acceptMaskedVector(s.name, v, o.threads ?? 0);
      o.onVectorReceived?.(s.name, round, v);
    }), () => {
      for (const s of maskingSet) {
        const d = agg.deliveryFor(s);
        this.send(s, { round, attempt, phase: 'delivery', delivery: { masking_set: d.maskingSet, boxes: d.boxes.map((b) => ({ peer: b.from, box: b.box })) } });
      }
    });
    const check = agg.closeMasking();
    await this.phase(round, attempt, 'confirm', check.survivors, (s, m) => {
      if (m.body !== 'confirmation' || !m.confirmation) throw new ProtocolViolation(s.name, `expected a survivor signature but received ${m.body}`);
      agg.acceptConfirmation(s.name, m.confirmation.signature);
    }, () => check.survivors.forEach((s) => this.send(s, { round, attempt, phase: 'confirm', confirm: check })));
    const request = agg.closeConfirmations();
    const signers = request.signatures.map((x) => x.site);
    const toShares = (xs: WireShareOf[]) => xs.map((x) => ({ of: x.site, x: x.x, y: BigUint64Array.from(x.y.map((y) => BigInt(y))) }));
    await this.phase(round, attempt, 'unmask', signers, (s, m) => {
      if (m.body !== 'unmask' || !m.unmask) throw new ProtocolViolation(s.name, `expected unmask shares but received ${m.body}`);
      const r: UnmaskResponse = { site: s.name, selfMaskShares: toShares(m.unmask.self_mask_shares), keyShares: toShares(m.unmask.key_shares) };
      agg.acceptUnmask(r);
    }, () => signers.forEach((s) => this.send(s, { round, attempt, phase: 'unmask', unmask: request })));
    const r = agg.finish(o.threads ?? 0);
    return { sum: r.sum, contributors: r.survivors, dropped: r.dropped };
  }

  /** 'none' and 'two-server': one phase of vectors; two-server adds the helper's sum of seed expansions. */
  private async directRound(round: number, attempt: number, participants: string[], plan: RoundPlan) {
    const o = this.options;
    const sum = new BigUint64Array(plan.vectorLength);
    const got = new Set<string>();
    await this.phase(round, attempt, 'mask', participants, this.vectorAcceptor(plan.vectorLength, (s, v) => {
      ringAdd(sum, v, 0, o.threads ?? 0);
      got.add(s.name);
      o.onVectorReceived?.(s.name, round, v);
    }));
    const contributors = participants.filter((s) => got.has(s));
    if (contributors.length < o.threshold) throw new RoundAborted(round, `${contributors.length} sites sent vectors, fewer than the threshold ${o.threshold}`);
    if (o.secureAggregation === 'two-server') {
      const helperSum = await this.helperSum(round, attempt, contributors, plan.vectorLength);
      ringAdd(sum, helperSum, 0, o.threads ?? 0);
    }
    return { sum, contributors, dropped: participants.filter((s) => !got.has(s)) };
  }

  private helperSum(round: number, attempt: number, sites: string[], length: number): Promise<BigUint64Array> {
    const o = this.options;
    if (!o.helperAddress) throw new HemasynthError('two-server secure aggregation needs the helper address (--helper HOST:PORT)');
    const Helper = federationPackage().ShareHelper as grpc.ServiceClientConstructor;
    const channel = clientChannel(o.helperAddress, o.credentials, HELPER_NAME);
    const client = new Helper(o.helperAddress, channel.credentials, channel.options);
    const assembly = new VectorAssembly(length);
    return new Promise((resolve, reject) => {
      const call = client.ExpandSum({ session: this.session, round, attempt, sites, vector_length: String(length) });
      call.on('data', (c: { offset: string; data: Buffer; last: boolean }) => {
        const reason = assembly.add(Number(c.offset), c.data, c.last);
        if (reason) {
          call.cancel();
          reject(new RoundAborted(round, `helper sent a bad chunk: ${reason}`));
        }
      });
      call.on('error', (e: Error) => {
        client.close();
        reject(new RoundAborted(round, `helper ${HELPER_NAME} could not expand the seed sum: ${e.message}`));
      });
      call.on('end', () => {
        client.close();
        if (assembly.complete) resolve(assembly.words);
        else reject(new RoundAborted(round, 'helper stream ended before the whole vector'));
      });
    });
  }

  /** Stops the server (sessions are cancelled). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.server.forceShutdown();
  }
}
