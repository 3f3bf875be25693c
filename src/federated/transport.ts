/**
 * gRPC transport (@grpc/grpc-js over TLS with mutual certificate authentication). The message
 * schema is `proto/federation.proto`, shipped in the package and loaded with
 * @grpc/proto-loader at run time.
 *
 * Limits: no gRPC message above {@link MAX_MESSAGE_BYTES}; vectors travel in chunks of
 * {@link CHUNK_WORDS} words, written with backpressure (a write that fills the HTTP/2 window
 * waits for 'drain' before the next), so a 10^7-word vector never sits twice in memory.
 */
import * as path from 'node:path';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { packageRoot } from '../native/addon';
import type { PartyCredentials } from './pki';

/** Largest gRPC message accepted or sent (bytes). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/**
 * The protocol a site announces in its hello; the coordinator refuses any other. Version 2
 * expands masks with AES-256-CTR (version 1 used ChaCha20): parties of different versions would
 * derive different masks, so they must not share a round.
 */
export const FEDERATION_PROTOCOL = 'hemasynth-federation/2';
/** Words per vector chunk (512 KiB of data). */
export const CHUNK_WORDS = 64 * 1024;
/** Largest vector a round may declare (words). */
export const MAX_VECTOR_WORDS = 1 << 28;
/**
 * Characters of a round plan per message: a plan (the global model of a neural generator)
 * larger than this travels in parts, each under the message limit even at 4 UTF-8 bytes for
 * every 2 characters.
 */
export const PLAN_PART_CHARS = 1 << 20;
/** Most parts a round plan may have (a 256 Mi-character plan). */
export const MAX_PLAN_PARTS = 256;

/** Path of the shipped protocol definition. */
export const PROTO_FILE = path.join(packageRoot, 'proto', 'federation.proto');

let loaded: grpc.GrpcObject | undefined;

/** The loaded `hemasynth.federation.v1` package. */
export function federationPackage(): grpc.GrpcObject {
  if (!loaded) {
    const def = protoLoader.loadSync(PROTO_FILE, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    loaded = (grpc.loadPackageDefinition(def).hemasynth as grpc.GrpcObject).federation as grpc.GrpcObject;
  }
  return (loaded as grpc.GrpcObject).v1 as grpc.GrpcObject;
}

/** Channel and server options that enforce the size limits. */
export const GRPC_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
};

/** TLS server credentials that require and verify a client certificate from the CA. */
export function serverCredentials(c: PartyCredentials): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(c.ca, [{ cert_chain: c.cert, private_key: c.key }], true);
}

/** TLS channel credentials presenting this party's certificate. */
export function channelCredentials(c: PartyCredentials): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(c.ca, c.key, c.cert);
}

/**
 * The host part of a gRPC target `HOST:PORT`, `[IPv6]:PORT`, or `dns:`/`ipv4:`/`ipv6:` URI (brackets removed).
 * @example targetHost('127.0.0.1:7070') // '127.0.0.1'
 */
export function targetHost(target: string): string {
  const t = target.replace(/^(dns|ipv4|ipv6):(\/\/[^/]*\/)?/i, '');
  const bracketed = /^\[([^\]]+)\]/.exec(t);
  if (bracketed) return bracketed[1];
  if (isIP(t)) return t; // a bare IPv6 literal without a port
  const colon = t.lastIndexOf(':');
  return colon >= 0 ? t.slice(0, colon) : t;
}

/**
 * Credentials and channel options for a client that connects to `target` and expects the server
 * certificate of the party `expectedServer` (its DNS name: the party name in a
 * `hemasynth federate pki` PKI).
 *
 * TLS server names (SNI) must be DNS names, never IP literals (RFC 6066 §3; Node warns DEP0123).
 * When the target is an IP address and no `serverName` is given, the client therefore sends
 * `expectedServer` as the server name and verifies the certificate against it: a certificate
 * that names its holder by DNS must name `expectedServer` (so on loopback another party's
 * certificate, which also lists 127.0.0.1, no longer passes as the coordinator's); an externally
 * issued certificate without any DNS name is verified against the IP address as before. The chain
 * is always verified against the CA, and the server still requires and verifies our certificate.
 * An explicit `serverName` (CLI `--server-name`) is sent and verified as given.
 * @example const { credentials, options } = clientChannel('127.0.0.1:7070', creds, 'coordinator');
 */
export function clientChannel(target: string, c: PartyCredentials, expectedServer: string, serverName?: string): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  const options: grpc.ChannelOptions = { ...GRPC_OPTIONS };
  if (serverName) {
    options['grpc.ssl_target_name_override'] = serverName;
    return { credentials: channelCredentials(c), options };
  }
  const host = targetHost(target);
  if (!isIP(host)) return { credentials: channelCredentials(c), options };
  options['grpc.ssl_target_name_override'] = expectedServer;
  const verify = (name: string, cert: PeerCertificate): Error | undefined => {
    const byName = checkServerIdentity(name, cert);
    if (!byName) return undefined;
    const namesDns = /(^|,\s*)DNS:/.test(cert.subjectaltname ?? '');
    return namesDns ? byName : checkServerIdentity(host, cert);
  };
  return { credentials: grpc.credentials.createSsl(c.ca, c.key, c.cert, { checkServerIdentity: verify }), options };
}

/** The CN of the verified client certificate of a call, or '' when there is none. */
export function peerCommonName(call: grpc.ServerDuplexStream<unknown, unknown> | grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): string {
  const auth = call.getAuthContext?.();
  const cert = auth?.sslPeerCertificate as { subject?: { CN?: string | string[] } } | undefined;
  const cn = cert?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn ?? '';
}

/** Writes to a stream, waiting for 'drain' when its buffer is full. */
export async function writeWithBackpressure(stream: NodeJS.WritableStream, message: unknown): Promise<void> {
  if (!stream.write(message as never)) await once(stream as unknown as NodeJS.EventEmitter, 'drain');
}

/** The words of a vector as chunks of little-endian bytes (views, not copies, on little-endian hosts). */
export function* vectorChunks(v: BigUint64Array): Generator<{ offset: number; data: Buffer; last: boolean }> {
  if (v.length === 0) {
    yield { offset: 0, data: Buffer.alloc(0), last: true };
    return;
  }
  for (let off = 0; off < v.length; off += CHUNK_WORDS) {
    const end = Math.min(v.length, off + CHUNK_WORDS);
    yield { offset: off, data: Buffer.from(v.buffer, v.byteOffset + off * 8, (end - off) * 8), last: end === v.length };
  }
}

/**
 * Reassembles a vector from chunks, refusing anything but contiguous, in-range, whole-word chunks.
 * @example const a = new VectorAssembly(1000); a.add(0, data, true); a.complete // true
 */
export class VectorAssembly {
  readonly words: BigUint64Array;
  private next = 0;
  private done = false;

  constructor(readonly length: number) {
    this.words = new BigUint64Array(length);
  }

  /** Adds a chunk; returns a reason when it is refused (the assembly is then unusable). */
  add(offset: number, data: Uint8Array, last: boolean): string | null {
    if (this.done) return 'chunk after the last one';
    if (data.length % 8 !== 0) return `chunk of ${data.length} bytes is not a whole number of 64-bit words`;
    if (offset !== this.next) return `chunk at word ${offset}, expected word ${this.next} (chunks must be contiguous)`;
    const words = data.length / 8;
    if (offset + words > this.length) return `chunk ends at word ${offset + words}, beyond the vector length ${this.length}`;
    new Uint8Array(this.words.buffer).set(data, offset * 8);
    this.next += words;
    if (last) {
      if (this.next !== this.length) return `last chunk ends at word ${this.next}, the vector has ${this.length} words`;
      this.done = true;
    }
    return null;
  }

  get complete(): boolean {
    return this.done;
  }
}
