// Secure aggregation (issue 6): per-site masking time, coordinator unmasking time with and
// without drop-outs beside a plaintext sum of the same vectors, bytes on the wire per site, and
// the mask PRG's throughput (native AES-256-CTR, and the OpenSSL path CPUs without AES
// instructions take) beside node:crypto's raw AES-256-CTR and ChaCha20.
//
// Masking and unmasking are measured in-process on the native kernels the protocol runs
// (src/federated/ring-codec: applyMasks = AES-256-CTR expansion, ringAdd), with the work of one
// round of n sites: a site applies 1 self-mask + (n−1) pairwise masks; the coordinator sums n
// masked vectors and removes n self-masks (+ the pairwise masks of each dropped site with every
// survivor). Bytes on the wire: every message a site sends in a real pairwise round
// (PairwiseMaskingSite driven against a PairwiseAggregator), serialised with the shipped
// proto/federation.proto exactly as the gRPC stream sends them (protobuf bytes; TLS and HTTP/2
// framing not counted), compared with 8 bytes per value plus the two 32-byte public keys.
'use strict';
const path = require('node:path');
const crypto = require('node:crypto');
const { find, target } = require('../lib');

const fed = () => require(path.join(__dirname, '..', '..', 'dist', 'federated'));
const transport = () => require(path.join(__dirname, '..', '..', 'dist', 'federated', 'transport'));
const SITES = [3, 10, 20];
const SIZES = [1e6, 1e7];
const seeds = (k) => Array.from({ length: k }, (_, i) => ({ seed: crypto.randomBytes(32), sign: i % 2 ? -1 : 1 }));
const label = (n) => (n === 1e6 ? '1e6' : '1e7');

function encoded(f, length) {
  const v = new Float64Array(length);
  for (let i = 0; i < length; i++) v[i] = (i % 2001) - 1000;
  return f.encodeFixedPoint(v, { scale: 1, clip: 1000 }).encoded;
}

const trials = [];
for (const L of SIZES) {
  for (const n of SITES) {
    trials.push({
      name: `mask ${n} sites ${label(L)}`, backend: 'cpu', mode: 'repeat', reps: 5,
      setup: async () => { const f = fed(); return { f, v: encoded(f, L), masks: seeds(n) }; },
      run: async (s) => { const out = s.v.slice(); s.f.applyMasks(out, s.masks); },
    });
    trials.push({
      name: `plaintext sum ${n} sites ${label(L)}`, backend: 'cpu', mode: 'repeat', reps: 5,
      // The accumulator is allocated once: a fresh 8·L-byte buffer per run costs page faults
      // (about 10 ms at 10^6 values) that would swamp the arithmetic being compared.
      setup: async () => { const f = fed(); return { f, acc: new BigUint64Array(L), vs: Array.from({ length: n }, () => encoded(f, L)) }; },
      run: async (s) => { s.acc.fill(0n); for (const v of s.vs) s.f.ringAdd(s.acc, v); },
    });
    for (const dropped of [0, Math.max(1, Math.round(n * 0.2))]) {
      trials.push({
        name: `unmask ${n} sites ${label(L)} dropped ${dropped}`, backend: 'cpu', mode: 'repeat', reps: 5,
        setup: async () => {
          const f = fed();
          const survivors = n - dropped;
          return { f, acc: new BigUint64Array(L), vs: Array.from({ length: survivors }, () => encoded(f, L)), masks: seeds(survivors + dropped * survivors) };
        },
        run: async (s) => { s.acc.fill(0n); for (const v of s.vs) s.f.ringAdd(s.acc, v); s.f.applyMasks(s.acc, s.masks); },
      });
    }
  }
}

/**
 * Bytes of every message one site sends in a real pairwise round of n sites with vectors of L
 * words (signed advertisements with the site's certificate, survivor signature included).
 */
async function wireBytes(n, L) {
  const f = fed();
  const t = transport();
  const svc = t.federationPackage().Federation.service.Session;
  const ser = (m) => svc.requestSerialize(m).length;
  const names = Array.from({ length: n }, (_, i) => `s${String(i).padStart(2, '0')}`);
  const os = require('node:os'), fs = require('node:fs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-bench-pki-'));
  await f.createFederationPki(dir, names);
  const identity = (p) => new f.FederationIdentity(f.loadPartyCredentials({ dir, party: p }));
  const ctx = { session: 'bench', round: 0, attempt: 0, threshold: Math.floor(n / 2) + 1, vectorLength: L };
  const sites = names.map((s) => new f.PairwiseMaskingSite(s, ctx, identity(s)));
  const agg = new f.PairwiseAggregator(ctx, names, identity('coordinator'));
  fs.rmSync(dir, { recursive: true, force: true });
  let bytes = 0, seq = 1;
  const msg = (phase, body) => ({ round: 0, attempt: 0, phase, sequence: String(seq++), ...body });
  const adverts = sites.map((s) => s.advertise());
  const a0 = adverts[0];
  bytes += ser(msg('advertise', { keys: { encryption_key: a0.encryptionKey, masking_key: a0.maskingKey, signature: a0.signature, certificate: a0.certificate } }));
  adverts.forEach((a) => agg.acceptAdvertisement(a));
  const roster = agg.closeAdvertisements();
  const bundles = sites.map((s) => s.shareKeys(roster));
  bytes += ser(msg('share', { shares: { commitment: bundles[0].commitment, boxes: bundles[0].boxes.map((b) => ({ peer: b.to, box: b.box })) } }));
  bundles.forEach((b) => agg.acceptShares(b));
  agg.closeShares();
  const enc = encoded(f, L);
  const masked = sites[0].mask(enc, agg.deliveryFor(names[0]));
  for (const c of t.vectorChunks(masked)) bytes += ser(msg('mask', { chunk: { offset: String(c.offset), data: c.data, last: c.last } }));
  agg.acceptMaskedVector(names[0], masked);
  for (const s of sites.slice(1)) agg.acceptMaskedVector(s.name, s.mask(enc, agg.deliveryFor(s.name)));
  const check = agg.closeMasking();
  const signatures = sites.map((s) => ({ site: s.name, signature: s.confirmSurvivors(check) }));
  bytes += ser(msg('confirm', { confirmation: { signature: signatures[0].signature } }));
  const r = sites[0].unmask({ ...check, signatures });
  const wire = (xs) => xs.map((s) => ({ site: s.of, x: s.x, y: Array.from(s.y, (v) => v.toString()) }));
  bytes += ser(msg('unmask', { unmask: { self_mask_shares: wire(r.selfMaskShares), key_shares: wire(r.keyShares) } }));
  return bytes;
}
for (const n of SITES) {
  for (const L of SIZES) {
    trials.push({
      name: `wire bytes per site ${n} sites ${label(L)}`, backend: 'cpu', mode: 'repeat', reps: 5, unit: 'bytes',
      setup: async () => ({ bytes: await wireBytes(n, L) }), run: async () => undefined, rate: (_s, st) => st.bytes,
    });
  }
}

const PRG_BYTES = 8e7;
// The machine's raw keystream speed (OpenSSL through node:crypto, one core): PRG_BYTES in
// cache-sized pieces, so that OpenSSL's cipher and not the allocation of one 80 MB output
// buffer is measured.
const RAW_PIECE = 1 << 16;
function rawKeystream(cipher, zeros) {
  const c = crypto.createCipheriv(cipher, crypto.randomBytes(32), Buffer.alloc(16));
  for (let done = 0; done < PRG_BYTES; done += RAW_PIECE) c.update(zeros);
}
trials.push(
  { name: 'PRG throughput (AES-256-CTR masks, all cores)', backend: 'cpu', mode: 'repeat', reps: 5, unit: 'GB/s', setup: async () => ({ f: fed(), v: new BigUint64Array(PRG_BYTES / 8), m: seeds(1) }), run: async (s) => s.f.applyMasks(s.v, s.m), rate: (sec) => PRG_BYTES / sec / 1e9, extra: () => ({ aesPath: fed().maskPrgPath() }) },
  { name: 'PRG throughput (AES-256-CTR masks, 1 thread)', backend: 'cpu', mode: 'repeat', reps: 5, unit: 'GB/s', setup: async () => ({ f: fed(), v: new BigUint64Array(PRG_BYTES / 8), m: seeds(1) }), run: async (s) => s.f.applyMasks(s.v, s.m, 1), rate: (sec) => PRG_BYTES / sec / 1e9, extra: () => ({ aesPath: fed().maskPrgPath() }) },
  { name: 'PRG throughput (AES-256-CTR masks through OpenSSL, 1 thread)', backend: 'openssl', mode: 'repeat', reps: 5, unit: 'GB/s', setup: async () => ({ f: fed(), v: new BigUint64Array(PRG_BYTES / 8), m: seeds(1) }), run: async (s) => s.f.applyMasks(s.v, s.m, 1, 'openssl'), rate: (sec) => PRG_BYTES / sec / 1e9 },
  { name: 'node:crypto chacha20 keystream', backend: 'openssl', mode: 'repeat', reps: 5, unit: 'GB/s', setup: async () => ({ z: Buffer.alloc(RAW_PIECE) }), run: async (s) => rawKeystream('chacha20', s.z), rate: (sec) => PRG_BYTES / sec / 1e9 },
  { name: 'node:crypto aes-256-ctr keystream', backend: 'openssl', mode: 'repeat', reps: 5, unit: 'GB/s', setup: async () => ({ z: Buffer.alloc(RAW_PIECE) }), run: async (s) => rawKeystream('aes-256-ctr', s.z), rate: (sec) => PRG_BYTES / sec / 1e9 },
);

module.exports = {
  suite: 'secure-aggregation',
  trials,
  targets: (results) => {
    const rows = [target('20 sites × 1e7 values: masking per site (s)', find(results, 'mask 20 sites 1e7')?.median, '<=', 2)];
    for (const n of SITES) for (const L of SIZES) {
      const u = find(results, `unmask ${n} sites ${label(L)} dropped 0`)?.median;
      const p = find(results, `plaintext sum ${n} sites ${label(L)}`)?.median;
      rows.push(target(`unmask ${n} sites ${label(L)} without drop-outs / plaintext sum`, u !== undefined && p ? u / p : undefined, '<=', 3));
      const b = find(results, `wire bytes per site ${n} sites ${label(L)}`)?.median;
      rows.push(target(`wire bytes per site ${n} sites ${label(L)} / (8·values + 64)`, b !== undefined ? b / (8 * L + 64) : undefined, '<=', 1.1));
    }
    return rows;
  },
};
