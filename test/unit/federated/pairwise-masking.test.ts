import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PairwiseAggregator, PairwiseMaskingSite, AggregationContext, advertisementStatement } from '../../../src/federated/pairwise-masking';
import { ProtocolViolation, RoundAborted } from '../../../src/federated/errors';
import { createFederationPki, loadPartyCredentials } from '../../../src/federated/pki';
import { FederationIdentity } from '../../../src/federated/site-identity';
import { generateX25519 } from '../../../src/federated/key-agreement';

// Every party's credentials from one federation CA, and a second CA for forged identities.
const SITES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'z'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-pairwise-'));
const identities = new Map<string, FederationIdentity>();
let forged: FederationIdentity;
beforeAll(async () => {
  await createFederationPki(path.join(dir, 'pki'), SITES);
  await createFederationPki(path.join(dir, 'other'), ['b']);
  for (const p of [...SITES, 'coordinator']) identities.set(p, new FederationIdentity(loadPartyCredentials({ dir: path.join(dir, 'pki'), party: p })));
  forged = new FederationIdentity(loadPartyCredentials({ dir: path.join(dir, 'other'), party: 'b' }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const site = (name: string, ctx: AggregationContext) => new PairwiseMaskingSite(name, ctx, identities.get(name)!);
const aggregator = (ctx: AggregationContext, names: string[]) => new PairwiseAggregator(ctx, names, identities.get('coordinator')!);

function randomVector(n: number): BigUint64Array {
  const v = new BigUint64Array(n);
  // Small positive and negative (two's complement) values, as fixed-point encodings are.
  for (let i = 0; i < n; i++) v[i] = BigInt.asUintN(64, BigInt(randomInt(-(2 ** 40), 2 ** 40)));
  return v;
}
function plainSum(vs: BigUint64Array[], n: number): BigUint64Array {
  const s = new BigUint64Array(n);
  for (const v of vs) for (let i = 0; i < n; i++) s[i] = BigInt.asUintN(64, s[i] + v[i]);
  return s;
}

/** Runs one aggregation; `dropAt` says at which phase a site disappears. */
function runRound(names: string[], threshold: number, n: number, dropAt: Record<string, 'advertise' | 'share' | 'mask' | 'confirm' | 'unmask'>) {
  const ctx: AggregationContext = { session: 's1', round: 1, attempt: 0, threshold, vectorLength: n };
  const agg = aggregator(ctx, names);
  const sites = new Map(names.map((s) => [s, site(s, ctx)]));
  const inputs = new Map(names.map((s) => [s, randomVector(n)]));
  const alive = (phase: string) => names.filter((s) => {
    const order = ['advertise', 'share', 'mask', 'confirm', 'unmask'];
    return dropAt[s] === undefined || order.indexOf(dropAt[s]) > order.indexOf(phase);
  });
  for (const s of alive('advertise')) agg.acceptAdvertisement(sites.get(s)!.advertise());
  const roster = agg.closeAdvertisements();
  for (const s of alive('share')) agg.acceptShares(sites.get(s)!.shareKeys(roster));
  const set = agg.closeShares();
  const masked = new Map<string, BigUint64Array>();
  for (const s of alive('mask').filter((x) => set.includes(x))) {
    const m = sites.get(s)!.mask(inputs.get(s)!, agg.deliveryFor(s));
    masked.set(s, m);
    agg.acceptMaskedVector(s, m);
  }
  const check = agg.closeMasking();
  for (const s of alive('confirm').filter((x) => check.survivors.includes(x))) agg.acceptConfirmation(s, sites.get(s)!.confirmSurvivors(check));
  const req = agg.closeConfirmations();
  for (const s of alive('unmask').filter((x) => req.signatures.some((g) => g.site === x))) agg.acceptUnmask(sites.get(s)!.unmask(req));
  const result = agg.finish();
  return { result, inputs, masked, req };
}

describe('pairwise masking (Bonawitz et al. 2017)', () => {
  test('sum is exact with no dropouts', () => {
    const names = ['a', 'b', 'c', 'd'];
    const { result, inputs } = runRound(names, 3, 257, {});
    expect(result.dropped).toEqual([]);
    expect(Array.from(result.sum)).toEqual(Array.from(plainSum(names.map((s) => inputs.get(s)!), 257)));
  });

  test('sum of survivors is exact with dropouts before, during and after masking', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const { result, inputs } = runRound(names, 4, 100, { b: 'advertise', c: 'share', d: 'mask', e: 'unmask' });
    // d shared keys but never sent its vector: its pairwise masks are recovered from its key
    // shares; e sent its vector and signed the survivor set, then vanished before unmasking, and
    // a, f, g and h (t = 4) answer.
    const survivors = ['a', 'e', 'f', 'g', 'h'];
    expect(result.survivors).toEqual(survivors);
    expect(result.dropped).toEqual(['d']);
    expect(Array.from(result.sum)).toEqual(Array.from(plainSum(survivors.map((s) => inputs.get(s)!), 100)));
  });

  test('masked vectors differ from the inputs and from each other', () => {
    const { masked, inputs } = runRound(['a', 'b', 'c'], 2, 64, {});
    for (const [s, m] of masked) {
      const x = inputs.get(s)!;
      let same = 0;
      for (let i = 0; i < 64; i++) if (m[i] === x[i]) same++;
      expect(same).toBe(0);
    }
  });

  test('round aborts when fewer than t sites remain', () => {
    expect(() => runRound(['a', 'b', 'c', 'd'], 3, 8, { a: 'mask', b: 'mask' })).toThrow(RoundAborted);
    expect(() => runRound(['a', 'b', 'c', 'd'], 3, 8, { a: 'unmask', b: 'unmask' })).toThrow(RoundAborted);
    expect(() => runRound(['a', 'b', 'c', 'd'], 3, 8, { a: 'confirm', b: 'confirm' })).toThrow(/signed the survivor set, fewer than the threshold/);
  });

  test('refuses unknown sites, replays, wrong phase and wrong vector length', () => {
    const ctx: AggregationContext = { session: 's', round: 2, attempt: 0, threshold: 2, vectorLength: 4 };
    const agg = aggregator(ctx, ['a', 'b']);
    const a = site('a', ctx);
    const b = site('b', ctx);
    const intruder = site('z', ctx);
    const adA = a.advertise();
    agg.acceptAdvertisement(adA);
    expect(() => agg.acceptAdvertisement(adA)).toThrow(/replay/);
    expect(() => agg.acceptAdvertisement(intruder.advertise())).toThrow(/not a member/);
    expect(() => agg.acceptMaskedVector('a', new BigUint64Array(4))).toThrow(/phase advertise/);
    agg.acceptAdvertisement(b.advertise());
    const roster = agg.closeAdvertisements();
    agg.acceptShares(a.shareKeys(roster));
    const bb = b.shareKeys(roster);
    expect(() => agg.acceptShares({ ...bb, boxes: [] })).toThrow(ProtocolViolation);
    agg.acceptShares(bb);
    agg.closeShares();
    expect(() => agg.acceptMaskedVector('a', new BigUint64Array(5))).toThrow(/5 words/);
  });

  test('a site refuses to reveal both masks of one site', () => {
    const { sites } = maskedRound(['a', 'b', 'c'], 2);
    expect(() => sites[0].confirmSurvivors({ survivors: ['a', 'b', 'c'], dropped: ['b'] })).toThrow(/both as survivor and as dropped/);
    expect(() => sites[0].confirmSurvivors({ survivors: ['a', 'b'], dropped: [] })).toThrow(/do not cover/);
    expect(() => sites[0].unmask({ survivors: ['a', 'b', 'c'], dropped: [], signatures: [] })).toThrow(/before the survivor check/);
  });

  test('a tampered share box is detected by the AEAD', () => {
    const ctx: AggregationContext = { session: 's', round: 1, attempt: 0, threshold: 2, vectorLength: 2 };
    const agg = aggregator(ctx, ['a', 'b']);
    const a = site('a', ctx);
    const b = site('b', ctx);
    agg.acceptAdvertisement(a.advertise());
    agg.acceptAdvertisement(b.advertise());
    const roster = agg.closeAdvertisements();
    agg.acceptShares(a.shareKeys(roster));
    agg.acceptShares(b.shareKeys(roster));
    agg.closeShares();
    const d = agg.deliveryFor('a');
    d.boxes[0].box = Uint8Array.from(d.boxes[0].box);
    d.boxes[0].box[20] ^= 1;
    expect(() => a.mask(new BigUint64Array(2), d)).toThrow(/does not authenticate/);
  });

  // An actively malicious coordinator (Bonawitz et al. 2017, Figure 4, malicious column).
  test('a site refuses a roster in which the coordinator substituted a peer\'s keys', () => {
    const ctx: AggregationContext = { session: 's', round: 3, attempt: 0, threshold: 2, vectorLength: 4 };
    const agg = aggregator(ctx, ['a', 'b', 'c']);
    const sites = ['a', 'b', 'c'].map((s) => site(s, ctx));
    sites.forEach((s) => agg.acceptAdvertisement(s.advertise()));
    const roster = agg.closeAdvertisements();
    // The coordinator's own masking key in place of b's: it would then know a's mask with b.
    const mine = generateX25519();
    const swapped = roster.map((r) => (r.site === 'b' ? { ...r, maskingKey: mine.publicKey } : r));
    expect(() => sites[0].shareKeys(swapped)).toThrow(/signature attributed to b does not verify/);
    // Re-signed with a certificate from another CA: refused for its issuer.
    const statement = advertisementStatement(ctx, 'b', roster[1].encryptionKey, mine.publicKey);
    const forgedEntry = roster.map((r) => (r.site === 'b' ? { ...r, maskingKey: mine.publicKey, certificate: forged.certificate, signature: forged.sign(statement) } : r));
    expect(() => sites[0].shareKeys(forgedEntry)).toThrow(/not issued by the federation's CA/);
    // c's genuine certificate and signature presented as b's: refused for its name.
    const borrowed = roster.map((r) => (r.site === 'b' ? { ...roster[2], site: 'b' } : r));
    expect(() => sites[0].shareKeys(borrowed)).toThrow(/issued to another party|does not verify/);
    // The honest roster passes, and the aggregator itself refuses an unsigned advertisement.
    expect(() => sites[0].shareKeys(roster)).not.toThrow();
    const agg2 = aggregator(ctx, ['a', 'b', 'c']);
    expect(() => agg2.acceptAdvertisement({ ...site('a', ctx).advertise(), signature: new Uint8Array(64) })).toThrow(/signature attributed to a does not verify/);
  });

  test('a site unmasks only the survivor set that at least t survivors signed', () => {
    // Threshold 2 of 3. A coordinator that tells a "c dropped" and b "nobody dropped" would get
    // c's self-mask share from b and c's key share from a, hence c's input: the signatures stop it.
    const { sites, agg, ctx } = maskedRound(['a', 'b', 'c'], 2);
    const honest = agg.closeMasking();
    expect(honest).toEqual({ survivors: ['a', 'b', 'c'], dropped: [] });
    const [a, b] = sites;
    const lie = { survivors: ['a', 'b'], dropped: ['c'] };
    const aSig = a.confirmSurvivors(lie);
    const bSig = b.confirmSurvivors(honest);
    // a is shown only its own signature on the lie: below t.
    expect(() => a.unmask({ ...lie, signatures: [{ site: 'a', signature: aSig }] })).toThrow(/only 1 survivors signed/);
    // b's signature of the honest set does not count for the lie.
    expect(() => a.unmask({ ...lie, signatures: [{ site: 'a', signature: aSig }, { site: 'b', signature: bSig }] })).toThrow(/signature attributed to b does not verify/);
    // b asked to unmask a set other than the one it signed.
    expect(() => b.unmask({ ...lie, signatures: [{ site: 'a', signature: aSig }, { site: 'b', signature: bSig }] })).toThrow(/differs from the survivor set this site signed/);
    // The aggregator checks signatures on receipt too, and refuses a second one.
    agg.acceptConfirmation('b', bSig);
    expect(() => agg.acceptConfirmation('b', bSig)).toThrow(/replay/);
    expect(() => agg.acceptConfirmation('a', aSig)).toThrow(/signature attributed to a does not verify/);
    expect(ctx.threshold).toBe(2);
  });

  test('a site refuses a threshold that is not a strict majority of its roster', () => {
    const ctx: AggregationContext = { session: 's', round: 1, attempt: 0, threshold: 2, vectorLength: 4 };
    const agg = aggregator(ctx, ['a', 'b', 'c', 'd']);
    const sites = ['a', 'b', 'c', 'd'].map((s) => site(s, ctx));
    sites.forEach((s) => agg.acceptAdvertisement(s.advertise()));
    expect(() => sites[0].shareKeys(agg.closeAdvertisements())).toThrow(/threshold 2 is not a strict majority of the 4-site roster/);
  });
});

/** Sites and aggregator through phase 3 (every site masked a zero vector). */
function maskedRound(names: string[], threshold: number) {
  const ctx: AggregationContext = { session: 's', round: 1, attempt: 0, threshold, vectorLength: 4 };
  const agg = aggregator(ctx, names);
  const sites = names.map((s) => site(s, ctx));
  sites.forEach((s) => agg.acceptAdvertisement(s.advertise()));
  const roster = agg.closeAdvertisements();
  sites.forEach((s) => agg.acceptShares(s.shareKeys(roster)));
  agg.closeShares();
  sites.forEach((s) => agg.acceptMaskedVector(s.name, s.mask(new BigUint64Array(4), agg.deliveryFor(s.name))));
  return { sites, agg, ctx };
}
