// The VOMS attribute certificate (RFC 5755 AttributeCertificate with the VOMS extensions) laid out with forge.asn1:
// forge has no attribute-certificate writer. Signed with node:crypto, like every structure of builder.ts.
import forge from 'node-forge';
import { Oid } from '@gridauthz/credentials';
import { A, ext, signed, toDer } from './builder';
import type { Signer } from './builder';

export interface AcSpec {
  readonly vo: string;
  readonly host: string;
  readonly port: number;
  readonly signer: Signer;
  /** DER of the signer's certificate, carried in the certseq extension (§6.2). */
  readonly signerCertDer: Buffer;
  readonly holder: { readonly subjectDer: Buffer; readonly issuerDer: Buffer; readonly serial: bigint };
  readonly holderEncoding: 'classic' | 'rfc3281';
  readonly fqans: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serial: bigint | number;
  readonly genericAttributes?: readonly { name: string; value: string; qualifier: string }[];
  /** Deliberate deviations from what voms-server writes, for negative tests. */
  readonly tweak?: AcTweak;
}

export interface AcTweak {
  /** Replaces "<vo>://<host>:<port>". */
  readonly policyAuthority?: string;
  readonly omitExtensions?: readonly string[];
  readonly extraExtensions?: readonly Buffer[];
  /** Target host names, encoded as VOMS does (critical targetInformation, each target in a SEQUENCE). */
  readonly targets?: readonly string[];
  /** Replaces the whole Holder SEQUENCE. */
  readonly holder?: Buffer;
  readonly holderSerial?: bigint;
  readonly utcValidity?: boolean;
  readonly version?: number;
  readonly issuerNameDer?: Buffer;
  readonly akiKeyId?: Buffer;
}

/** One VOMS attribute certificate, encoded the way voms-server does (credentials.md §6.2, §7). */
export function attributeCertificate(spec: AcSpec): Buffer {
  const t = spec.tweak ?? {};
  const uri = Buffer.from(t.policyAuthority ?? `${spec.vo}://${spec.host}:${spec.port}`, 'latin1');
  const utf8 = (s: string): forge.asn1.Asn1 => A.octets(Buffer.from(s, 'utf8'));
  const holderName = spec.holderEncoding === 'classic' ? spec.holder.subjectDer : spec.holder.issuerDer;
  // Holder ::= SEQUENCE { baseCertificateID [0] IMPLICIT IssuerSerial }; directoryName [4] is explicit (CHOICE).
  const holder = t.holder
    ? A.raw(t.holder)
    : A.seq(A.ctx(0, A.seq(A.ctx(4, A.raw(holderName))), A.int(t.holderSerial ?? spec.holder.serial)));
  const issuer = A.ctx(0, A.seq(A.ctx(4, A.raw(t.issuerNameDer ?? spec.signer.nameDer))));
  const algorithm =
    spec.signer.keys.privateKey.asymmetricKeyType === 'ec' ? A.seq(A.oid(Oid.ecdsaWithSha256)) : A.seq(A.oid(Oid.sha256WithRSA), A.null());
  const ietfAttr = A.seq(A.ctx(0, A.ctxPrim(6, uri)), A.seq(...spec.fqans.map(utf8)));
  const attributes = A.seq(A.seq(A.oid(Oid.vomsFqanAttribute), A.set(ietfAttr)));
  const gas = spec.genericAttributes ?? [];
  const omit = new Set(t.omitExtensions ?? []);
  const targets = t.targets
    ? [[Oid.targetInformation, ext(Oid.targetInformation, true, toDer(A.seq(A.seq(...t.targets.map((h) => A.seq(A.ctx(0, A.ctxPrim(6, Buffer.from(h, 'latin1')))))))))] as const]
    : [];
  const gaValue = A.seq(A.seq(A.seq(A.seq(A.ctxPrim(6, uri)), A.seq(...gas.map((ga) => A.seq(utf8(ga.name), utf8(ga.value), utf8(ga.qualifier)))))));
  const all = [
    ...(gas.length > 0 ? [[Oid.vomsGenericAttributes, ext(Oid.vomsGenericAttributes, false, toDer(gaValue))] as const] : []),
    [Oid.vomsCertSeq, ext(Oid.vomsCertSeq, false, toDer(A.seq(A.seq(A.raw(spec.signerCertDer)))))] as const,
    [Oid.noRevAvail, ext(Oid.noRevAvail, false, toDer(A.null()))] as const,
    [Oid.authorityKeyIdentifier, ext(Oid.authorityKeyIdentifier, false, toDer(A.seq(A.ctxPrim(0, t.akiKeyId ?? spec.signer.keyId))))] as const,
    ...targets,
  ]
    .filter(([oid]) => !omit.has(oid))
    .map(([, e]) => e);
  const extensions = A.seq(...[...all, ...(t.extraExtensions ?? [])].map(A.raw));
  const time = t.utcValidity ? A.utcTime : A.generalizedTime;
  const acinfo = A.seq(
    A.int(t.version ?? 1),
    holder,
    issuer,
    algorithm,
    A.int(spec.serial),
    A.seq(time(spec.notBefore), time(spec.notAfter)),
    attributes,
    extensions,
  );
  return signed(toDer(acinfo), spec.signer.keys.privateKey);
}

/** The proxy extension 1.3.6.1.4.1.8005.100.100.5 carrying the ACs (non-critical). */
export function acSeqExtension(acs: readonly Buffer[]): Buffer {
  return ext(Oid.vomsAcSeq, false, toDer(A.seq(A.seq(...acs.map(A.raw)))));
}
