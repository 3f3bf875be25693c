/**
 * Certificates for mutual TLS between the coordinator, the two-server helper and the sites.
 *
 * `createFederationPki` makes a quick-start CA and one certificate per party with
 * @peculiar/x509 (a maintained, pure-TypeScript X.509 library over WebCrypto, used by
 * PeculiarVentures' PKI.js family and by Node's own test tooling): no external `openssl`
 * binary is needed, which matters at hospitals whose hosts we do not control. Keys are ECDSA
 * P-256 (the most widely deployed TLS key type), certificates valid for 1 year.
 *
 * Externally issued certificates work too: {@link loadPartyCredentials} only reads PEM files
 * (ca.crt, <party>.crt, <party>.key, or explicit paths) and the identity of a peer is the
 * Common Name of its certificate, checked against the federation's site list.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { InputError, UsageError, describeValue } from '../errors';

/** The CN of the coordinator's certificate. */
export const COORDINATOR_NAME = 'coordinator';
/** The CN of the two-server helper's certificate. */
export const HELPER_NAME = 'helper';
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Checks a site name: 1–64 letters, digits, `_`, `.`, `-`, not a reserved party name.
 * @example checkSiteName('site-a')
 */
export function checkSiteName(name: string, where = 'site name'): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name === COORDINATOR_NAME || name === HELPER_NAME) {
    throw new UsageError(`Expected a site name of 1–64 letters, digits, "_", "." or "-" (not "${COORDINATOR_NAME}" or "${HELPER_NAME}") for ${where} but received ${describeValue(name)}`);
  }
  return name;
}

/**
 * Parses "a,b,c" into distinct, valid site names.
 * @example parseSiteList('a,b,c') // ['a', 'b', 'c']
 */
export function parseSiteList(list: string): string[] {
  const names = String(list).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length < 2) throw new UsageError(`Expected at least two comma-separated site names for --sites but received ${describeValue(list)}`);
  names.forEach((n) => checkSiteName(n, '--sites'));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`Expected distinct site names for --sites but received ${describeValue(dup)} twice`);
  return names;
}

type WebCryptoKey = webcrypto.CryptoKey;
type WebCryptoKeyPair = webcrypto.CryptoKeyPair;
// x509's declarations use the DOM's WebCrypto types; node:crypto's webcrypto is that API.
type X509Crypto = Parameters<typeof x509.cryptoProvider.set>[0];

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function exportKeyPem(key: WebCryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

/** Files written by {@link createFederationPki}. */
export interface PkiFiles {
  ca: string;
  parties: Record<string, { cert: string; key: string }>;
}

/**
 * Creates a CA and certificates for the coordinator, the helper and every site in `dir`.
 * @example await createFederationPki('pki', ['a', 'b', 'c'])
 */
export async function createFederationPki(dir: string, sites: string[], options: { days?: number } = {}): Promise<PkiFiles> {
  sites.forEach((s) => checkSiteName(s));
  x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);
  fs.mkdirSync(dir, { recursive: true });
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + (options.days ?? 365) * 86_400_000);
  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as WebCryptoKeyPair;
  const caName = 'CN=hemasynth federation CA';
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: caName,
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const caFile = path.join(dir, 'ca.crt');
  fs.writeFileSync(caFile, ca.toString('pem') + '\n');
  fs.writeFileSync(path.join(dir, 'ca.key'), await exportKeyPem(caKeys.privateKey), { mode: 0o600 });
  const parties: PkiFiles['parties'] = {};
  for (const party of [COORDINATOR_NAME, HELPER_NAME, ...sites]) {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as WebCryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      subject: `CN=${party}`,
      issuer: ca.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      notBefore,
      notAfter,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        // Servers are reached as localhost / 127.0.0.1 in quick starts; their CN is also a DNS name
        // so a deployment can map it in /etc/hosts or set --server-name.
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: party },
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    const certFile = path.join(dir, `${party}.crt`);
    const keyFile = path.join(dir, `${party}.key`);
    fs.writeFileSync(certFile, cert.toString('pem') + '\n');
    fs.writeFileSync(keyFile, await exportKeyPem(keys.privateKey), { mode: 0o600 });
    parties[party] = { cert: certFile, key: keyFile };
  }
  return { ca: caFile, parties };
}

/** PEM material of one party. */
export interface PartyCredentials {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** The CN of `cert`. */
  name: string;
}

function readPem(file: string, what: string): Buffer {
  if (!fs.existsSync(file)) throw new InputError({ file }, `a PEM ${what}`, 'no such file', 'run "hemasynth federate pki --out DIR --sites ..." or pass externally issued files');
  const b = fs.readFileSync(file);
  if (!b.toString('utf8').includes('-----BEGIN')) throw new InputError({ file }, `a PEM ${what}`, 'a file without a PEM header');
  return b;
}

/**
 * The Common Name of a PEM certificate.
 * @example certificateCommonName(fs.readFileSync('pki/a.crt')) // 'a'
 */
export function certificateCommonName(pem: Buffer | string): string {
  const cert = new X509Certificate(pem);
  const m = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject);
  return m ? m[1].trim() : '';
}

/**
 * Loads a party's CA, certificate and key: from `dir` (ca.crt, <party>.crt, <party>.key) or
 * from explicit paths, which take precedence (externally issued certificates).
 * @example loadPartyCredentials({ dir: 'pki', party: 'a' })
 */
export function loadPartyCredentials(o: { dir?: string; party: string; ca?: string; cert?: string; key?: string }): PartyCredentials {
  const dir = o.dir ?? '.';
  const caFile = o.ca ?? path.join(dir, 'ca.crt');
  const certFile = o.cert ?? path.join(dir, `${o.party}.crt`);
  const keyFile = o.key ?? path.join(dir, `${o.party}.key`);
  const ca = readPem(caFile, 'CA certificate');
  const cert = readPem(certFile, 'certificate');
  const key = readPem(keyFile, 'private key');
  let name: string;
  try {
    name = certificateCommonName(cert);
  } catch (e) {
    throw new InputError({ file: certFile }, 'an X.509 certificate', `an unreadable certificate (${(e as Error).message})`);
  }
  if (name !== o.party) throw new InputError({ file: certFile, field: 'subject CN' }, `CN=${o.party}`, `CN=${name || '(none)'}`, 'the certificate must be issued to this party\'s name');
  return { ca, cert, key, name };
}
