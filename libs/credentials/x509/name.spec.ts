import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { PkiBuilder } from '@gridauthz/dev-pki';
import { Der, dnFromCertificate, parseNameDer, subjectHash, subjectHashOld } from '@gridauthz/credentials';

const { der, tlv, Tag } = Der;
const ava = (oid: string, value: Buffer): Buffer => der.seq(der.oid(oid), value);
const rdn = (...avas: Buffer[]): Buffer => der.set(...avas);
const bmp = (s: string): Buffer => tlv(Tag.BMPString, Buffer.from(s, 'utf16le').swap16());
const t61 = (s: string): Buffer => tlv(Tag.T61String, Buffer.from(s, 'latin1'));

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
function certWithSubject(nameDer: Buffer): Buffer {
  const signer = PkiBuilder.makeSigner(Dn.fromSlash('/CN=hash test'), keys);
  return PkiBuilder.certificate({
    serial: 1,
    issuer: signer,
    subjectDer: nameDer,
    publicKey: keys.publicKey,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
    extensions: [],
  });
}
const opensslHashes = (cert: Buffer): string[] =>
  execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-subject_hash', '-subject_hash_old'], { input: cert, encoding: 'utf8' }).trim().split('\n');

describe('subject-name hashes (§2.2)', () => {
  const names: [string, Buffer][] = [
    ['IA5 DC + UTF8 CN', der.seq(rdn(ava('0.9.2342.19200300.100.1.25', der.ia5('org'))), rdn(ava('2.5.4.3', der.utf8('Alice Atlas'))))],
    ['Printable C + upper case + runs of blanks', der.seq(rdn(ava('2.5.4.6', der.printable('DE'))), rdn(ava('2.5.4.10', der.utf8('  Grid   Example  ORG '))))],
    ['T61 and BMP values', der.seq(rdn(ava('2.5.4.10', t61('Uni K\u00f6ln'))), rdn(ava('2.5.4.3', bmp('J\u00fcrgen \u0141ukasz'))))],
    ['multi-valued RDN', der.seq(rdn(ava('2.5.4.3', der.utf8('b')), ava('2.5.4.3', der.utf8('A'))))],
    ['emailAddress IA5 and a tab', der.seq(rdn(ava('2.5.4.3', der.utf8('Tab\there'))), rdn(ava('1.2.840.113549.1.9.1', der.ia5('Alice@Example.ORG'))))],
  ];
  it.each(names)('equal openssl x509 -subject_hash/-subject_hash_old for %s', (_label, nameDer) => {
    const name = parseNameDer(nameDer);
    expect([subjectHash(name), subjectHashOld(name)]).toEqual(opensslHashes(certWithSubject(nameDer)));
  });

  it('makes canonical equality ignore case, blank runs and string type (X509_NAME_cmp)', () => {
    const a = parseNameDer(der.seq(rdn(ava('2.5.4.3', der.printable('Alice  Atlas')))));
    const b = parseNameDer(der.seq(rdn(ava('2.5.4.3', der.utf8(' alice atlas')))));
    expect(a.canonical.equals(b.canonical)).toBe(true);
    expect(a.der.equals(b.der)).toBe(false);
  });

  it('decodes values per string type into a Dn with both renderings', () => {
    const dn = dnFromCertificate(certWithSubject(names[2]?.[1] ?? Buffer.alloc(0)));
    expect(dn?.toRfc2253()).toBe('CN=J\u00fcrgen \u0141ukasz,O=Uni K\u00f6ln');
    expect(dn?.toSlash()).toBe('/O=Uni K\\xC3\\xB6ln/CN=J\\xC3\\xBCrgen \\xC5\\x81ukasz');
    expect(dnFromCertificate(Buffer.from('junk'))).toBeUndefined();
  });

  it('renders the slash form exactly as openssl -nameopt compat does', () => {
    const nameDer = names[0]?.[1] ?? Buffer.alloc(0);
    const out = execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-subject', '-nameopt', 'compat'], { input: certWithSubject(nameDer), encoding: 'utf8' });
    expect(`subject=${parseNameDer(nameDer).dn?.toSlash()}\n`).toBe(out);
  });
});

describe('DER reader', () => {
  it.each([
    ['indefinite length', Buffer.from('3080020100000000', 'hex')],
    ['non-minimal length', Buffer.from('30810102', 'hex')],
    ['length beyond the input', Buffer.from('3005020101', 'hex')],
    ['trailing bytes', Buffer.from('300000', 'hex')],
    ['high tag number', Buffer.from('1f2100', 'hex')],
  ])('refuses %s', (_label, bytes) => {
    expect(() => Der.readDer(bytes)).toThrow(Der.DerError);
  });

  it('refuses non-minimal and negative INTEGERs and reads OIDs with large arcs', () => {
    expect(() => Der.integerBytes(Der.readDer(Buffer.from('02020001', 'hex')))).toThrow(/non-minimal/);
    expect(() => Der.integerBytes(Der.readDer(Buffer.from('0201ff', 'hex')))).toThrow(/negative/);
    expect(Der.oidOf(Der.readDer(der.oid('1.3.6.1.4.1.8005.100.100.5')))).toBe('1.3.6.1.4.1.8005.100.100.5');
    expect(Der.oidOf(Der.readDer(der.oid('2.999.3')))).toBe('2.999.3');
  });

  it('reads both time forms and rejects impossible dates', () => {
    expect(Der.timeOf(Der.readDer(der.utcTime(new Date('2049-12-31T23:59:59Z')))).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(Der.timeOf(Der.readDer(der.generalizedTime(new Date('2050-01-01T00:00:00Z')))).toISOString()).toBe('2050-01-01T00:00:00.000Z');
    expect(() => Der.timeOf(Der.readDer(tlv(Tag.UTCTime, Buffer.from('260230000000Z'))))).toThrow(/invalid date/);
    expect(() => Der.timeOf(Der.readDer(tlv(Tag.UTCTime, Buffer.from('2602010000Z'))))).toThrow();
  });
});
