import { Der, Oid } from '@gridauthz/credentials';
import { ext, signed } from './builder';
import type { Signer } from './builder';

const { der } = Der;

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
  const holderName = spec.holderEncoding === 'classic' ? spec.holder.subjectDer : spec.holder.issuerDer;
  // Holder ::= SEQUENCE { baseCertificateID [0] IMPLICIT IssuerSerial }; directoryName [4] is explicit (CHOICE).
  const holder = t.holder ?? der.seq(der.ctx(0, der.seq(der.ctx(4, holderName)), der.int(t.holderSerial ?? spec.holder.serial)));
  const issuer = der.ctx(0, der.seq(der.ctx(4, t.issuerNameDer ?? spec.signer.nameDer)));
  const algorithm =
    spec.signer.keys.privateKey.asymmetricKeyType === 'ec' ? der.seq(der.oid(Oid.ecdsaWithSha256)) : der.seq(der.oid(Oid.sha256WithRSA), der.null());
  const ietfAttr = der.seq(der.ctx(0, der.ctxPrim(6, uri)), der.seq(...spec.fqans.map((f) => der.octets(Buffer.from(f, 'utf8')))));
  const attributes = der.seq(der.seq(der.oid(Oid.vomsFqanAttribute), der.set(ietfAttr)));
  const gas = spec.genericAttributes ?? [];
  const omit = new Set(t.omitExtensions ?? []);
  const targets = t.targets
    ? [ext(Oid.targetInformation, true, der.seq(der.seq(...t.targets.map((h) => der.seq(der.ctx(0, der.ctxPrim(6, Buffer.from(h, 'latin1'))))))))]
    : [];
  const all = [
    ...(gas.length > 0
      ? [
          ext(
            Oid.vomsGenericAttributes,
            false,
            der.seq(
              der.seq(
                der.seq(
                  der.seq(der.ctxPrim(6, uri)),
                  der.seq(...gas.map((ga) => der.seq(...[ga.name, ga.value, ga.qualifier].map((s) => der.octets(Buffer.from(s, 'utf8')))))),
                ),
              ),
            ),
          ),
        ]
      : []),
    ext(Oid.vomsCertSeq, false, der.seq(der.seq(spec.signerCertDer))),
    ext(Oid.noRevAvail, false, der.null()),
    ext(Oid.authorityKeyIdentifier, false, der.seq(der.ctxPrim(0, t.akiKeyId ?? spec.signer.keyId))),
    ...targets,
  ].filter((e) => !omit.has(Der.oidOf(Der.children(Der.readDer(e))[0])));
  const extensions = der.seq(...all, ...(t.extraExtensions ?? []));
  const time = t.utcValidity ? der.utcTime : der.generalizedTime;
  const acinfo = der.seq(
    der.int(t.version ?? 1),
    holder,
    issuer,
    algorithm,
    der.int(spec.serial),
    der.seq(time(spec.notBefore), time(spec.notAfter)),
    attributes,
    extensions,
  );
  return signed(acinfo, spec.signer.keys.privateKey);
}

/** The proxy extension 1.3.6.1.4.1.8005.100.100.5 carrying the ACs (non-critical). */
export function acSeqExtension(acs: readonly Buffer[]): Buffer {
  return ext(Oid.vomsAcSeq, false, der.seq(der.seq(...acs)));
}
