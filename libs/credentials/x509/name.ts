import { createHash } from 'node:crypto';
import { attributeTypeOid, Dn } from '@gridauthz/domain';
import type { Ava } from '@gridauthz/domain';
import { children, DerError, der, isStringTag, oidOf, readDer, stringOf, Tag } from '../asn1/der';
import type { DerNode } from '../asn1/der';

/** A certificate Name: the DER as signed, the decoded Dn, and the canonical encoding used for equality (§2.2). */
export interface X509Name {
  readonly der: Buffer;
  readonly dn: Dn | undefined; // undefined for the empty Name (allowed in some issuer/subject positions)
  readonly canonical: Buffer;
  /** Canonical encoding of each RDN, most significant first (for "issuer plus one RDN" checks). */
  readonly rdns: readonly Buffer[];
}

export function parseName(node: DerNode): X509Name {
  if (node.tag !== Tag.SEQUENCE) throw new DerError('Name: not a SEQUENCE');
  const rdns: Ava[][] = [];
  const canonicalParts: Buffer[] = [];
  for (const rdnNode of children(node)) {
    if (rdnNode.tag !== Tag.SET) throw new DerError('Name: RDN is not a SET');
    const avas: Ava[] = [];
    const canonicalAvas: Buffer[] = [];
    const avaNodes = children(rdnNode);
    if (avaNodes.length === 0) throw new DerError('Name: empty RDN');
    for (const avaNode of avaNodes) {
      const [typeNode, valueNode, extra] = children(avaNode);
      if (avaNode.tag !== Tag.SEQUENCE || typeNode === undefined || valueNode === undefined || extra !== undefined) throw new DerError('Name: bad AttributeTypeAndValue');
      const oid = oidOf(typeNode, 'attribute type');
      if (isStringTag(valueNode.tag)) {
        const value = stringOf(valueNode, `attribute ${oid}`);
        avas.push({ type: oid, value });
        canonicalAvas.push(der.seq(typeNode.der, der.utf8(canonicalValue(value))));
      } else {
        // Non-string values are rare; show them as OpenSSL does in RFC 2253 (#hex of the DER) and compare raw.
        avas.push({ type: oid, value: `#${valueNode.der.toString('hex')}` });
        canonicalAvas.push(der.seq(typeNode.der, valueNode.der));
      }
    }
    rdns.push(avas);
    canonicalParts.push(der.set(...canonicalAvas));
  }
  return { der: node.der, dn: rdns.length > 0 ? Dn.fromRdns(rdns) : undefined, canonical: Buffer.concat(canonicalParts), rdns: canonicalParts };
}

export function parseNameDer(nameDer: Buffer): X509Name {
  return parseName(readDer(nameDer));
}

/** OpenSSL's canonical string value: ASCII letters lower-cased, whitespace runs collapsed, ends trimmed. */
function canonicalValue(value: string): string {
  return value
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replace(/[ \t\n\r\f\v]+/g, ' ')
    .trim();
}

/** Slash form for messages; the empty Name renders as "" (OpenSSL prints nothing either). */
export function nameText(name: X509Name): string {
  return name.dn?.toSlash() ?? '';
}

export function namesEqual(a: X509Name, b: X509Name): boolean {
  return a.canonical.equals(b.canonical);
}

function hash32(digest: Buffer): string {
  return digest.readUInt32LE(0).toString(16).padStart(8, '0');
}

/** `openssl x509 -subject_hash` (OpenSSL ≥ 1.0): SHA-1 of the canonical encoding, first 4 bytes little-endian. */
export function subjectHash(name: X509Name): string {
  return hash32(createHash('sha1').update(name.canonical).digest());
}

/** `openssl x509 -subject_hash_old` (OpenSSL 0.9.8): MD5 of the Name's DER. */
export function subjectHashOld(name: X509Name): string {
  return hash32(createHash('md5').update(name.der).digest());
}

/** Encodes a Dn as a certificate Name; DC and emailAddress as IA5String, C as PrintableString, the rest UTF8String. */
export function encodeName(dn: Dn): Buffer {
  return der.seq(
    ...dn.rdns.map((rdn) =>
      der.set(
        ...rdn.map((ava) => {
          const oid = attributeTypeOid(ava.type) ?? ava.type;
          const value =
            ava.type === 'DC' || ava.type === 'emailAddress' ? der.ia5(ava.value) : ava.type === 'C' ? der.printable(ava.value) : der.utf8(ava.value);
          return der.seq(der.oid(oid), value);
        }),
      ),
    ),
  );
}
