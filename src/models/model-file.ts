/**
 * The `.hsm` model file: one self-contained binary file.
 *
 * ```
 * offset 0   8 bytes  magic  89 48 53 4D 0D 0A 1A 0A  ("\x89HSM\r\n\x1a\n", PNG-style: catches
 *                            text-mode transfers and truncation at the first bytes)
 * offset 8   uint32 LE      container format version (= manifest.formatVersion)
 * offset 12  uint32 LE      manifest length M in bytes
 * offset 16  M bytes        manifest, UTF-8 JSON (ModelManifest + "weights": [{name, dtype, offset, length}]
 *                            + "files": [{name, offset, length}])
 *            zero padding to a multiple of 8
 *            data region: each weight blob little-endian float32, then each bundled file (e.g.
 *            generator.onnx) as raw bytes; 8-byte aligned, offsets relative to the region
 * last 32    SHA-256 of every byte before it (detects corruption and truncation)
 * ```
 * Why one file and not a zip or directory: it is copied, hashed and signed as one object, needs no
 * archive library (no install-time or runtime dependency), keeps float32 blobs aligned for direct
 * typed-array views, and the manifest stays readable with `head -c`. It holds no executable code
 * and no training rows: only encoders, noisy (DP) model parameters and the manifest.
 *
 * Compatibility rule: formatVersion is an integer that grows on any incompatible change. A reader
 * loads every version up to its own (older layouts are upgraded on load) and refuses newer ones
 * with a {@link ModelVersionError} that says which hemasynth version to use.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createHash } from 'node:crypto';
import { HemasynthError, InputError } from '../errors';
import { validateSchema } from '../data/schema-validation';
import { PrivacyLedger } from '../dp/ledger';
import { VERSION } from '../version';
import type { HemasynthModel, ModelManifest } from './generator';
import { generatorByName, KNOWN_GENERATORS } from './registry';
import type { DiscreteColumnEncoder } from '../transform/discretiser';
import { validateVisitModel } from '../visits/visit-model';

/**
 * The model-file format version this build writes and the newest it reads. 2: marginal models
 * may be networks (`extraParents`, `parentGroups`) that version-1 readers cannot sample; a
 * version-1 marginal model's `parent2` is read as one extra parent. 3: copula models may be
 * stratified (`strata`: one copula per level of a column, their blobs one after the other), which
 * version-2 readers would misread. 4: copula strata may fix several columns (`strata.columns`,
 * `strata.cells`, one code per column or -1 for any), which version-3 readers refuse; a version-3
 * `strata` (`column`, `levels`) is read as one column. 5: neural models may tie the missingness of
 * column groups (`generator.tiedMissing`, neural/tied-missingness.ts), which version-4 readers
 * would ignore and sample untied; version-4 neural models load and sample untied. 6: the schema's
 * constraints may list fixed combinations (`(a, b) in ((x, y), ...)`, fixed-combinations.ts),
 * which version-5 readers refuse as an unknown constraint form; version-5 models load unchanged.
 */
export const MODEL_FORMAT_VERSION = 6;
const MAGIC = Buffer.from([0x89, 0x48, 0x53, 0x4d, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A model file written by a newer, incompatible hemasynth. */
export class ModelVersionError extends HemasynthError {}

interface WeightEntry { name: string; dtype: 'float32'; offset: number; length: number }
/** A binary file of the bundle: `length` bytes at `offset` of the weights region. */
interface FileEntry { name: string; offset: number; length: number }

const align8 = (n: number) => (n + 7) & ~7;

/**
 * Serialises a model to bytes.
 * @example fs.writeFileSync('m.hsm', modelToBytes(model))
 */
export function modelToBytes(model: HemasynthModel): Buffer {
  const names = Object.keys(model.weights).sort();
  const entries: WeightEntry[] = [];
  let at = 0;
  for (const name of names) {
    const w = model.weights[name];
    entries.push({ name, dtype: 'float32', offset: at, length: w.length });
    at = align8(at + w.length * 4);
  }
  // Binary files of the bundle (generator.onnx) follow the weights, 8-aligned, as raw bytes.
  const fileNames = Object.keys(model.files ?? {}).sort();
  const fileEntries: FileEntry[] = [];
  for (const name of fileNames) {
    const f = (model.files as Record<string, Uint8Array>)[name];
    fileEntries.push({ name, offset: at, length: f.length });
    at = align8(at + f.length);
  }
  const manifest = Buffer.from(JSON.stringify({ ...model.manifest, weights: entries, ...(fileEntries.length ? { files: fileEntries } : {}) }), 'utf8');
  const headLen = align8(16 + manifest.length);
  const body = Buffer.alloc(headLen + at);
  MAGIC.copy(body, 0);
  body.writeUInt32LE(model.manifest.formatVersion, 8);
  body.writeUInt32LE(manifest.length, 12);
  manifest.copy(body, 16);
  entries.forEach((e, k) => {
    const w = model.weights[names[k]];
    const base = headLen + e.offset;
    if (os.endianness() === 'LE') Buffer.from(w.buffer, w.byteOffset, w.byteLength).copy(body, base);
    else for (let i = 0; i < w.length; i++) body.writeFloatLE(w[i], base + 4 * i);
  });
  fileEntries.forEach((e) => Buffer.from((model.files as Record<string, Uint8Array>)[e.name]).copy(body, headLen + e.offset));
  const digest = createHash('sha256').update(body).digest();
  return Buffer.concat([body, digest]);
}

/**
 * Writes a model to a `.hsm` file (atomically: temporary file, then rename).
 * @example saveModel('cohort.hsm', model)
 */
export function saveModel(file: string, model: HemasynthModel): void {
  const bytes = modelToBytes(model);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true }); // a failed write or rename leaves nothing behind
    throw e;
  }
}

/**
 * Parses and validates model bytes; every problem is an error naming the file and the field.
 * @example modelFromBytes(fs.readFileSync('m.hsm'), 'm.hsm')
 */
export function modelFromBytes(bytes: Buffer, file = 'model'): HemasynthModel {
  const fail = (field: string, expected: string, received: string) => new InputError({ file, field }, expected, received);
  if (bytes.length < 16 + 32 || !bytes.subarray(0, 8).equals(MAGIC)) throw fail('magic', 'a hemasynth model file (.hsm)', bytes.length < 8 ? `${bytes.length} bytes` : 'other content');
  const version = bytes.readUInt32LE(8);
  if (version > MODEL_FORMAT_VERSION) {
    throw new ModelVersionError(`Expected a model file of format version ${MODEL_FORMAT_VERSION} or older for file "${file}" but received format version ${version}: it was written by a newer hemasynth; upgrade hemasynth (this is ${VERSION}) to read it`);
  }
  if (version < 1) throw fail('formatVersion', 'a format version >= 1', String(version));
  const body = bytes.subarray(0, bytes.length - 32);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(bytes.subarray(bytes.length - 32))) throw fail('checksum', 'an intact file (SHA-256 trailer matching its content)', 'a corrupt or truncated file');
  const mlen = bytes.readUInt32LE(12);
  if (16 + mlen > body.length) throw fail('manifest', `a manifest of ${mlen} bytes`, `a file of ${bytes.length} bytes`);
  let raw: ModelManifest & { weights?: WeightEntry[]; files?: FileEntry[] };
  try {
    raw = JSON.parse(body.subarray(16, 16 + mlen).toString('utf8'));
  } catch (e) {
    throw fail('manifest', 'a JSON manifest', `invalid JSON (${(e as Error).message})`);
  }
  if (raw.format !== 'hemasynth-model') throw fail('manifest.format', '"hemasynth-model"', JSON.stringify(raw.format));
  if (raw.formatVersion !== version) throw fail('manifest.formatVersion', `the header's version ${version}`, JSON.stringify(raw.formatVersion));
  if (typeof raw.model !== 'string' || !(KNOWN_GENERATORS as readonly string[]).includes(raw.model)) throw fail('manifest.model', `one of ${KNOWN_GENERATORS.join(', ')}`, JSON.stringify(raw.model));
  try {
    validateSchema(raw.schema);
  } catch (e) {
    throw fail('manifest.schema', 'a valid table schema', (e as Error).message);
  }
  if (!Array.isArray(raw.encoders)) throw fail('manifest.encoders', 'an array of encoders', typeof raw.encoders);
  // Each encoder's codes: its levels plus the missing code (a model whose categories disagreed
  // with its size sampled into an internal error).
  for (const [j, e] of (raw.encoders as Array<Partial<DiscreteColumnEncoder>>).entries()) {
    const levels = e?.levels === 'categories' && Array.isArray(e.categories) && e.categories.every((c) => typeof c === 'string') ? e.categories.length
      : e?.levels === 'bins' && Array.isArray(e.edges) && e.edges.length >= 2 && e.edges.every((x, i) => typeof x === 'number' && Number.isFinite(x) && (i === 0 || x >= (e.edges as number[])[i - 1])) ? e.edges.length - 1 : -1;
    if (typeof e?.column !== 'string' || levels < 1 || typeof e.nullable !== 'boolean' || e.size !== levels + (e.nullable ? 1 : 0)) {
      throw fail(`manifest.encoders[${j}]`, 'an encoder {column, levels "categories" with string categories or "bins" with ascending finite edges, nullable, size = levels + 1 if nullable}', JSON.stringify(e).slice(0, 120));
    }
  }
  for (const [j, e] of (raw.encoders as Array<{ edges?: unknown; tilts?: unknown }>).entries()) {
    if (e?.tilts === undefined) continue;
    const bins = Array.isArray(e.edges) ? e.edges.length - 1 : 0;
    if (!Array.isArray(e.tilts) || e.tilts.length !== bins || !e.tilts.every((t) => typeof t === 'number' && t > -1 && t < 1)) {
      throw fail(`manifest.encoders[${j}].tilts`, `one tilt in (-1, 1) per bin (${bins})`, JSON.stringify(e.tilts).slice(0, 80));
    }
  }
  if (typeof raw.generator !== 'object' || raw.generator === null) throw fail('manifest.generator', 'a generator configuration object', typeof raw.generator);
  if (typeof raw.privacy !== 'object' || raw.privacy === null || typeof raw.privacy.nonPrivate !== 'boolean') throw fail('manifest.privacy', 'a privacy record {nonPrivate, epsilon, delta, ledger}', JSON.stringify(raw.privacy));
  if (raw.privacy.ledger) {
    try { PrivacyLedger.fromJSON(raw.privacy.ledger); } catch (e) { throw fail('manifest.privacy.ledger', 'a valid privacy ledger', (e as Error).message); }
  }
  if (typeof raw.dataFingerprint !== 'string') throw fail('manifest.dataFingerprint', 'a SHA-256 fingerprint', typeof raw.dataFingerprint);
  const headLen = align8(16 + mlen);
  const weights: Record<string, Float32Array> = {};
  const entries = raw.weights;
  if (!Array.isArray(entries)) throw fail('manifest.weights', 'a weight directory', typeof entries);
  for (const [k, e] of entries.entries()) {
    if (typeof e?.name !== 'string' || e.dtype !== 'float32' || !Number.isInteger(e.offset) || !Number.isInteger(e.length) || e.offset < 0 || e.length < 0 || e.offset % 8 !== 0) {
      throw fail(`manifest.weights[${k}]`, 'a float32 blob {name, dtype, offset (8-aligned), length}', JSON.stringify(e));
    }
    const start = headLen + e.offset, end = start + e.length * 4;
    if (end > body.length) throw fail(`manifest.weights[${k}]`, `a blob inside the file's ${body.length - headLen} weight bytes`, `bytes ${e.offset}..${e.offset + e.length * 4}`);
    const arr = new Float32Array(e.length);
    if (os.endianness() === 'LE') new Uint8Array(arr.buffer).set(body.subarray(start, end));
    else for (let i = 0; i < e.length; i++) arr[i] = body.readFloatLE(start + 4 * i);
    for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) throw fail(`weights.${e.name}[${i}]`, 'a finite float32', String(arr[i]));
    weights[e.name] = arr;
  }
  let files: Record<string, Uint8Array> | undefined;
  const fileDir = (raw as { files?: FileEntry[] }).files;
  if (fileDir !== undefined) {
    if (!Array.isArray(fileDir)) throw fail('manifest.files', 'a file directory', typeof fileDir);
    files = {};
    for (const [k, e] of fileDir.entries()) {
      if (typeof e?.name !== 'string' || !Number.isInteger(e.offset) || !Number.isInteger(e.length) || e.offset < 0 || e.length < 0 || e.offset % 8 !== 0) throw fail(`manifest.files[${k}]`, 'a file {name, offset (8-aligned), length}', JSON.stringify(e));
      const start = headLen + e.offset, end = start + e.length;
      if (end > body.length) throw fail(`manifest.files[${k}]`, `a file inside the file's ${body.length - headLen} data bytes`, `bytes ${e.offset}..${e.offset + e.length}`);
      files[e.name] = new Uint8Array(body.subarray(start, end));
    }
  }
  const { weights: _dir, files: _files, ...manifest } = raw as typeof raw & { files?: unknown };
  void _dir;
  void _files;
  const model: HemasynthModel = { manifest: manifest as ModelManifest, weights, ...(files ? { files } : {}) };
  generatorByName(model.manifest.model).validate(model, file);
  if (model.manifest.visits !== undefined) validateVisitModel(model.manifest.visits, file);
  return model;
}

/**
 * Reads and validates a `.hsm` file.
 * @example const model = loadModel('cohort.hsm');
 */
export function loadModel(file: string): HemasynthModel {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new InputError({ file }, 'a readable model file', (e as NodeJS.ErrnoException).code ?? String(e));
  }
  return modelFromBytes(bytes, file);
}
