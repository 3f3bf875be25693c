/**
 * X25519 key agreement (RFC 7748) and HKDF-SHA-256 (RFC 5869) through node:crypto, and the
 * AES-256-GCM AEAD that carries Shamir shares between sites through the coordinator.
 *
 * Keys travel as 32 raw bytes. A private key must be rebuildable from its raw bytes because
 * the coordinator reconstructs a dropped site's masking key from Shamir shares (Bonawitz et al.
 * 2017, §4, "Unmasking") and needs it to recompute that site's pairwise masks.
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, KeyObject } from 'node:crypto';
import { UsageError, describeValue } from '../errors';

/** An X25519 key pair as raw 32-byte strings. */
export interface X25519KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/**
 * A fresh X25519 key pair from the operating system's CSPRNG.
 * @example const { publicKey, privateKey } = generateX25519();
 */
export function generateX25519(): X25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { x: string; d: string };
  return { publicKey: Buffer.from(jwk.x, 'base64url'), privateKey: Buffer.from(jwk.d, 'base64url') };
}

function checkKey(k: Uint8Array, what: string): void {
  if (!(k instanceof Uint8Array) || k.length !== 32) throw new UsageError(`Expected a 32-byte X25519 key for ${what} but received ${describeValue(k)}`);
}

/** The public key of a raw private key. */
export function x25519PublicOf(privateKey: Uint8Array): Uint8Array {
  checkKey(privateKey, 'privateKey');
  const key = privateKeyObject(privateKey);
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as { x: string };
  return Buffer.from(jwk.x, 'base64url');
}

// PKCS#8 prefix of an X25519 private key (RFC 8410 §7): the raw 32 bytes follow it.
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
// SubjectPublicKeyInfo prefix of an X25519 public key (RFC 8410 §4).
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function privateKeyObject(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, Buffer.from(raw)]), format: 'der', type: 'pkcs8' });
}
function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519_PREFIX, Buffer.from(raw)]), format: 'der', type: 'spki' });
}

/**
 * The X25519 shared secret of my private key and the peer's public key.
 * @example const s = x25519Agree(mine.privateKey, theirs.publicKey);
 */
export function x25519Agree(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  checkKey(privateKey, 'privateKey');
  checkKey(peerPublicKey, 'peerPublicKey');
  return diffieHellman({ privateKey: privateKeyObject(privateKey), publicKey: publicKeyObject(peerPublicKey) });
}

/**
 * HKDF-SHA-256 of a shared secret into `length` bytes, bound to a context string (RFC 5869).
 * @example deriveKey(shared, 'session-1/round-3', 'hemasynth/pairwise-mask/a/b')
 */
export function deriveKey(sharedSecret: Uint8Array, salt: string, info: string, length = 32): Uint8Array {
  return Buffer.from(hkdfSync('sha256', sharedSecret, Buffer.from(salt, 'utf8'), Buffer.from(info, 'utf8'), length));
}

/** Describes a raw key shortly for logs. */
export function keyFingerprint(k: Uint8Array): string {
  return b64u(k).slice(0, 8);
}

const GCM_IV = 12;
const GCM_TAG = 16;

/**
 * AES-256-GCM encryption (NIST SP 800-38D) with a random 96-bit IV: iv ‖ ciphertext ‖ tag.
 * The associated data binds a ciphertext to its sender, receiver and round, so the
 * coordinator cannot replay it into another context.
 * @example const box = aeadSeal(key, plaintext, 'a→b round 3');
 */
export function aeadSeal(key: Uint8Array, plaintext: Uint8Array, associatedData: string): Uint8Array {
  const iv = randomBytes(GCM_IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

/**
 * Decrypts and authenticates an {@link aeadSeal} box; null when it was altered or is for another context.
 * @example aeadOpen(key, box, 'a→b round 3')
 */
export function aeadOpen(key: Uint8Array, box: Uint8Array, associatedData: string): Uint8Array | null {
  if (box.length < GCM_IV + GCM_TAG) return null;
  const b = Buffer.from(box);
  try {
    const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, GCM_IV));
    d.setAAD(Buffer.from(associatedData, 'utf8'));
    d.setAuthTag(b.subarray(b.length - GCM_TAG));
    return Buffer.concat([d.update(b.subarray(GCM_IV, b.length - GCM_TAG)), d.final()]);
  } catch {
    return null;
  }
}
