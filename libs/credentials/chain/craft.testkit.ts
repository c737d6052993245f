/**
 * Test-only helpers: load the dev PKI's signers and build hand-made proxies and certificates around them, with the
 * dev PKI's node-forge builder (PkiBuilder). Not exported from the lib.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dn } from '@gridauthz/domain';
import { PkiBuilder } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { isCertificateLabel, Oid, parseCertificate, parseNameDer, pemBlocks } from '@gridauthz/credentials';

export type Signer = PkiBuilder.Signer;
export interface Issued {
  readonly signer: Signer;
  readonly der: Buffer;
}

const { A, toDer } = PkiBuilder;

export function loadIssued(dir: string, certFile: string, keyFile: string): Issued {
  const pemText = readFileSync(join(dir, certFile), 'utf8');
  const certDer = pemBlocks(pemText).find((b) => isCertificateLabel(b.label))?.der ?? Buffer.alloc(0);
  const cert = parseCertificate(certDer);
  const privateKey = createPrivateKey(readFileSync(join(dir, keyFile)));
  return { signer: PkiBuilder.makeSigner(cert.subject.dn as Dn, { privateKey, publicKey: createPublicKey(privateKey) }, cert.subject.der), der: certDer };
}

export function fixtures(dir: string, m: DevPkiManifest): { ca: Issued; alice: Issued; bob: Issued } {
  const user = (n: string): Issued => loadIssued(dir, m.users[n]?.certFile ?? '', m.users[n]?.keyFile ?? '');
  return { ca: loadIssued(dir, m.ca.certFile, m.ca.keyFile), alice: user('alice'), bob: user('bob') };
}

let serialCounter = 0x5000;

export interface ProxyCraft {
  /** Last RDN(s) appended to the issuer subject; default one CN with the serial. */
  readonly extraRdns?: Buffer[];
  /** Replace the subject Name entirely. */
  readonly subjectDer?: Buffer;
  readonly policy?: string;
  readonly pathLen?: number;
  readonly pciCritical?: boolean;
  readonly draft?: boolean;
  /** No proxyCertInfo at all (legacy, or an EEC-looking certificate). */
  readonly noPci?: boolean;
  readonly extensions?: readonly Buffer[];
  readonly keyUsageBits?: readonly number[];
  readonly signWith?: Signer;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly serial?: bigint;
}

const cn = (value: string): Buffer => toDer(A.set(A.seq(A.oid('2.5.4.3'), A.utf8(value))));

export function rdnCn(value: string): Buffer {
  return cn(value);
}

export function makeProxy(parent: Issued, now: Date, o: ProxyCraft = {}): Issued {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serial = o.serial ?? BigInt(serialCounter++);
  const parentRdns = A.raw(parent.signer.nameDer).value as ReturnType<typeof A.seq>[];
  const subjectDer = o.subjectDer ?? toDer(A.seq(...parentRdns, ...(o.extraRdns ?? [cn(serial.toString(10))]).map(A.raw)));
  const policy = A.seq(A.oid(o.policy ?? Oid.pplInheritAll));
  const pciValue = toDer(
    o.draft
      ? A.seq(policy, ...(o.pathLen !== undefined ? [A.ctx(1, A.int(o.pathLen))] : []))
      : A.seq(...(o.pathLen !== undefined ? [A.int(o.pathLen)] : []), policy),
  );
  const extensions = [
    PkiBuilder.keyUsage(o.keyUsageBits ?? [PkiBuilder.KU.digitalSignature, PkiBuilder.KU.keyEncipherment]),
    ...(o.noPci ? [] : [PkiBuilder.ext(o.draft ? Oid.proxyCertInfoDraft : Oid.proxyCertInfo, o.pciCritical ?? true, pciValue)]),
    ...(o.extensions ?? []),
  ];
  const certDer = PkiBuilder.certificate({
    serial,
    issuer: o.signWith ? { ...o.signWith, nameDer: parent.signer.nameDer, dn: parent.signer.dn } : parent.signer,
    subjectDer,
    publicKey: pair.publicKey,
    notBefore: o.notBefore ?? new Date(now.getTime() - 300_000),
    notAfter: o.notAfter ?? new Date(now.getTime() + 3600_000),
    extensions,
  });
  // The subject from the Name alone: the certificate itself may be deliberately unparsable.
  return { signer: PkiBuilder.makeSigner(parseNameDer(subjectDer).dn as Dn, pair, subjectDer), der: certDer };
}

/** An end-entity or CA certificate issued by `issuer`. */
export function makeCert(issuer: Issued, subject: string, now: Date, o: { ca?: boolean; extensions?: Buffer[]; notAfter?: Date } = {}): Issued {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dn = Dn.fromSlash(subject);
  const signer = PkiBuilder.makeSigner(dn, pair);
  const certDer = PkiBuilder.certificate({
    serial: BigInt(serialCounter++),
    issuer: issuer.signer,
    subjectDer: signer.nameDer,
    publicKey: pair.publicKey,
    notBefore: new Date(now.getTime() - 86_400_000),
    notAfter: o.notAfter ?? new Date(now.getTime() + 86_400_000),
    extensions: [
      PkiBuilder.basicConstraints(o.ca ?? false),
      PkiBuilder.keyUsage(o.ca ? [PkiBuilder.KU.keyCertSign, PkiBuilder.KU.cRLSign] : [PkiBuilder.KU.digitalSignature]),
      ...(o.extensions ?? []),
    ],
  });
  return { signer, der: certDer };
}
