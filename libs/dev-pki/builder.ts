// Certificates, proxies and CRLs for the development/test PKI, built with node-forge (docs/architecture.md, "Why two
// X.509 codes": forge builds, credentials' strict reader validates). forge.pki lays out certificates and encodes
// names and the standard extensions; what forge.pki lacks (P-256 keys, proxyCertInfo, CRLs, VOMS ACs) is written with
// forge.asn1. Keys and signatures come from node:crypto: forge's pure-JS RSA signs one TBS in ~35 ms against
// ~0.3 ms natively, and a dev PKI signs ~50 of them.
import { createHash, createPublicKey, generateKeyPair, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { encodeName, Oid } from '@gridauthz/credentials';
import type { Dn } from '@gridauthz/domain';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;
const U = asn1.Class.UNIVERSAL;
const CTX = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

/** forge.pki functions the published typings leave out. */
const pki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): Asn1;
  certificateExtensionToAsn1(ext: object): Asn1;
  RDNAttributesAsArray(rdn: Asn1): forge.pki.CertificateField[];
};

const bytes = (b: Buffer): string => b.toString('binary');

/** The content octets of a non-negative DER INTEGER, in hex (forge.pki's serialNumber form). */
function integerHex(value: bigint | number): string {
  let hex = BigInt(value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return parseInt(hex.slice(0, 2), 16) & 0x80 ? `00${hex}` : hex;
}

/** forge.asn1.fromDer takes an options object too (the typings know only `strict`). */
const fromDer = asn1.fromDer as unknown as (der: string, options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean }) => Asn1;

/** forge.asn1 constructors, for the structures forge.pki does not build. */
export const A = {
  seq: (...items: Asn1[]): Asn1 => asn1.create(U, T.SEQUENCE, true, items),
  set: (...items: Asn1[]): Asn1 => asn1.create(U, T.SET, true, items),
  oid: (oid: string): Asn1 => asn1.create(U, T.OID, false, asn1.oidToDer(oid).getBytes()),
  /** Non-negative INTEGER (minimal two's complement). */
  int: (value: bigint | number): Asn1 => asn1.create(U, T.INTEGER, false, forge.util.hexToBytes(integerHex(value))),
  bool: (value: boolean): Asn1 => asn1.create(U, T.BOOLEAN, false, value ? '\xff' : '\x00'),
  null: (): Asn1 => asn1.create(U, T.NULL, false, ''),
  octets: (value: Buffer): Asn1 => asn1.create(U, T.OCTETSTRING, false, bytes(value)),
  bits: (value: Buffer, unused = 0): Asn1 => asn1.create(U, T.BITSTRING, false, String.fromCharCode(unused) + bytes(value)),
  utf8: (text: string): Asn1 => asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(text)),
  ia5: (text: string): Asn1 => asn1.create(U, T.IA5STRING, false, text),
  /** [n] EXPLICIT (constructed), or a constructed IMPLICIT SEQUENCE/SET body. */
  ctx: (tag: number, ...items: Asn1[]): Asn1 => asn1.create(CTX, tag, true, items),
  /** [n] IMPLICIT over a primitive value. */
  ctxPrim: (tag: number, value: Buffer): Asn1 => asn1.create(CTX, tag, false, bytes(value)),
  utcTime: (date: Date): Asn1 => asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(date)),
  generalizedTime: (date: Date): Asn1 => asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date)),
  /** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
  time: (date: Date): Asn1 => (date.getUTCFullYear() < 2050 ? A.utcTime(date) : A.generalizedTime(date)),
  /** Embeds DER made elsewhere (a Name, a SubjectPublicKeyInfo, a hand-made extension) byte for byte. */
  raw: (der: Buffer): Asn1 => fromDer(bytes(der), { strict: true, parseAllBytes: true, decodeBitStrings: false }),
};

export function toDer(node: Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'binary');
}

const generateKeyPairAsync = promisify(generateKeyPair);

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** Keys come from node:crypto (native); forge's pure-JS RSA 2048 generation takes seconds. */
export async function rsaKey(): Promise<KeyPair> {
  return generateKeyPairAsync('rsa', { modulusLength: 2048 });
}

/** P-256 keys for proxies: RSA 2048 generation (~150 ms each) would blow the 2 s budget with a dozen proxies. */
export async function ecKey(): Promise<KeyPair> {
  return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
}

/** An entity that can sign: its subject Name, key pair and key identifier. */
export interface Signer {
  readonly dn: Dn;
  readonly nameDer: Buffer;
  readonly keys: KeyPair;
  readonly keyId: Buffer;
}

export function spkiDer(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits (RSAPublicKey for RSA, the uncompressed point for EC). */
export function keyIdOf(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  let bits: Buffer;
  if (publicKey.asymmetricKeyType === 'rsa') bits = publicKey.export({ format: 'der', type: 'pkcs1' });
  else {
    const jwk = publicKey.export({ format: 'jwk' });
    bits = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  }
  return createHash('sha1').update(bits).digest();
}

export function makeSigner(dn: Dn, keys: KeyPair, nameDer: Buffer = encodeName(dn)): Signer {
  return { dn, nameDer, keys, keyId: keyIdOf(keys.publicKey) };
}

function signatureAlgorithm(key: KeyObject): Asn1 {
  // RFC 5758 §3.2: ecdsa-with-SHA256 has no parameters; RFC 4055: sha256WithRSAEncryption has NULL.
  return key.asymmetricKeyType === 'ec' ? A.seq(A.oid(Oid.ecdsaWithSha256)) : A.seq(A.oid(Oid.sha256WithRSA), A.null());
}

/** Signs `tbs` and wraps it as { tbs, algorithm, BIT STRING signature } — the shape of certificates, CRLs and ACs. */
export function signed(tbs: Buffer, key: KeyObject): Buffer {
  return toDer(A.seq(A.raw(tbs), signatureAlgorithm(key), A.bits(sign('sha256', tbs, key))));
}

/** One Extension with a value written elsewhere (forge.pki's encoder: extnID, critical only when true, OCTET STRING). */
export function ext(oid: string, critical: boolean, value: Buffer): Buffer {
  return toDer(pki.certificateExtensionToAsn1({ id: oid, critical, value: bytes(value) }));
}

/** A standard extension in forge.pki's own descriptor form ({name: 'keyUsage', keyCertSign: true, ...}). */
function forgeExtension(descriptor: Record<string, unknown>): Buffer {
  // setExtensions fills the value from the descriptor; a scratch certificate is its only entry point.
  const scratch = forge.pki.createCertificate();
  scratch.setExtensions([descriptor]);
  return toDer(pki.certificateExtensionToAsn1(scratch.extensions[0] as object));
}

export const KU = { digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, dataEncipherment: 3, keyAgreement: 4, keyCertSign: 5, cRLSign: 6, encipherOnly: 7, decipherOnly: 8 } as const;

/** keyUsage BIT STRING (forge drops trailing zero bits, as DER requires). */
export function keyUsage(bits: readonly number[]): Buffer {
  const flags = Object.fromEntries(Object.entries(KU).map(([name, bit]) => [name, bits.includes(bit)]));
  return forgeExtension({ name: 'keyUsage', critical: true, ...flags });
}

export function basicConstraints(ca: boolean, pathLen?: number): Buffer {
  return forgeExtension({ name: 'basicConstraints', critical: true, cA: ca, ...(ca && pathLen !== undefined ? { pathLenConstraint: pathLen } : {}) });
}

export function extKeyUsage(oids: readonly string[]): Buffer {
  // forge takes purposes as keys, in order: its name for an OID it knows (serverAuth), else the dotted OID.
  const known = forge.pki.oids as Record<string, string | undefined>;
  return forgeExtension({ name: 'extKeyUsage', ...Object.fromEntries(oids.map((o) => [known[o] ?? o, true])) });
}

export function subjectKeyId(key: KeyObject): Buffer {
  return forgeExtension({ name: 'subjectKeyIdentifier', value: A.octets(keyIdOf(key)) });
}

export function authorityKeyId(keyId: Buffer): Buffer {
  return forgeExtension({ name: 'authorityKeyIdentifier', keyIdentifier: bytes(keyId) });
}

export function subjectAltName(dnsNames: readonly string[], ips: readonly string[]): Buffer {
  return forgeExtension({
    name: 'subjectAltName',
    altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))],
  });
}

/** RFC 3820 proxyCertInfo (critical): forge.pki does not know it. */
export function proxyCertInfo(policyOid: string, pathLen?: number): Buffer {
  const value = A.seq(...(pathLen !== undefined ? [A.int(pathLen)] : []), A.seq(A.oid(policyOid)));
  return ext(Oid.proxyCertInfo, true, toDer(value));
}

/** Draft (GT3) proxy extension 1.3.6.1.4.1.3536.1.222: policy first, path length as [1] EXPLICIT (§3.2). */
export function proxyCertInfoDraft(policyOid: string, pathLen?: number): Buffer {
  const value = A.seq(A.seq(A.oid(policyOid)), ...(pathLen !== undefined ? [A.ctx(1, A.int(pathLen))] : []));
  return ext(Oid.proxyCertInfoDraft, true, toDer(value));
}

export interface CertificateSpec {
  readonly serial: bigint | number;
  readonly issuer: Signer;
  readonly subjectDer: Buffer;
  readonly publicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Whole Extension DERs, embedded byte for byte (tests hand-make broken ones). */
  readonly extensions: readonly Buffer[];
}

/** forge.pki's attribute list for a Name, or undefined when forge would not write the same bytes back. */
function forgeName(nameDer: Buffer): forge.pki.CertificateField[] | undefined {
  const attributes = pki.RDNAttributesAsArray(A.raw(nameDer)).map((a) =>
    // RDNAttributesAsArray leaves UTF8String values as raw bytes; distinguishedNameToAsn1 encodes them again.
    (a.valueTagClass as unknown) === T.UTF8 ? Object.assign({}, a, { value: forge.util.decodeUtf8(String(a.value)) }) : a,
  );
  return toDer(forge.pki.distinguishedNameToAsn1({ attributes })).equals(nameDer) ? attributes : undefined;
}

/**
 * A v3 certificate. RSA subject and issuer keys with names forge writes faithfully go through forge.pki's certificate
 * (getTBSCertificate); P-256 keys (proxies) and hand-made names, which forge.pki cannot express, get the same
 * TBSCertificate laid out with forge.asn1.
 */
export function certificate(spec: CertificateSpec): Buffer {
  const issuerKey = spec.issuer.keys.privateKey;
  const subject = forgeName(spec.subjectDer);
  const issuer = forgeName(spec.issuer.nameDer);
  const extensions = spec.extensions.length > 0 ? [A.ctx(3, A.seq(...spec.extensions.map(A.raw)))] : [];
  let tbs: Asn1;
  if (subject && issuer && spec.publicKey.asymmetricKeyType === 'rsa' && issuerKey.asymmetricKeyType === 'rsa') {
    const cert = forge.pki.createCertificate();
    cert.serialNumber = integerHex(spec.serial);
    cert.validity.notBefore = spec.notBefore;
    cert.validity.notAfter = spec.notAfter;
    cert.setSubject(subject);
    cert.setIssuer(issuer);
    cert.publicKey = forge.pki.publicKeyFromAsn1(asn1.fromDer(bytes(spkiDer(spec.publicKey))));
    cert.siginfo.algorithmOid = Oid.sha256WithRSA;
    tbs = pki.getTBSCertificate(cert);
    tbs.value = [...(tbs.value as Asn1[]), ...extensions];
  } else {
    tbs = A.seq(
      A.ctx(0, A.int(2)),
      A.int(spec.serial),
      signatureAlgorithm(issuerKey),
      A.raw(spec.issuer.nameDer),
      A.seq(A.time(spec.notBefore), A.time(spec.notAfter)),
      A.raw(spec.subjectDer),
      A.raw(spkiDer(spec.publicKey)),
      ...extensions,
    );
  }
  return signed(toDer(tbs), issuerKey);
}

/** A v2 CRL (forge has no CRL writer): RFC 5280 §5.1 with authorityKeyIdentifier and cRLNumber. */
export function crl(issuer: Signer, thisUpdate: Date, nextUpdate: Date, revoked: readonly { serial: bigint | number; date: Date }[], number: number): Buffer {
  const entries = revoked.map((r) => A.seq(A.int(r.serial), A.time(r.date)));
  const tbs = A.seq(
    A.int(1),
    signatureAlgorithm(issuer.keys.privateKey),
    A.raw(issuer.nameDer),
    A.time(thisUpdate),
    A.time(nextUpdate),
    ...(entries.length > 0 ? [A.seq(...entries)] : []),
    A.ctx(0, A.seq(A.raw(authorityKeyId(issuer.keyId)), A.raw(ext(Oid.cRLNumber, false, toDer(A.int(number)))))),
  );
  return signed(toDer(tbs), issuer.keys.privateKey);
}

/** DER as PEM: the credentials lib's one PEM module. */
export { pemEncode as pem } from '@gridauthz/credentials';

/** Private keys in the traditional forms voms-proxy-init and grid-proxy-init write (PKCS#1 / SEC1). */
export function privateKeyPem(key: KeyObject): string {
  return key.asymmetricKeyType === 'ec'
    ? (key.export({ format: 'pem', type: 'sec1' }) as string)
    : (key.export({ format: 'pem', type: 'pkcs1' }) as string);
}
