import { randomInt } from 'node:crypto';
import { PairwiseAggregator, PairwiseMaskingSite, AggregationContext } from '../../../src/federated/pairwise-masking';
import { ProtocolViolation, RoundAborted } from '../../../src/federated/errors';

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
function runRound(names: string[], threshold: number, n: number, dropAt: Record<string, 'advertise' | 'share' | 'mask' | 'unmask'>) {
  const ctx: AggregationContext = { session: 's1', round: 1, attempt: 0, threshold, vectorLength: n };
  const agg = new PairwiseAggregator(ctx, names);
  const sites = new Map(names.map((s) => [s, new PairwiseMaskingSite(s, ctx)]));
  const inputs = new Map(names.map((s) => [s, randomVector(n)]));
  const alive = (phase: string) => names.filter((s) => {
    const order = ['advertise', 'share', 'mask', 'unmask'];
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
  const req = agg.closeMasking();
  for (const s of alive('unmask').filter((x) => req.survivors.includes(x))) agg.acceptUnmask(sites.get(s)!.unmask(req));
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
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const { result, inputs } = runRound(names, 2, 100, { b: 'advertise', c: 'share', d: 'mask', e: 'unmask' });
    // d shared keys but never sent its vector: its pairwise masks are recovered from its key
    // shares; e sent its vector then vanished before unmasking, and a and f (t = 2) answer.
    expect(result.survivors).toEqual(['a', 'e', 'f']);
    expect(result.dropped).toEqual(['d']);
    expect(Array.from(result.sum)).toEqual(Array.from(plainSum(['a', 'e', 'f'].map((s) => inputs.get(s)!), 100)));
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
  });

  test('refuses unknown sites, replays, wrong phase and wrong vector length', () => {
    const ctx: AggregationContext = { session: 's', round: 2, attempt: 0, threshold: 2, vectorLength: 4 };
    const agg = new PairwiseAggregator(ctx, ['a', 'b']);
    const a = new PairwiseMaskingSite('a', ctx);
    const b = new PairwiseMaskingSite('b', ctx);
    const intruder = new PairwiseMaskingSite('z', ctx);
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
    const ctx: AggregationContext = { session: 's', round: 1, attempt: 0, threshold: 2, vectorLength: 4 };
    const agg = new PairwiseAggregator(ctx, ['a', 'b', 'c']);
    const sites = ['a', 'b', 'c'].map((s) => new PairwiseMaskingSite(s, ctx));
    sites.forEach((s) => agg.acceptAdvertisement(s.advertise()));
    const roster = agg.closeAdvertisements();
    sites.forEach((s) => agg.acceptShares(s.shareKeys(roster)));
    agg.closeShares();
    sites.forEach((s) => s.mask(new BigUint64Array(4), agg.deliveryFor(s.name)));
    expect(() => sites[0].unmask({ survivors: ['a', 'b', 'c'], dropped: ['b'] })).toThrow(/both as survivor and as dropped/);
    expect(() => sites[0].unmask({ survivors: ['a', 'b'], dropped: [] })).toThrow(/do not cover/);
  });

  test('a tampered share box is detected by the AEAD', () => {
    const ctx: AggregationContext = { session: 's', round: 1, attempt: 0, threshold: 2, vectorLength: 2 };
    const agg = new PairwiseAggregator(ctx, ['a', 'b']);
    const a = new PairwiseMaskingSite('a', ctx);
    const b = new PairwiseMaskingSite('b', ctx);
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
});
