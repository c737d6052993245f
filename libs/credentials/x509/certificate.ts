import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Dn } from '@gridauthz/domain';
import {
  bitString,
  booleanOf,
  children,
  DerError,
  expectTag,
  integerBytes,
  oidOf,
  readDer,
  sequence,
  smallInteger,
  Tag,
  timeOf,
} from '../asn1/der';
import type { DerNode } from '../asn1/der';
import { parseName } from './name';
import type { X509Name } from './name';
import { Oid, SIGNATURE_DIGESTS } from './oids';

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Buffer;
}

export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

/** A decoded X.509 certificate. Fields are views into `der`; nothing here has been verified yet. */
export interface Certificate {
  readonly der: Buffer;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
  readonly version: number;
  readonly serial: Buffer;
  readonly serialHex: string;
  readonly issuer: X509Name;
  readonly subject: X509Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Buffer;
  /** Contents of the subjectPublicKey BIT STRING (the input of the RFC 5280 method-1 key identifier). */
  readonly publicKeyBits: Buffer;
  readonly issuerUniqueId: Buffer | undefined;
  readonly extensions: readonly Extension[];
  /** SHA-256 of the DER, hex: the identity of a certificate for dedupe and caching. */
  readonly fingerprint: string;
  readonly basicConstraints: { ca: boolean; pathLen: number | null } | undefined;
  /** keyUsage bits (bit 0 = digitalSignature) or undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  readonly subjectKeyId: Buffer | undefined;
  readonly authorityKeyId: Buffer | undefined;
}

export function extension(cert: { extensions: readonly Extension[] }, oid: string): Extension | undefined {
  return cert.extensions.find((e) => e.oid === oid);
}

export function hasKeyUsage(cert: Certificate, bit: number): boolean {
  return cert.keyUsage !== undefined && (cert.keyUsage & (1 << bit)) !== 0;
}

/** Parses a DER certificate; throws DerError on any structural problem (callers wrap it into a Result). */
export function parseCertificate(input: Buffer): Certificate {
  const root = readDer(input);
  const [tbsNode, algNode, sigNode, extra] = sequence(root, 'Certificate');
  if (extra !== undefined) throw new DerError('Certificate: extra fields');
  const signatureAlgorithm = algorithmOid(algNode, 'signatureAlgorithm');
  const signature = bitString(sigNode, 'signatureValue').bytes;
  const tbs = sequence(tbsNode, 'tbsCertificate');
  let i = 0;
  let version = 1;
  if (tbs[0]?.tag === 0xa0) {
    version = smallInteger(children(tbs[0])[0], 'version') + 1;
    i += 1;
  }
  const serial = integerBytes(tbs[i++], 'serialNumber');
  const innerAlg = tbs[i++];
  if (innerAlg === undefined || algNode === undefined || !innerAlg.der.equals(algNode.der))
    throw new DerError('tbsCertificate.signature differs from signatureAlgorithm');
  const issuer = parseName(expectTag(tbs[i++], Tag.SEQUENCE, 'issuer'));
  const [nbNode, naNode] = sequence(tbs[i++], 'validity');
  const notBefore = timeOf(nbNode, 'notBefore');
  const notAfter = timeOf(naNode, 'notAfter');
  const subject = parseName(expectTag(tbs[i++], Tag.SEQUENCE, 'subject'));
  const spkiNode = expectTag(tbs[i++], Tag.SEQUENCE, 'subjectPublicKeyInfo');
  const [, keyNode] = sequence(spkiNode, 'subjectPublicKeyInfo');
  const publicKeyBits = bitString(keyNode, 'subjectPublicKey').bytes;
  let issuerUniqueId: Buffer | undefined;
  const extensions: Extension[] = [];
  for (const node of tbs.slice(i)) {
    if (node.tag === 0x81) issuerUniqueId = node.content;
    else if (node.tag === 0x82) continue; // subjectUniqueID: not used
    else if (node.tag === 0xa3) extensions.push(...parseExtensions(children(node)[0]));
    else throw new DerError(`tbsCertificate: unexpected field 0x${node.tag.toString(16)}`);
  }
  const cert: Certificate = {
    der: root.der,
    tbs: tbsNode?.der ?? Buffer.alloc(0),
    signatureAlgorithm,
    signature,
    version,
    serial,
    serialHex: serial.toString('hex').toUpperCase().replace(/^0+(?=.)/, ''),
    issuer,
    subject,
    notBefore,
    notAfter,
    spki: spkiNode.der,
    publicKeyBits,
    issuerUniqueId,
    extensions,
    fingerprint: createHash('sha256').update(root.der).digest('hex'),
    basicConstraints: decodeBasicConstraints(extensions),
    keyUsage: decodeKeyUsage(extensions),
    subjectKeyId: decodeOctets(extensions, Oid.subjectKeyIdentifier),
    authorityKeyId: decodeAuthorityKeyId(extensions),
  };
  return cert;
}

export function algorithmOid(node: DerNode | undefined, what: string): string {
  const [oidNode] = sequence(node, what);
  return oidOf(oidNode, what);
}

export function parseExtensions(node: DerNode | undefined): Extension[] {
  const out: Extension[] = [];
  for (const extNode of sequence(node, 'extensions')) {
    const parts = sequence(extNode, 'extension');
    const oid = oidOf(parts[0], 'extnID');
    let critical = false;
    let valueNode = parts[1];
    if (valueNode?.tag === Tag.BOOLEAN) {
      critical = booleanOf(valueNode, 'critical');
      valueNode = parts[2];
    }
    const value = expectTag(valueNode, Tag.OCTET_STRING, 'extnValue').content;
    // RFC 5280 §4.2: a certificate must not include more than one instance of an extension.
    if (out.some((e) => e.oid === oid)) throw new DerError(`duplicate extension ${oid}`);
    out.push({ oid, critical, value });
  }
  return out;
}

function decodeBasicConstraints(exts: Extension[]): { ca: boolean; pathLen: number | null } | undefined {
  const ext = exts.find((e) => e.oid === Oid.basicConstraints);
  if (!ext) return undefined;
  const items = sequence(readDer(ext.value), 'basicConstraints');
  let ca = false;
  let pathLen: number | null = null;
  for (const item of items) {
    if (item.tag === Tag.BOOLEAN) ca = booleanOf(item);
    else if (item.tag === Tag.INTEGER) pathLen = smallInteger(item, 'pathLenConstraint');
    else throw new DerError('basicConstraints: unexpected field');
  }
  return { ca, pathLen };
}

function decodeKeyUsage(exts: Extension[]): number | undefined {
  const ext = exts.find((e) => e.oid === Oid.keyUsage);
  if (!ext) return undefined;
  const { bytes } = bitString(readDer(ext.value), 'keyUsage');
  let bits = 0;
  // Bit 0 is the most significant bit of the first octet.
  for (let bit = 0; bit < Math.min(bytes.length * 8, 16); bit += 1) {
    if (((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) bits |= 1 << bit;
  }
  return bits;
}

function decodeOctets(exts: Extension[], oid: string): Buffer | undefined {
  const ext = exts.find((e) => e.oid === oid);
  return ext ? expectTag(readDer(ext.value), Tag.OCTET_STRING, oid).content : undefined;
}

function decodeAuthorityKeyId(exts: Extension[]): Buffer | undefined {
  const ext = exts.find((e) => e.oid === Oid.authorityKeyIdentifier);
  if (!ext) return undefined;
  return sequence(readDer(ext.value), 'authorityKeyIdentifier').find((n) => n.tag === 0x80)?.content;
}

const keyCache = new WeakMap<Buffer, KeyObject>();

export function publicKeyOf(spki: Buffer): KeyObject {
  let key = keyCache.get(spki);
  if (!key) {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    keyCache.set(spki, key);
  }
  return key;
}

/**
 * Verifies `signature` over `data` with the key in `spki` (node:crypto only, §2.1). Any failure, including an
 * unsupported algorithm or an unreadable key, is simply "does not verify".
 */
export function verifySignature(data: Buffer, algorithmOidValue: string, signature: Buffer, spki: Buffer): boolean {
  const digest = SIGNATURE_DIGESTS[algorithmOidValue];
  if (digest === undefined) return false;
  try {
    return cryptoVerify(digest, data, publicKeyOf(spki), signature);
  } catch {
    return false;
  }
}

export function isSelfIssued(cert: Certificate): boolean {
  return cert.subject.canonical.equals(cert.issuer.canonical);
}

/** SHA-1 of the subjectPublicKey bits: the key identifier VOMS and OpenSSL use (§6.2 authorityKeyIdentifier). */
export function keyIdentifier(cert: Certificate): Buffer {
  return createHash('sha1').update(cert.publicKeyBits).digest();
}

/**
 * The subject Dn of a DER certificate (values decoded per string type), or undefined for unparsable input
 * or an empty subject.
 */
export function dnFromCertificate(der: Buffer): Dn | undefined {
  try {
    return parseCertificate(der).subject.dn;
  } catch {
    return undefined;
  }
}
