import { createHash, generateKeyPair, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Der, encodeName, Oid } from '@gridauthz/credentials';
import type { Dn } from '@gridauthz/domain';

const { bitString, der, readDer, sequence } = Der;

const generateKeyPairAsync = promisify(generateKeyPair);

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

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

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdOf(key: KeyObject): Buffer {
  const [, bits] = sequence(readDer(spkiDer(key)), 'spki');
  return createHash('sha1').update(bitString(bits).bytes).digest();
}

export function makeSigner(dn: Dn, keys: KeyPair, nameDer: Buffer = encodeName(dn)): Signer {
  return { dn, nameDer, keys, keyId: keyIdOf(keys.publicKey) };
}

function signatureAlgorithm(key: KeyObject): Buffer {
  return key.asymmetricKeyType === 'ec' ? der.seq(der.oid(Oid.ecdsaWithSha256)) : der.seq(der.oid(Oid.sha256WithRSA), der.null());
}

/** Signs `tbs` and wraps it as { tbs, algorithm, BIT STRING signature } — the shape of certificates, CRLs and ACs. */
export function signed(tbs: Buffer, key: KeyObject): Buffer {
  return der.seq(tbs, signatureAlgorithm(key), der.bits(sign('sha256', tbs, key)));
}

export function ext(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? der.seq(der.oid(oid), der.bool(true), der.octets(value)) : der.seq(der.oid(oid), der.octets(value));
}

/** keyUsage BIT STRING with trailing zero bits dropped, as DER requires. */
export function keyUsage(bits: readonly number[]): Buffer {
  const value = bits.reduce((acc, bit) => acc | (0x8000 >> bit), 0);
  const bytes = value & 0xff ? Buffer.from([value >> 8, value & 0xff]) : Buffer.from([value >> 8]);
  const last = bytes[bytes.length - 1] as number;
  let unused = 0;
  while (unused < 7 && !((last >> unused) & 1)) unused += 1;
  return ext(Oid.keyUsage, true, der.bits(bytes, unused));
}

export const KU = { digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, dataEncipherment: 3, keyCertSign: 5, cRLSign: 6 } as const;

export function basicConstraints(ca: boolean, pathLen?: number): Buffer {
  const items = ca ? [der.bool(true), ...(pathLen !== undefined ? [der.int(pathLen)] : [])] : [];
  return ext(Oid.basicConstraints, true, der.seq(...items));
}

export function extKeyUsage(oids: readonly string[]): Buffer {
  return ext(Oid.extKeyUsage, false, der.seq(...oids.map((o) => der.oid(o))));
}

export function subjectKeyId(key: KeyObject): Buffer {
  return ext(Oid.subjectKeyIdentifier, false, der.octets(keyIdOf(key)));
}

export function authorityKeyId(keyId: Buffer): Buffer {
  return ext(Oid.authorityKeyIdentifier, false, der.seq(der.ctxPrim(0, keyId)));
}

export function subjectAltName(dnsNames: readonly string[], ips: readonly string[]): Buffer {
  const ipBytes = (ip: string): Buffer => Buffer.from(ip.split('.').map(Number));
  return ext(
    Oid.subjectAltName,
    false,
    der.seq(...dnsNames.map((n) => der.ctxPrim(2, Buffer.from(n, 'latin1'))), ...ips.map((ip) => der.ctxPrim(7, ipBytes(ip)))),
  );
}

/** RFC 3820 proxyCertInfo (critical). */
export function proxyCertInfo(policyOid: string, pathLen?: number): Buffer {
  const policy = der.seq(der.oid(policyOid));
  return ext(Oid.proxyCertInfo, true, der.seq(...(pathLen !== undefined ? [der.int(pathLen)] : []), policy));
}

/** Draft (GT3) proxy extension 1.3.6.1.4.1.3536.1.222: policy first, path length as [1] EXPLICIT (§3.2). */
export function proxyCertInfoDraft(policyOid: string, pathLen?: number): Buffer {
  return ext(Oid.proxyCertInfoDraft, true, der.seq(der.seq(der.oid(policyOid)), ...(pathLen !== undefined ? [der.ctx(1, der.int(pathLen))] : [])));
}

export interface CertificateSpec {
  readonly serial: bigint | number;
  readonly issuer: Signer;
  readonly subjectDer: Buffer;
  readonly publicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly Buffer[];
}

export function certificate(spec: CertificateSpec): Buffer {
  const tbs = der.seq(
    der.ctx(0, der.int(2)),
    der.int(spec.serial),
    signatureAlgorithm(spec.issuer.keys.privateKey),
    spec.issuer.nameDer,
    der.seq(der.time(spec.notBefore), der.time(spec.notAfter)),
    spec.subjectDer,
    spkiDer(spec.publicKey),
    ...(spec.extensions.length > 0 ? [der.ctx(3, der.seq(...spec.extensions))] : []),
  );
  return signed(tbs, spec.issuer.keys.privateKey);
}

export function crl(issuer: Signer, thisUpdate: Date, nextUpdate: Date, revoked: readonly { serial: bigint | number; date: Date }[], number: number): Buffer {
  const entries = revoked.map((r) => der.seq(der.int(r.serial), der.time(r.date)));
  const tbs = der.seq(
    der.int(1),
    signatureAlgorithm(issuer.keys.privateKey),
    issuer.nameDer,
    der.time(thisUpdate),
    der.time(nextUpdate),
    ...(entries.length > 0 ? [der.seq(...entries)] : []),
    der.ctx(0, der.seq(authorityKeyId(issuer.keyId), ext(Oid.cRLNumber, false, der.int(number)))),
  );
  return signed(tbs, issuer.keys.privateKey);
}

/** DER as PEM: the credentials lib's one PEM module. */
export { pemEncode as pem } from '@gridauthz/credentials';

/** Private keys in the traditional forms voms-proxy-init and grid-proxy-init write (PKCS#1 / SEC1). */
export function privateKeyPem(key: KeyObject): string {
  return key.asymmetricKeyType === 'ec'
    ? (key.export({ format: 'pem', type: 'sec1' }) as string)
    : (key.export({ format: 'pem', type: 'pkcs1' }) as string);
}
