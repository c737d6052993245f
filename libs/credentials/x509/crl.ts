import { createHash } from 'node:crypto';
import { bitString, children, DerError, expectTag, integerBytes, readDer, sequence, smallInteger, Tag, timeOf } from '../asn1/der';
import { algorithmOid, parseExtensions } from './certificate';
import type { Extension } from './certificate';
import { parseName } from './name';
import type { X509Name } from './name';
import { Oid } from './oids';

export interface Crl {
  readonly der: Buffer;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
  readonly issuer: X509Name;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Revoked serials, upper-case hex without leading zeros (as Certificate.serialHex). */
  readonly revoked: ReadonlySet<string>;
  /** Why the CRL cannot be used even if its signature verifies (§5.3), or undefined. */
  readonly unusable: string | undefined;
  readonly fingerprint: string;
}

/** CRL extensions we understand; a critical one outside this list makes the CRL unusable (§5.3). */
const KNOWN_CRL_EXTENSIONS = new Set<string>([Oid.cRLNumber, Oid.authorityKeyIdentifier]);
const KNOWN_ENTRY_EXTENSIONS = new Set<string>([Oid.crlReason, '2.5.29.24' /* invalidityDate */]);

export function parseCrl(input: Buffer): Crl {
  const root = readDer(input);
  const [tbsNode, algNode, sigNode, extra] = sequence(root, 'CertificateList');
  if (extra !== undefined) throw new DerError('CertificateList: extra fields');
  const signatureAlgorithm = algorithmOid(algNode, 'signatureAlgorithm');
  const signature = bitString(sigNode, 'signatureValue').bytes;
  const tbs = sequence(tbsNode, 'tbsCertList');
  let i = 0;
  if (tbs[0]?.tag === Tag.INTEGER) {
    if (smallInteger(tbs[0], 'version') !== 1) throw new DerError('CRL version is not v2');
    i += 1;
  }
  const inner = tbs[i++];
  if (inner === undefined || algNode === undefined || !inner.der.equals(algNode.der)) throw new DerError('tbsCertList.signature differs from signatureAlgorithm');
  const issuer = parseName(expectTag(tbs[i++], Tag.SEQUENCE, 'issuer'));
  const thisUpdate = timeOf(tbs[i++], 'thisUpdate');
  let nextUpdate: Date | undefined;
  if (tbs[i] && (tbs[i]?.tag === Tag.UTCTime || tbs[i]?.tag === Tag.GeneralizedTime)) nextUpdate = timeOf(tbs[i++], 'nextUpdate');
  const revoked = new Set<string>();
  let unusable: string | undefined;
  if (tbs[i]?.tag === Tag.SEQUENCE) {
    for (const entry of children(tbs[i++] as NonNullable<(typeof tbs)[number]>)) {
      const [serialNode, dateNode, extNode] = sequence(entry, 'revokedCertificate');
      revoked.add(integerBytes(serialNode, 'userCertificate').toString('hex').toUpperCase().replace(/^0+(?=.)/, ''));
      timeOf(dateNode, 'revocationDate');
      if (extNode) for (const e of parseExtensions(extNode)) if (e.critical && !KNOWN_ENTRY_EXTENSIONS.has(e.oid)) unusable = `unhandled critical CRL entry extension ${e.oid}`;
    }
  }
  let extensions: Extension[] = [];
  if (tbs[i]?.tag === 0xa0) extensions = parseExtensions(children(tbs[i++] as NonNullable<(typeof tbs)[number]>)[0]);
  if (tbs[i] !== undefined) throw new DerError('tbsCertList: unexpected trailing field');
  for (const e of extensions) if (e.critical && !KNOWN_CRL_EXTENSIONS.has(e.oid)) unusable = `unhandled critical CRL extension ${e.oid}`;
  return {
    der: root.der,
    tbs: tbsNode?.der ?? Buffer.alloc(0),
    signatureAlgorithm,
    signature,
    issuer,
    thisUpdate,
    nextUpdate,
    revoked,
    unusable,
    fingerprint: createHash('sha256').update(root.der).digest('hex'),
  };
}
