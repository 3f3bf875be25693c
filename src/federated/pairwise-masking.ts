/**
 * Secure aggregation by pairwise masking with dropout recovery: Bonawitz, Ivanov, Kreuter,
 * Marcedone, McMahan, Patel, Ramage, Segal & Seth 2017, "Practical Secure Aggregation for
 * Privacy-Preserving Machine Learning" (CCS), Figure 4, actively secure variant, full graph.
 *
 * Round structure (one aggregation):
 *  1. AdvertiseKeys: each site u sends two fresh X25519 public keys, c_u (share encryption)
 *     and s_u (masking), signed with its certificate's key together with the session, round and
 *     attempt. The coordinator broadcasts the roster U1 (≥ t sites) with the signatures and
 *     certificates, and every site checks them all (site-identity.ts) before using any key.
 *  2. ShareKeys: u draws a self-mask seed b_u, Shamir-shares b_u and the masking private key
 *     s_u^SK t-of-|U1|, and sends share v to v encrypted under AES-256-GCM with a key from
 *     HKDF(X25519(c_u^SK, c_v^PK)); plus SHA-256(b_u) so the coordinator can check what it
 *     reconstructs. The coordinator forwards the boxes; U2 (≥ t) are the sites that shared.
 *  3. MaskedInput: u sends y_u = x_u + PRG(b_u) + Σ_{v∈U2, u<v} PRG(s_uv) − Σ_{v∈U2, v<u} PRG(s_uv)
 *     in Z_2^64, s_uv = HKDF(X25519(s_u^SK, s_v^PK)). U3 (≥ t) are the sites whose vector arrived whole.
 *  4. ConsistencyCheck: the coordinator names U3 and U2∖U3 to the members of U3; each checks the
 *     request and signs it. U4 ⊆ U3 (≥ t) are the sites whose signatures arrived.
 *  5. Unmasking: the coordinator sends the request with U4's signatures; each member of U4
 *     checks that ≥ t members of U3 signed this very request, then returns its shares of b_v
 *     for v ∈ U3 and of s_v^SK for v ∈ U2∖U3 — never both for one site, which is what keeps an
 *     individual x_v hidden if a "dropped" site was only slow. With ≥ t responses the
 *     coordinator recovers Σ_{u∈U3} x_u exactly.
 *
 * The signatures (steps 1 and 4) are what make the protocol hold against an actively malicious
 * coordinator: it can neither substitute public keys (every key is signed by its owner's
 * certificate, which the CA issued) nor tell different sites different survivor sets (each
 * site answers only a request ≥ t sites signed). The threat model is in docs/federation.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { aeadOpen, aeadSeal, deriveKey, generateX25519, x25519Agree, x25519PublicOf, X25519KeyPair } from './key-agreement';
import { applyMasks, ringAdd, SEED_BYTES, shamirLimbs } from './ring-codec';
import { combineShares, splitSecret, ShamirShare } from './shamir';
import { ProtocolViolation, RoundAborted } from './errors';
import { FederationIdentity, signedStatement } from './site-identity';

/** What binds one aggregation: the session, the round and the attempt (a retried round draws fresh keys). */
export interface AggregationContext {
  session: string;
  round: number;
  attempt: number;
  /** Minimum number of sites needed at every phase (Shamir threshold t). */
  threshold: number;
  /** Words in every vector. */
  vectorLength: number;
}

/** Phase 1 message. */
export interface KeyAdvertisement {
  site: string;
  encryptionKey: Uint8Array;
  maskingKey: Uint8Array;
  /** The site's certificate (PEM), issued by the federation's CA. */
  certificate: string;
  /** The certificate key's signature of {@link advertisementStatement}. */
  signature: Uint8Array;
}

/** Phase 2 message: sealed shares for every other roster member. */
export interface ShareBundle {
  site: string;
  /** SHA-256 of the self-mask seed b_u. */
  commitment: Uint8Array;
  boxes: Array<{ to: string; box: Uint8Array }>;
}

/** What the coordinator forwards to one site after phase 2. */
export interface ShareDelivery {
  maskingSet: string[];
  boxes: Array<{ from: string; box: Uint8Array }>;
}

/** Phase 4 request (ConsistencyCheck): U3 and U2∖U3. */
export interface UnmaskRequest {
  survivors: string[];
  dropped: string[];
}

/** Phase 5 request: the phase 4 request with the signatures of U4 (≥ t members of U3). */
export interface SignedUnmaskRequest extends UnmaskRequest {
  signatures: Array<{ site: string; signature: Uint8Array }>;
}

/** Phase 4 response. */
export interface UnmaskResponse {
  site: string;
  selfMaskShares: Array<{ of: string; x: number; y: BigUint64Array }>;
  keyShares: Array<{ of: string; x: number; y: BigUint64Array }>;
}

const LIMBS = shamirLimbs(SEED_BYTES);
const SHARE_PLAINTEXT = 2 + 2 * LIMBS * 8;

function salt(ctx: AggregationContext): string {
  return `${ctx.session}/round-${ctx.round}/attempt-${ctx.attempt}`;
}
function pairInfo(kind: string, a: string, b: string): string {
  return a < b ? `hemasynth/${kind}/${a}/${b}` : `hemasynth/${kind}/${b}/${a}`;
}
function boxContext(ctx: AggregationContext, from: string, to: string): string {
  return `${salt(ctx)}/shares/${from}->${to}`;
}

/** The pairwise mask seed s_uv (symmetric in u, v). */
export function pairwiseSeed(ctx: AggregationContext, myMaskingPrivate: Uint8Array, me: string, peerMaskingPublic: Uint8Array, peer: string): Uint8Array {
  return deriveKey(x25519Agree(myMaskingPrivate, peerMaskingPublic), salt(ctx), pairInfo('pairwise-mask', me, peer), SEED_BYTES);
}

function shareEncryptionKey(ctx: AggregationContext, myEncPrivate: Uint8Array, me: string, peerEncPublic: Uint8Array, peer: string): Uint8Array {
  return deriveKey(x25519Agree(myEncPrivate, peerEncPublic), salt(ctx), pairInfo('share-encryption', me, peer), 32);
}

function encodeSharePlaintext(x: number, b: BigUint64Array, s: BigUint64Array): Uint8Array {
  const out = Buffer.alloc(SHARE_PLAINTEXT);
  out.writeUInt16LE(x, 0);
  for (let i = 0; i < LIMBS; i++) out.writeBigUInt64LE(b[i], 2 + 8 * i);
  for (let i = 0; i < LIMBS; i++) out.writeBigUInt64LE(s[i], 2 + 8 * (LIMBS + i));
  return out;
}
function decodeSharePlaintext(p: Uint8Array): { x: number; b: BigUint64Array; s: BigUint64Array } | null {
  if (p.length !== SHARE_PLAINTEXT) return null;
  const buf = Buffer.from(p);
  const b = new BigUint64Array(LIMBS);
  const s = new BigUint64Array(LIMBS);
  for (let i = 0; i < LIMBS; i++) b[i] = buf.readBigUInt64LE(2 + 8 * i);
  for (let i = 0; i < LIMBS; i++) s[i] = buf.readBigUInt64LE(2 + 8 * (LIMBS + i));
  return { x: buf.readUInt16LE(0), b, s };
}

/** What a site signs in phase 1: its two public keys, bound to the aggregation. */
export function advertisementStatement(ctx: AggregationContext, site: string, encryptionKey: Uint8Array, maskingKey: Uint8Array): Buffer {
  return signedStatement('advertise', [ctx.session, ctx.round, ctx.attempt, site, Buffer.from(encryptionKey).toString('hex'), Buffer.from(maskingKey).toString('hex')]);
}

/** What a site signs in phase 4: the survivor and drop-out sets it is asked to unmask, bound to the aggregation. */
export function survivorStatement(ctx: AggregationContext, request: UnmaskRequest): Buffer {
  return signedStatement('survivors', [ctx.session, ctx.round, ctx.attempt, [...request.survivors].sort().join(','), [...request.dropped].sort().join(',')]);
}

function checkKeyBytes(site: string, k: unknown, what: string): void {
  if (!(k instanceof Uint8Array) || k.length !== 32) throw new ProtocolViolation(site, `expected a 32-byte ${what} but received ${k instanceof Uint8Array ? `${k.length} bytes` : typeof k}`);
}

/**
 * A site's side of one pairwise-masked aggregation.
 * @example
 * const site = new PairwiseMaskingSite('a', ctx, identity);
 * const advert = site.advertise();          // → coordinator
 * const bundle = site.shareKeys(roster);    // → coordinator
 * const masked = site.mask(encoded, delivery);
 * const signature = site.confirmSurvivors(request);
 * const response = site.unmask(signedRequest);
 */
export class PairwiseMaskingSite {
  private encryption?: X25519KeyPair;
  private masking?: X25519KeyPair;
  private selfSeed?: Uint8Array;
  private roster: KeyAdvertisement[] = [];
  private received = new Map<string, { x: number; b: BigUint64Array; s: BigUint64Array }>();
  private maskingSet: string[] = [];
  private confirmed?: UnmaskRequest;
  private answered = false;

  /** `identity`: this site's certificate and key, and the federation's CA (site-identity.ts). */
  constructor(readonly name: string, readonly ctx: AggregationContext, private readonly identity: FederationIdentity) {}

  /** Phase 1: fresh key pairs for this aggregation, signed. */
  advertise(): KeyAdvertisement {
    this.encryption = generateX25519();
    this.masking = generateX25519();
    const statement = advertisementStatement(this.ctx, this.name, this.encryption.publicKey, this.masking.publicKey);
    return { site: this.name, encryptionKey: this.encryption.publicKey, maskingKey: this.masking.publicKey, certificate: this.identity.certificate, signature: this.identity.sign(statement) };
  }

  /** Phase 2: shares of b_u and s_u^SK for every roster member, sealed for each. */
  shareKeys(roster: KeyAdvertisement[]): ShareBundle {
    if (!this.encryption || !this.masking) throw new ProtocolViolation('coordinator', 'roster before key advertisement');
    const names = roster.map((r) => r.site);
    if (new Set(names).size !== names.length) throw new ProtocolViolation('coordinator', 'roster names a site twice');
    if (roster.length < this.ctx.threshold) throw new ProtocolViolation('coordinator', `roster of ${roster.length} sites is below the threshold ${this.ctx.threshold}`);
    // Below a strict majority of the roster, t signatures could be gathered for two disjoint
    // survivor stories (each honest site signs one), and the survivor check would prove nothing.
    if (2 * this.ctx.threshold <= roster.length) throw new ProtocolViolation('coordinator', `threshold ${this.ctx.threshold} is not a strict majority of the ${roster.length}-site roster`);
    const mine = roster.find((r) => r.site === this.name);
    if (!mine || !Buffer.from(mine.encryptionKey).equals(Buffer.from(this.encryption.publicKey)) || !Buffer.from(mine.maskingKey).equals(Buffer.from(this.masking.publicKey))) {
      throw new ProtocolViolation('coordinator', 'roster does not carry this site\'s advertised keys');
    }
    for (const r of roster) {
      checkKeyBytes('coordinator', r.encryptionKey, `encryption key of ${r.site}`);
      checkKeyBytes('coordinator', r.maskingKey, `masking key of ${r.site}`);
      // A key the coordinator substituted would not carry its owner's signature.
      this.identity.verifyPeer(r.site, r.certificate, advertisementStatement(this.ctx, r.site, r.encryptionKey, r.maskingKey), r.signature);
    }
    this.roster = [...roster].sort((a, b) => (a.site < b.site ? -1 : 1));
    this.selfSeed = randomBytes(SEED_BYTES);
    const n = this.roster.length;
    const bShares = splitSecret(this.selfSeed, this.ctx.threshold, n);
    const sShares = splitSecret(this.masking.privateKey, this.ctx.threshold, n);
    const boxes: ShareBundle['boxes'] = [];
    this.roster.forEach((peer, i) => {
      const plain = encodeSharePlaintext(i + 1, bShares[i].y, sShares[i].y);
      if (peer.site === this.name) {
        this.received.set(this.name, decodeSharePlaintext(plain)!);
        return;
      }
      const key = shareEncryptionKey(this.ctx, this.encryption!.privateKey, this.name, peer.encryptionKey, peer.site);
      boxes.push({ to: peer.site, box: aeadSeal(key, plain, boxContext(this.ctx, this.name, peer.site)) });
    });
    return { site: this.name, commitment: createHash('sha256').update(this.selfSeed).digest(), boxes };
  }

  /** Phase 3: opens the shares addressed to this site and masks the encoded vector (a new array). */
  mask(encoded: BigUint64Array, delivery: ShareDelivery, threads = 0): BigUint64Array {
    if (!this.selfSeed || !this.masking) throw new ProtocolViolation('coordinator', 'masking request before key sharing');
    if (encoded.length !== this.ctx.vectorLength) throw new ProtocolViolation(this.name, `local vector has ${encoded.length} words, the round expects ${this.ctx.vectorLength}`);
    const set = delivery.maskingSet;
    if (new Set(set).size !== set.length) throw new ProtocolViolation('coordinator', 'masking set names a site twice');
    if (set.length < this.ctx.threshold) throw new ProtocolViolation('coordinator', `masking set of ${set.length} sites is below the threshold ${this.ctx.threshold}`);
    if (!set.includes(this.name)) throw new ProtocolViolation('coordinator', 'masking set does not include this site');
    const byName = new Map(this.roster.map((r, i) => [r.site, { advert: r, x: i + 1 }]));
    for (const s of set) if (!byName.has(s)) throw new ProtocolViolation('coordinator', `masking set names ${s}, who is not on the roster`);
    const boxes = new Map<string, Uint8Array>();
    for (const b of delivery.boxes) {
      if (boxes.has(b.from)) throw new ProtocolViolation('coordinator', `two share boxes from ${b.from}`);
      boxes.set(b.from, b.box);
    }
    for (const peer of set) {
      if (peer === this.name) continue;
      const box = boxes.get(peer);
      if (!box) throw new ProtocolViolation('coordinator', `no share box from ${peer}, who is in the masking set`);
      const key = shareEncryptionKey(this.ctx, this.encryption!.privateKey, this.name, byName.get(peer)!.advert.encryptionKey, peer);
      const plain = aeadOpen(key, box, boxContext(this.ctx, peer, this.name));
      const share = plain && decodeSharePlaintext(plain);
      if (!share || share.x !== byName.get(this.name)!.x) throw new ProtocolViolation('coordinator', `share box from ${peer} does not authenticate for this site and round`);
      this.received.set(peer, share);
    }
    this.maskingSet = [...set];
    const out = encoded.slice();
    const masks: Array<{ seed: Uint8Array; sign: 1 | -1 }> = [{ seed: this.selfSeed, sign: 1 }];
    for (const peer of set) {
      if (peer === this.name) continue;
      const seed = pairwiseSeed(this.ctx, this.masking.privateKey, this.name, byName.get(peer)!.advert.maskingKey, peer);
      masks.push({ seed, sign: this.name < peer ? 1 : -1 });
    }
    applyMasks(out, masks, threads);
    return out;
  }

  /** Phase 4: checks the survivor and drop-out sets and signs them (once per aggregation). */
  confirmSurvivors(request: UnmaskRequest): Uint8Array {
    if (this.maskingSet.length === 0) throw new ProtocolViolation('coordinator', 'survivor check before masking');
    if (this.confirmed) throw new ProtocolViolation('coordinator', 'a second survivor check in one round');
    const set = new Set(this.maskingSet);
    const survivors = new Set(request.survivors);
    const dropped = new Set(request.dropped);
    if (survivors.size !== request.survivors.length || dropped.size !== request.dropped.length) throw new ProtocolViolation('coordinator', 'unmask request names a site twice');
    for (const s of survivors) if (dropped.has(s)) throw new ProtocolViolation('coordinator', `unmask request names ${s} both as survivor and as dropped: answering would reveal its input`);
    if (!survivors.has(this.name)) throw new ProtocolViolation('coordinator', 'unmask request does not count this site among the survivors');
    if (survivors.size < this.ctx.threshold) throw new ProtocolViolation('coordinator', `only ${survivors.size} survivors, below the threshold ${this.ctx.threshold}`);
    for (const s of [...survivors, ...dropped]) if (!set.has(s)) throw new ProtocolViolation('coordinator', `unmask request names ${s}, outside the masking set`);
    if (survivors.size + dropped.size !== set.size) throw new ProtocolViolation('coordinator', 'survivors and dropped sites do not cover the masking set');
    this.confirmed = { survivors: [...request.survivors], dropped: [...request.dropped] };
    return this.identity.sign(survivorStatement(this.ctx, this.confirmed));
  }

  /**
   * Phase 5: shares of b_v for survivors and of s_v^SK for dropped sites, only for the request
   * this site signed and only when ≥ t survivors signed the same request (so no two honest sites
   * answer different survivor sets).
   */
  unmask(request: SignedUnmaskRequest): UnmaskResponse {
    if (!this.confirmed) throw new ProtocolViolation('coordinator', 'unmask request before the survivor check');
    if (this.answered) throw new ProtocolViolation('coordinator', 'a second unmask request in one round');
    const statement = survivorStatement(this.ctx, this.confirmed);
    if (!survivorStatement(this.ctx, request).equals(statement)) throw new ProtocolViolation('coordinator', 'unmask request differs from the survivor set this site signed');
    const survivors = new Set(this.confirmed.survivors);
    const dropped = new Set(this.confirmed.dropped);
    const signers = new Set<string>();
    const certificates = new Map(this.roster.map((r) => [r.site, r.certificate]));
    for (const { site, signature } of request.signatures ?? []) {
      if (!survivors.has(site)) throw new ProtocolViolation('coordinator', `survivor signature from ${site}, who is not a survivor`);
      if (signers.has(site)) throw new ProtocolViolation('coordinator', `two survivor signatures from ${site}`);
      this.identity.verifyPeer(site, certificates.get(site)!, statement, signature);
      signers.add(site);
    }
    if (signers.size < this.ctx.threshold) throw new ProtocolViolation('coordinator', `only ${signers.size} survivors signed the unmask request, below the threshold ${this.ctx.threshold}`);
    this.answered = true;
    const share = (of: string, which: 'b' | 's') => {
      const r = this.received.get(of)!;
      return { of, x: r.x, y: which === 'b' ? r.b : r.s };
    };
    return {
      site: this.name,
      selfMaskShares: [...survivors].map((s) => share(s, 'b')),
      keyShares: [...dropped].map((s) => share(s, 's')),
    };
  }
}

/**
 * The coordinator's side of one pairwise-masked aggregation: routes sealed shares, sums masked
 * vectors in Z_2^64 and removes the masks from the sum once ≥ t sites answer the unmask request.
 * @example
 * const agg = new PairwiseAggregator(ctx, ['a', 'b', 'c']);
 * adverts.forEach((a) => agg.acceptAdvertisement(a));
 * const roster = agg.closeAdvertisements();
 */
export class PairwiseAggregator {
  private adverts = new Map<string, KeyAdvertisement>();
  private roster: KeyAdvertisement[] = [];
  private bundles = new Map<string, ShareBundle>();
  private maskingSet: string[] = [];
  private sum: BigUint64Array;
  private contributed = new Set<string>();
  private request?: UnmaskRequest;
  private confirmations = new Map<string, Uint8Array>();
  private signedRequest?: SignedUnmaskRequest;
  private responses = new Map<string, UnmaskResponse>();
  private phase: 'advertise' | 'share' | 'mask' | 'confirm' | 'unmask' | 'done' = 'advertise';

  /**
   * `identity`: the coordinator's credentials, whose CA checks the sites' signatures on receipt
   * (so that one site's bad signature costs that site its place, not the round).
   */
  constructor(readonly ctx: AggregationContext, readonly sites: readonly string[], private readonly identity: FederationIdentity) {
    this.sum = new BigUint64Array(ctx.vectorLength);
  }

  /** The phase the aggregation is in. */
  get currentPhase(): string {
    return this.phase;
  }

  private expectPhase(site: string, phase: PairwiseAggregator['phase'], what: string): void {
    if (this.phase !== phase) throw new ProtocolViolation(site, `${what} in phase ${this.phase} (expected in ${phase})`);
  }

  private abortIfBelow(count: number, what: string): void {
    if (count < this.ctx.threshold) throw new RoundAborted(this.ctx.round, `${count} sites ${what}, fewer than the threshold ${this.ctx.threshold}`);
  }

  acceptAdvertisement(a: KeyAdvertisement): void {
    this.expectPhase(a.site, 'advertise', 'key advertisement');
    if (!this.sites.includes(a.site)) throw new ProtocolViolation(a.site, 'not a member of this federation');
    if (this.adverts.has(a.site)) throw new ProtocolViolation(a.site, 'second key advertisement in one round (replay)');
    checkKeyBytes(a.site, a.encryptionKey, 'encryption key');
    checkKeyBytes(a.site, a.maskingKey, 'masking key');
    this.identity.verifyPeer(a.site, a.certificate, advertisementStatement(this.ctx, a.site, a.encryptionKey, a.maskingKey), a.signature, a.site);
    for (const other of this.adverts.values()) {
      if (Buffer.from(other.maskingKey).equals(Buffer.from(a.maskingKey)) || Buffer.from(other.encryptionKey).equals(Buffer.from(a.encryptionKey))) {
        throw new ProtocolViolation(a.site, `reuses the public key of ${other.site}`);
      }
    }
    this.adverts.set(a.site, a);
  }

  /** Ends phase 1; the roster U1 to broadcast. Throws RoundAborted below the threshold. */
  closeAdvertisements(): KeyAdvertisement[] {
    this.expectPhase('coordinator', 'advertise', 'closing advertisements');
    this.abortIfBelow(this.adverts.size, 'advertised keys');
    this.roster = [...this.adverts.values()].sort((a, b) => (a.site < b.site ? -1 : 1));
    this.phase = 'share';
    return this.roster;
  }

  acceptShares(bundle: ShareBundle): void {
    this.expectPhase(bundle.site, 'share', 'share bundle');
    if (!this.adverts.has(bundle.site)) throw new ProtocolViolation(bundle.site, 'shares from a site outside the roster');
    if (this.bundles.has(bundle.site)) throw new ProtocolViolation(bundle.site, 'second share bundle in one round (replay)');
    if (!(bundle.commitment instanceof Uint8Array) || bundle.commitment.length !== 32) throw new ProtocolViolation(bundle.site, 'malformed self-mask commitment');
    const expected = this.roster.filter((r) => r.site !== bundle.site).map((r) => r.site).sort();
    const got = bundle.boxes.map((b) => b.to).sort();
    if (expected.length !== got.length || expected.some((s, i) => s !== got[i])) {
      throw new ProtocolViolation(bundle.site, `share boxes for [${got.join(', ')}], expected one for each of [${expected.join(', ')}]`);
    }
    for (const b of bundle.boxes) {
      if (!(b.box instanceof Uint8Array) || b.box.length > 1024) throw new ProtocolViolation(bundle.site, `malformed share box for ${b.to}`);
    }
    this.bundles.set(bundle.site, bundle);
  }

  /** Ends phase 2; U2. Throws RoundAborted below the threshold. */
  closeShares(): string[] {
    this.expectPhase('coordinator', 'share', 'closing shares');
    this.abortIfBelow(this.bundles.size, 'shared their keys');
    this.maskingSet = [...this.bundles.keys()].sort();
    this.phase = 'mask';
    return this.maskingSet;
  }

  /** The boxes addressed to one member of U2. */
  deliveryFor(site: string): ShareDelivery {
    const boxes: ShareDelivery['boxes'] = [];
    for (const from of this.maskingSet) {
      if (from === site) continue;
      const box = this.bundles.get(from)!.boxes.find((b) => b.to === site)!;
      boxes.push({ from, box: box.box });
    }
    return { maskingSet: this.maskingSet, boxes };
  }

  /** A whole masked vector from a member of U2 (the transport assembles chunks and checks sizes first). */
  acceptMaskedVector(site: string, masked: BigUint64Array, threads = 0): void {
    this.expectPhase(site, 'mask', 'masked vector');
    if (!this.maskingSet.includes(site)) throw new ProtocolViolation(site, 'masked vector from a site outside the masking set');
    if (this.contributed.has(site)) throw new ProtocolViolation(site, 'second masked vector in one round (replay)');
    if (masked.length !== this.ctx.vectorLength) throw new ProtocolViolation(site, `vector of ${masked.length} words, the round expects ${this.ctx.vectorLength}`);
    ringAdd(this.sum, masked, 0, threads);
    this.contributed.add(site);
  }

  /** Ends phase 3; the survivor check to send to U3 (U3 and U2∖U3). Throws RoundAborted below the threshold. */
  closeMasking(): UnmaskRequest {
    this.expectPhase('coordinator', 'mask', 'closing masking');
    this.abortIfBelow(this.contributed.size, 'sent masked vectors');
    const survivors = this.maskingSet.filter((s) => this.contributed.has(s));
    const dropped = this.maskingSet.filter((s) => !this.contributed.has(s));
    this.request = { survivors, dropped };
    this.phase = 'confirm';
    return this.request;
  }

  /** A survivor's signature of the survivor check (verified here, so a bad one only costs its sender). */
  acceptConfirmation(site: string, signature: Uint8Array): void {
    this.expectPhase(site, 'confirm', 'survivor signature');
    if (!this.request!.survivors.includes(site)) throw new ProtocolViolation(site, 'survivor signature from a site that is not a survivor');
    if (this.confirmations.has(site)) throw new ProtocolViolation(site, 'second survivor signature in one round (replay)');
    const certificate = this.adverts.get(site)!.certificate;
    this.identity.verifyPeer(site, certificate, survivorStatement(this.ctx, this.request!), signature, site);
    this.confirmations.set(site, signature);
  }

  /** Ends phase 4; the unmask request for U4 (the signers). Throws RoundAborted below the threshold. */
  closeConfirmations(): SignedUnmaskRequest {
    this.expectPhase('coordinator', 'confirm', 'closing the survivor check');
    this.abortIfBelow(this.confirmations.size, 'signed the survivor set');
    this.signedRequest = { ...this.request!, signatures: [...this.confirmations].map(([site, signature]) => ({ site, signature })) };
    this.phase = 'unmask';
    return this.signedRequest;
  }

  acceptUnmask(r: UnmaskResponse): void {
    this.expectPhase(r.site, 'unmask', 'unmask response');
    if (!this.confirmations.has(r.site)) throw new ProtocolViolation(r.site, 'unmask response from a site that did not sign the survivor set');
    if (this.responses.has(r.site)) throw new ProtocolViolation(r.site, 'second unmask response in one round (replay)');
    const names = (xs: Array<{ of: string }>) => xs.map((x) => x.of).sort().join(',');
    if (names(r.selfMaskShares) !== [...this.request!.survivors].sort().join(',') || names(r.keyShares) !== [...this.request!.dropped].sort().join(',')) {
      throw new ProtocolViolation(r.site, 'unmask response does not answer the request');
    }
    const x = this.roster.findIndex((a) => a.site === r.site) + 1;
    for (const s of [...r.selfMaskShares, ...r.keyShares]) {
      if (s.x !== x || !(s.y instanceof BigUint64Array) || s.y.length !== LIMBS) throw new ProtocolViolation(r.site, `malformed share of ${s.of}`);
    }
    this.responses.set(r.site, r);
  }

  /** Ends phase 4: reconstructs the mask secrets and returns Σ_{u∈U3} x_u in Z_2^64. */
  finish(threads = 0): { sum: BigUint64Array; survivors: string[]; dropped: string[] } {
    this.expectPhase('coordinator', 'unmask', 'finishing');
    this.abortIfBelow(this.responses.size, 'answered the unmask request');
    const { survivors, dropped } = this.request!;
    const responders = [...this.responses.values()];
    const collect = (of: string, field: 'selfMaskShares' | 'keyShares'): ShamirShare[] =>
      responders.map((r) => r[field].find((s) => s.of === of)!).map((s) => ({ x: s.x, y: s.y }));
    const masks: Array<{ seed: Uint8Array; sign: 1 | -1 }> = [];
    for (const u of survivors) {
      const b = combineShares(collect(u, 'selfMaskShares'), SEED_BYTES);
      const commitment = this.bundles.get(u)!.commitment;
      if (!createHash('sha256').update(b).digest().equals(Buffer.from(commitment))) {
        throw new RoundAborted(this.ctx.round, `the self-mask of ${u} reconstructed from shares does not match its commitment (a site returned a wrong share)`);
      }
      masks.push({ seed: b, sign: -1 });
    }
    for (const v of dropped) {
      const sk = combineShares(collect(v, 'keyShares'), 32);
      const advert = this.adverts.get(v)!;
      if (!Buffer.from(x25519PublicOf(sk)).equals(Buffer.from(advert.maskingKey))) {
        throw new RoundAborted(this.ctx.round, `the masking key of ${v} reconstructed from shares does not match its public key`);
      }
      for (const u of survivors) {
        const seed = pairwiseSeed(this.ctx, sk, v, this.adverts.get(u)!.maskingKey, u);
        // u added +PRG(s_uv) when u < v and −PRG(s_uv) otherwise; remove what u added.
        masks.push({ seed, sign: u < v ? -1 : 1 });
      }
    }
    applyMasks(this.sum, masks, threads);
    this.phase = 'done';
    return { sum: this.sum, survivors, dropped };
  }
}
