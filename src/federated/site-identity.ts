/**
 * Long-term identities of the parties for the actively secure variant of pairwise masking
 * (Bonawitz et al. 2017, Figure 4, "malicious" column): every site signs its key advertisement
 * and its view of the survivors with the private key of its federation certificate, and every
 * site checks its peers' signatures against their certificates, issued by the federation's CA.
 *
 * Why. Mutual TLS authenticates each site to the coordinator only, and all traffic between
 * sites goes through the coordinator. Without signatures an actively malicious coordinator could
 * substitute its own public keys for a site's peers (it would then hold every pairwise mask and
 * every share of that site's self-mask, and unmask its input), or tell different sites different
 * stories about who dropped out (getting the self-mask shares of a site from some and its
 * masking-key shares from others). The certificates the federation already has (pki.ts, or
 * externally issued ones) serve as the signing PKI the protocol assumes, so no new key material
 * is needed.
 *
 * Signatures use node:crypto (OpenSSL) with the certificate's key type: ECDSA P-256 / SHA-256 for
 * `hemasynth federate pki`, RSA or EdDSA for externally issued certificates.
 */
import { createPrivateKey, KeyObject, sign, verify, X509Certificate } from 'node:crypto';
import { ProtocolViolation } from './errors';
import { certificateCommonName, type PartyCredentials } from './pki';

/** Largest certificate accepted in an advertisement (PEM characters). */
export const MAX_CERTIFICATE_CHARS = 16 * 1024;

/** Digest for a key type: EdDSA signs the message itself. */
function digestFor(key: KeyObject): string | null {
  return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
}

/**
 * The canonical bytes a party signs: a JSON array of the protocol name, the statement kind and
 * its fields (strings and integers only, so the encoding is unambiguous).
 * @example signedStatement('advertise', ['session', 3, 0, 'a', 'ab12…', 'cd34…'])
 */
export function signedStatement(kind: string, fields: ReadonlyArray<string | number>): Buffer {
  return Buffer.from(JSON.stringify(['hemasynth-federation/2', kind, ...fields]), 'utf8');
}

/**
 * A party's signing key and the federation's CA, for signing statements and checking peers'.
 * @example
 * const id = new FederationIdentity(loadPartyCredentials({ dir: 'pki', party: 'a' }));
 * const sig = id.sign(statement);
 * id.verifyPeer('b', peerCertificatePem, statement, peerSignature); // throws ProtocolViolation
 */
export class FederationIdentity {
  /** This party's certificate (PEM), sent with its advertisements. */
  readonly certificate: string;
  private readonly key: KeyObject;
  private readonly ca: X509Certificate;
  /** Certificates already checked against the CA, by PEM text: their public key and CN. */
  private readonly checked = new Map<string, { key: KeyObject; name: string }>();

  constructor(credentials: PartyCredentials) {
    this.certificate = credentials.cert.toString('utf8');
    this.key = createPrivateKey(credentials.key);
    this.ca = new X509Certificate(credentials.ca);
  }

  /** This party's signature of `statement`. */
  sign(statement: Uint8Array): Uint8Array {
    return sign(digestFor(this.key), statement, this.key);
  }

  /**
   * Checks that `certificate` was issued by the federation's CA to `site`, is valid now, and that
   * `signature` is its key's signature of `statement`. Throws ProtocolViolation naming `blame`
   * (who forwarded the statement) and the site otherwise.
   */
  verifyPeer(site: string, certificate: string, statement: Uint8Array, signature: Uint8Array, blame = 'coordinator'): void {
    const publicKey = this.peerKey(site, certificate, blame);
    let ok = false;
    try {
      ok = signature instanceof Uint8Array && verify(digestFor(publicKey), statement, publicKey, signature);
    } catch {
      ok = false;
    }
    if (!ok) throw new ProtocolViolation(blame, `the signature attributed to ${site} does not verify with its certificate`);
  }

  private peerKey(site: string, certificate: string, blame: string): KeyObject {
    const known = this.checked.get(certificate);
    if (known) {
      if (known.name !== site) throw new ProtocolViolation(blame, `the certificate sent for ${site} is issued to another party`);
      return known.key;
    }
    if (typeof certificate !== 'string' || certificate.length === 0 || certificate.length > MAX_CERTIFICATE_CHARS) {
      throw new ProtocolViolation(blame, `expected a PEM certificate of at most ${MAX_CERTIFICATE_CHARS} characters for ${site}`);
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certificate);
    } catch (e) {
      throw new ProtocolViolation(blame, `the certificate sent for ${site} is unreadable (${(e as Error).message})`);
    }
    if (!cert.checkIssued(this.ca) || !cert.verify(this.ca.publicKey)) throw new ProtocolViolation(blame, `the certificate sent for ${site} is not issued by the federation's CA`);
    const now = Date.now();
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) throw new ProtocolViolation(blame, `the certificate sent for ${site} is not valid now (${cert.validFrom} – ${cert.validTo})`);
    const name = certificateCommonName(certificate);
    if (name !== site) throw new ProtocolViolation(blame, `the certificate sent for ${site} is issued to another party`);
    this.checked.set(certificate, { key: cert.publicKey, name });
    return cert.publicKey;
  }
}
