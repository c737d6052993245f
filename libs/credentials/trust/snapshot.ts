import type { Certificate } from '../x509/certificate';
import { pemEncode } from '../pem';
import { verifySignature } from '../x509/certificate';
import type { Crl } from '../x509/crl';
import type { X509Name } from '../x509/name';
import { subjectHash, subjectHashOld } from '../x509/name';
import type { NamespaceRule, SigningPolicyEntry } from './policy-files';

/** A policy file that exists but could not be parsed: its CA gets an unsatisfiable policy (§5.1). */
export const BROKEN = 'broken' as const;

export interface TrustedCa {
  readonly cert: Certificate;
  readonly hash: string;
  readonly oldHash: string;
  /** File the certificate was loaded from (for logs and `cred inspect`). */
  readonly source: string;
  /** CRLs naming this CA as issuer whose signature verifies with its key. */
  readonly crls: readonly Crl[];
  /** CRL files for this CA that could not be used (unparsable, or signature not by this CA). */
  readonly crlProblems: readonly string[];
  readonly signingPolicy: readonly SigningPolicyEntry[] | typeof BROKEN | undefined;
  readonly namespaces: readonly NamespaceRule[] | typeof BROKEN | undefined;
}

/** `<vomsdir>/<vo>/<host>.lsc`: one or more chains, each a list of [subject, issuer] DN pairs in slash form. */
export interface LscFile {
  readonly file: string;
  readonly chains: readonly (readonly string[])[];
}

export interface VomsDirIndex {
  /** False when the vomsdir was missing: every AC then fails with CRED_AC_SIGNER_UNKNOWN (§6.5). */
  readonly available: boolean;
  lsc(vo: string, host: string): LscFile | undefined;
  /** Certificates in `<vomsdir>/<vo>/` first, then in `<vomsdir>/` (§6.5 certificate path). */
  certificates(vo: string): readonly Certificate[];
}

export const emptyVomsDir: VomsDirIndex = { available: false, lsc: () => undefined, certificates: () => [] };

export interface TrustSnapshotStats {
  readonly generation: number;
  readonly loadedAt: Date;
  readonly caCount: number;
  readonly crlCount: number;
  /** Seconds since the newest CRL's thisUpdate (a stuck fetch-crl shows as a growing number), or null. */
  readonly newestCrlAgeSeconds: number | null;
  /** Earliest nextUpdate over all CRLs, or null. */
  readonly earliestCrlNextUpdate: Date | null;
  readonly brokenFiles: number;
}

/** One immutable view of the trust material; a validation uses a single snapshot from start to end (§9.9). */
export class TrustSnapshot {
  private readonly bySubject = new Map<string, TrustedCa[]>();

  constructor(
    readonly cas: readonly TrustedCa[],
    readonly voms: VomsDirIndex,
    readonly generation: number,
    readonly loadedAt: Date,
    readonly brokenFiles: readonly string[] = [],
  ) {
    for (const ca of cas) {
      const key = ca.cert.subject.canonical.toString('hex');
      const list = this.bySubject.get(key) ?? [];
      list.push(ca);
      this.bySubject.set(key, list);
    }
  }

  /** Trusted CAs whose subject equals `name` (canonical equality; several on key rollover, §9.8). */
  casNamed(name: X509Name): readonly TrustedCa[] {
    return this.bySubject.get(name.canonical.toString('hex')) ?? [];
  }

  /** The trusted CA certificate that is byte-identical to `cert`, if any. */
  findCa(cert: Certificate): TrustedCa | undefined {
    return this.casNamed(cert.subject).find((ca) => ca.cert.fingerprint === cert.fingerprint);
  }

  anchorsPem(): string[] {
    return this.cas.map((ca) => pemEncode('CERTIFICATE', ca.cert.der));
  }

  /**
   * CRLs whose nextUpdate is less than `marginMs` away (or past): fetch-crl has not refreshed them, and
   * users of those CAs will be refused with CRED_CRL_EXPIRED once nextUpdate passes (§5.3).
   */
  staleCrls(now: Date, marginMs: number): { ca: string; nextUpdate: Date; fingerprint: string }[] {
    const out: { ca: string; nextUpdate: Date; fingerprint: string }[] = [];
    for (const ca of this.cas)
      for (const crl of ca.crls)
        if (crl.nextUpdate && crl.nextUpdate.getTime() - now.getTime() < marginMs)
          out.push({ ca: ca.cert.subject.dn?.toSlash() ?? '', nextUpdate: crl.nextUpdate, fingerprint: crl.fingerprint });
    return out;
  }

  stats(now: Date = new Date()): TrustSnapshotStats {
    const crls = this.cas.flatMap((ca) => ca.crls);
    const newest = crls.reduce<number | null>((acc, c) => (acc === null || c.thisUpdate.getTime() > acc ? c.thisUpdate.getTime() : acc), null);
    const earliestNext = crls.reduce<number | null>(
      (acc, c) => (c.nextUpdate && (acc === null || c.nextUpdate.getTime() < acc) ? c.nextUpdate.getTime() : acc),
      null,
    );
    return {
      generation: this.generation,
      loadedAt: this.loadedAt,
      caCount: this.cas.length,
      crlCount: crls.length,
      newestCrlAgeSeconds: newest === null ? null : Math.round((now.getTime() - newest) / 1000),
      earliestCrlNextUpdate: earliestNext === null ? null : new Date(earliestNext),
      brokenFiles: this.brokenFiles.length,
    };
  }
}

export interface CaMaterial {
  readonly cert: Certificate;
  readonly source: string;
}

export interface PolicyMaterial<T> {
  readonly value: T | typeof BROKEN;
  readonly file: string;
}

/**
 * Assembles a snapshot from loaded files: dedupes CAs by certificate, attaches to each CA the CRLs it
 * signed and the policy files found under either of its hashes (§5.1, §9.8, §9.10).
 */
export function assembleSnapshot(input: {
  cas: readonly CaMaterial[];
  crls: readonly { crl: Crl; file: string }[];
  brokenCrlFiles: readonly string[];
  signingPolicies: ReadonlyMap<string, PolicyMaterial<SigningPolicyEntry[]>>;
  namespaces: ReadonlyMap<string, PolicyMaterial<NamespaceRule[]>>;
  voms: VomsDirIndex;
  generation: number;
  loadedAt: Date;
  brokenFiles: readonly string[];
}): TrustSnapshot {
  const seen = new Set<string>();
  const cas: TrustedCa[] = [];
  const crlSeen = new Set<string>();
  const uniqueCrls = input.crls.filter(({ crl }) => (crlSeen.has(crl.fingerprint) ? false : (crlSeen.add(crl.fingerprint), true)));
  for (const { cert, source } of input.cas) {
    if (seen.has(cert.fingerprint)) continue;
    seen.add(cert.fingerprint);
    const hash = subjectHash(cert.subject);
    const oldHash = subjectHashOld(cert.subject);
    const crls: Crl[] = [];
    const crlProblems: string[] = [];
    for (const { crl, file } of uniqueCrls) {
      if (!crl.issuer.canonical.equals(cert.subject.canonical)) continue;
      if (verifySignature(crl.tbs, crl.signatureAlgorithm, crl.signature, cert.spki)) crls.push(crl);
      // A CRL under a name shared by two CA certificates (key rollover) is only a problem if nobody signed it.
      else if (!input.cas.some((o) => o.cert.subject.canonical.equals(crl.issuer.canonical) && verifySignature(crl.tbs, crl.signatureAlgorithm, crl.signature, o.cert.spki)))
        crlProblems.push(`${file}: signature does not verify with the CA key`);
    }
    for (const file of input.brokenCrlFiles) {
      const base = file.split('/').pop() ?? file;
      if (base.startsWith(`${hash}.r`) || base.startsWith(`${oldHash}.r`)) crlProblems.push(`${file}: unparsable`);
    }
    const policy = <T>(map: ReadonlyMap<string, PolicyMaterial<T>>): T | typeof BROKEN | undefined =>
      (map.get(hash) ?? map.get(oldHash))?.value;
    cas.push({
      cert,
      hash,
      oldHash,
      source,
      crls,
      crlProblems,
      signingPolicy: policy(input.signingPolicies),
      namespaces: policy(input.namespaces),
    });
  }
  return new TrustSnapshot(cas, input.voms, input.generation, input.loadedAt, input.brokenFiles);
}
