import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { Dn, Fqan } from '@gridauthz/domain';
import { bitString, children, DerError, expectTag, integerBytes, oidOf, readDer, sequence, smallInteger, Tag, timeOf } from '../asn1/der';
import type { DerNode } from '../asn1/der';
import type { CredErrorCode } from '../errors';
import type { TrustSnapshot } from '../trust/snapshot';
import { algorithmOid, extension, parseCertificate, parseExtensions, verifySignature } from '../x509/certificate';
import type { Certificate, Extension } from '../x509/certificate';
import { nameText, parseName } from '../x509/name';
import type { X509Name } from '../x509/name';
import { Oid } from '../x509/oids';
import type { RejectedAc, VomsAc, VomsAttribute } from '../chain/types';

export interface VomsOptions {
  /** Clock skew granted on both AC bounds (§6.6). Default 300. */
  readonly skewSeconds?: number;
  /** §6.9. Default 'ignore-all' (LCMAPS: any bad AC → no FQANs at all). */
  readonly onInvalidAc?: 'ignore-all' | 'drop-invalid' | 'reject';
  /** Host names an AC with targets must name (§6.7). Default: this host's name. */
  readonly acceptedTargets?: readonly string[];
  /** @internal set when validating a VOMS signer's own chain, which has no ACs to look at. */
  readonly skipAcs?: boolean;
}

/** Our limits (§8 CRED_AC_TOO_MANY). */
const MAX_ACS = 16;
const MAX_FQANS = 1024;

export interface VomsOutcome {
  readonly acs: VomsAc[];
  readonly rejected: RejectedAc[];
  readonly warnings: string[];
  readonly window: { from: number; until: number };
}

type SignerCheck = (chain: readonly Certificate[]) => { ok: true; from: number; until: number } | { ok: false; detail: string };

class AcError extends Error {
  constructor(
    readonly code: CredErrorCode,
    message: string,
    readonly vo?: string,
    /** Interval of `now` over which this rejection holds, when it depends on time. */
    readonly holds?: { from: number; until: number },
  ) {
    super(message);
  }
}

/**
 * credentials.md §6: finds the ACs in the leaf-most proxy that carries them, verifies each one, and returns
 * the valid ones plus the rejected ones with their reasons. Never throws.
 */
export function verifyVoms(
  proxies: readonly Certificate[],
  eec: Certificate,
  snapshot: TrustSnapshot,
  opts: VomsOptions & { now: Date },
  checkSigner: SignerCheck,
): VomsOutcome {
  const out: VomsOutcome = { acs: [], rejected: [], warnings: [], window: { from: -Infinity, until: Infinity } };
  if (opts.skipAcs) return out;
  const carrier = proxies.find((p) => extension(p, Oid.vomsAcSeq) !== undefined);
  if (extension(eec, Oid.vomsAcSeq)) out.warnings.push('VOMS extension in the end-entity certificate ignored (§9.5)');
  if (!carrier) return out;
  let acNodes: DerNode[];
  try {
    const ext = extension(carrier, Oid.vomsAcSeq) as Extension;
    const [inner, extra] = sequence(readDer(ext.value), 'ACSeq');
    if (extra !== undefined) throw new DerError('ACSeq: extra fields');
    acNodes = sequence(inner, 'ACSeq.acs');
  } catch (e) {
    out.rejected.push({ index: 0, code: 'CRED_AC_MALFORMED', detail: `ACSeq: ${(e as Error).message}` });
    return out;
  }
  if (acNodes.length > MAX_ACS) {
    out.rejected.push({ index: 0, code: 'CRED_AC_TOO_MANY', detail: `${acNodes.length} ACs (limit ${MAX_ACS})` });
    return out;
  }
  const skewMs = (opts.skewSeconds ?? 300) * 1000;
  let fqanCount = 0;
  for (const [index, node] of acNodes.entries()) {
    try {
      const ac = verifyAc(node, eec, snapshot, opts, skewMs, checkSigner);
      fqanCount += ac.value.fqans.length;
      if (fqanCount > MAX_FQANS) throw new AcError('CRED_AC_TOO_MANY', `more than ${MAX_FQANS} FQANs`, ac.value.vo);
      out.acs.push(ac.value);
      out.window.from = Math.max(out.window.from, ac.value.notBefore.getTime() - skewMs, ac.signerWindow.from);
      out.window.until = Math.min(out.window.until, ac.value.notAfter.getTime() + skewMs, ac.signerWindow.until);
    } catch (e) {
      const err = e instanceof AcError ? e : new AcError('CRED_AC_MALFORMED', (e as Error).message);
      out.rejected.push({ index, code: err.code, detail: err.message, ...(err.vo !== undefined ? { vo: err.vo } : {}) });
      // A rejection that time alone can undo must not be cached outside the time it holds.
      if (err.holds) {
        out.window.from = Math.max(out.window.from, err.holds.from);
        out.window.until = Math.min(out.window.until, err.holds.until);
      }
    }
  }
  return out;
}

interface Decoded {
  acinfo: DerNode;
  algorithm: string;
  signature: Buffer;
  serial: Buffer;
  holder: DerNode;
  issuerName: X509Name;
  notBefore: Date;
  notAfter: Date;
  policyAuthority: string;
  fqans: string[];
  extensions: Extension[];
}

function decode(node: DerNode): Decoded {
  const [acinfo, algNode, sigNode, extra] = sequence(node, 'AttributeCertificate');
  if (extra !== undefined) throw new DerError('AttributeCertificate: extra fields');
  const algorithm = algorithmOid(algNode, 'signatureAlgorithm');
  const signature = bitString(sigNode, 'signatureValue').bytes;
  const f = sequence(acinfo, 'acinfo');
  let i = 0;
  if (smallInteger(f[i++], 'version') !== 1) throw new DerError('AC version is not v2 (1)');
  const holder = expectTag(f[i++], Tag.SEQUENCE, 'holder');
  const issuerNode = f[i++];
  let issuerGeneralNames: DerNode[];
  if (issuerNode?.tag === 0xa0) {
    const v2 = children(issuerNode);
    if (v2[0] === undefined || v2[0].tag !== Tag.SEQUENCE || v2.length !== 1) throw new DerError('v2Form must hold exactly issuerName');
    issuerGeneralNames = children(v2[0]);
  } else {
    issuerGeneralNames = sequence(issuerNode, 'issuer v1Form');
  }
  if (issuerGeneralNames.length !== 1 || issuerGeneralNames[0]?.tag !== 0xa4) throw new AcError('CRED_AC_ISSUER_MISMATCH', 'AC issuer is not exactly one directoryName');
  const issuerName = parseName(expectTag(children(issuerGeneralNames[0])[0], Tag.SEQUENCE, 'issuer Name'));
  const innerAlg = f[i++];
  if (innerAlg === undefined || algNode === undefined || !innerAlg.der.equals(algNode.der)) throw new DerError('acinfo.signature differs from signatureAlgorithm');
  const serial = integerBytes(f[i++], 'serialNumber');
  if (serial.length > 20) throw new DerError('AC serial longer than 20 octets');
  const [nbNode, naNode, vExtra] = sequence(f[i++], 'attrCertValidityPeriod');
  if (nbNode?.tag !== Tag.GeneralizedTime || naNode?.tag !== Tag.GeneralizedTime || vExtra) throw new DerError('AC validity must be two GeneralizedTime values');
  const notBefore = timeOf(nbNode);
  const notAfter = timeOf(naNode);
  if (notBefore.getTime() >= notAfter.getTime()) throw new DerError('AC notBefore is not before notAfter');
  const attributes = sequence(f[i++], 'attributes');
  if (f[i]?.tag === Tag.BIT_STRING) i += 1; // issuerUniqueID, not used
  const extensions = f[i] ? parseExtensions(f[i++]) : [];
  if (f[i] !== undefined) throw new DerError('acinfo: unexpected trailing field');

  const fqanAttrs = attributes.filter((a) => oidOf(sequence(a, 'Attribute')[0], 'attribute type') === Oid.vomsFqanAttribute);
  if (fqanAttrs.length !== 1) throw new DerError(`expected one VOMS FQAN attribute, found ${fqanAttrs.length}`);
  const values = children(expectTag(sequence(fqanAttrs[0], 'Attribute')[1], Tag.SET, 'attribute values'));
  if (values.length !== 1) throw new DerError('VOMS FQAN attribute must hold one IetfAttrSyntax');
  const ietf = sequence(values[0], 'IetfAttrSyntax');
  const authority = ietf[0]?.tag === 0xa0 ? children(ietf.shift() as DerNode) : [];
  if (authority.length !== 1 || authority[0]?.tag !== 0x86)
    throw new AcError('CRED_AC_POLICY_AUTHORITY_INVALID', 'policyAuthority is not exactly one URI');
  const policyAuthority = authority[0].content.toString('latin1');
  const fqanNodes = sequence(ietf[0], 'IetfAttrSyntax.values');
  if (ietf.length !== 1) throw new DerError('IetfAttrSyntax: unexpected fields');
  const fqans = fqanNodes.map((v) => expectTag(v, Tag.OCTET_STRING, 'FQAN').content.toString('utf8'));
  return { acinfo: acinfo as DerNode, algorithm, signature, serial, holder, issuerName, notBefore, notAfter, policyAuthority, fqans, extensions };
}

function verifyAc(
  node: DerNode,
  eec: Certificate,
  snapshot: TrustSnapshot,
  opts: VomsOptions & { now: Date },
  skewMs: number,
  checkSigner: SignerCheck,
): { value: VomsAc; signerWindow: { from: number; until: number } } {
  // 1. Structure.
  let d: Decoded;
  try {
    d = decode(node);
  } catch (e) {
    if (e instanceof AcError) throw e;
    throw new AcError('CRED_AC_MALFORMED', (e as Error).message);
  }
  // 2. Policy authority "<vo>://<host>:<port>".
  const pa = /^([^:/]+):\/\/([^:]+):(\d+)$/.exec(d.policyAuthority);
  if (!pa) throw new AcError('CRED_AC_POLICY_AUTHORITY_INVALID', `policy authority "${d.policyAuthority}" is not <vo>://<host>:<port>`);
  const vo = pa[1] as string;
  const host = pa[2] as string;
  const port = Number(pa[3]);
  // 3. Every FQAN under /<vo>.
  const outside = d.fqans.find((f) => !(f === `/${vo}` || f.startsWith(`/${vo}/`)));
  if (outside !== undefined) throw new AcError('CRED_AC_FQAN_OUTSIDE_VO', `FQAN ${outside} is not in VO ${vo}`, vo);
  // 3b. Every FQAN an FQAN (mapping.md §1.2): one that does not parse cannot be matched by policy or mapping, and
  // dropping it alone would quietly promote the next FQAN to primary; the AC is refused and recorded instead.
  const unparsable = d.fqans.find((f) => Fqan.tryParse(f) === undefined);
  if (unparsable !== undefined) throw new AcError('CRED_AC_FQAN_INVALID', `FQAN "${unparsable}" does not parse`, vo);
  // 4. Extensions.
  const ext = (oid: string): Extension | undefined => d.extensions.find((e) => e.oid === oid);
  const noRev = ext(Oid.noRevAvail);
  const aki = ext(Oid.authorityKeyIdentifier);
  if (!noRev || !aki) throw new AcError('CRED_AC_EXTENSION_MISSING', 'noRevAvail and authorityKeyIdentifier are required', vo);
  const critical = d.extensions.find((e) => e.critical && e.oid !== Oid.targetInformation);
  if (critical) throw new AcError('CRED_AC_CRITICAL_EXTENSION', `critical AC extension ${critical.oid}`, vo);
  // 5. Holder = the EEC of the chain.
  const holderEncoding = checkHolder(d.holder, eec, vo);
  // 6. Time, ±skew (C VOMS rule, §6.6).
  const now = opts.now.getTime();
  if (now < d.notBefore.getTime() - skewMs)
    throw new AcError('CRED_AC_NOT_YET_VALID', `AC not valid before ${d.notBefore.toISOString()}`, vo, { from: -Infinity, until: d.notBefore.getTime() - skewMs });
  if (now >= d.notAfter.getTime() + skewMs)
    throw new AcError('CRED_AC_EXPIRED', `AC expired at ${d.notAfter.toISOString()}`, vo, { from: d.notAfter.getTime() + skewMs, until: Infinity });
  // 7–9. Signer from the vomsdir, its chain, the signature.
  const signerChain = findSigner(d, vo, host, snapshot, ext(Oid.vomsCertSeq));
  const signer = signerChain[0] as Certificate;
  const chainCheck = checkSigner(signerChain);
  // The signer may become valid (or its CRL fresh) later: hold this rejection for one minute only.
  if (!chainCheck.ok)
    throw new AcError('CRED_AC_SIGNER_UNTRUSTED', `VOMS signer ${nameText(signer.subject)}: ${chainCheck.detail}`, vo, { from: now, until: now + 60_000 });
  if (!verifySignature(d.acinfo.der, d.algorithm, d.signature, signer.spki))
    throw new AcError('CRED_AC_SIGNATURE_INVALID', `AC signature does not verify with the key of ${nameText(signer.subject)}`, vo);
  // 10. Issuer binding: issuer name and authority key identifier name the signer.
  if (!d.issuerName.canonical.equals(signer.subject.canonical))
    throw new AcError('CRED_AC_ISSUER_MISMATCH', `AC issuer ${nameText(d.issuerName)} is not the signer ${nameText(signer.subject)}`, vo);
  checkAki(aki, signer, vo);
  // 11. Targets.
  const targets = decodeTargets(ext(Oid.targetInformation), vo);
  if (targets.length > 0) {
    const accepted = (opts.acceptedTargets ?? [hostname()]).map((t) => t.toLowerCase());
    if (!targets.some((t) => accepted.includes(t.toLowerCase())))
      throw new AcError('CRED_AC_TARGET_MISMATCH', `AC targets ${targets.join(', ')} do not include this service`, vo);
  }
  // 12. Generic attributes.
  const attributes = decodeGenericAttributes(ext(Oid.vomsGenericAttributes), vo);
  return {
    value: {
      vo,
      host,
      port,
      issuer: d.issuerName.dn as Dn,
      signer: signer.subject.dn as Dn,
      serialHex: d.serial.toString('hex').toUpperCase().replace(/^0+(?=.)/, ''),
      notBefore: d.notBefore,
      notAfter: d.notAfter,
      holderEncoding,
      fqans: d.fqans,
      attributes,
      targets,
    },
    signerWindow: { from: chainCheck.from, until: chainCheck.until },
  };
}

/** §6.3: baseCertificateID with one directoryName equal to the EEC subject (classic) or issuer (rfc3281). */
function checkHolder(holder: DerNode, eec: Certificate, vo: string): 'classic' | 'rfc3281' {
  const parts = children(holder);
  const base = parts.find((p) => p.tag === 0xa0);
  if (!base || parts.some((p) => p.tag === 0xa2)) throw new AcError('CRED_AC_HOLDER_UNSUPPORTED', 'holder without baseCertificateID, or with objectDigestInfo', vo);
  const [namesNode, serialNode, uidNode] = children(base);
  const names = sequence(namesNode, 'holder issuer GeneralNames');
  if (names.length !== 1 || names[0]?.tag !== 0xa4) throw new AcError('CRED_AC_HOLDER_UNSUPPORTED', 'holder issuer is not exactly one directoryName', vo);
  const name = parseName(expectTag(children(names[0])[0], Tag.SEQUENCE, 'holder Name'));
  const encoding = name.canonical.equals(eec.subject.canonical) ? 'classic' : name.canonical.equals(eec.issuer.canonical) ? 'rfc3281' : undefined;
  if (!encoding) throw new AcError('CRED_AC_HOLDER_MISMATCH', `AC holder ${nameText(name)} is neither the subject nor the issuer of the end-entity certificate`, vo);
  if (!integerBytes(serialNode, 'holder serial').equals(eec.serial))
    throw new AcError('CRED_AC_HOLDER_MISMATCH', `AC holder serial differs from the end-entity certificate serial ${eec.serialHex}`, vo);
  const uid = uidNode ? bitString(uidNode, 'issuerUID').bytes : undefined;
  if ((uid === undefined) !== (eec.issuerUniqueId === undefined) || (uid && eec.issuerUniqueId && !uid.equals(eec.issuerUniqueId.subarray(1))))
    throw new AcError('CRED_AC_HOLDER_MISMATCH', 'AC holder issuerUID does not match the end-entity certificate', vo);
  return encoding;
}

/** §6.5: `.lsc` path when certseq and `<vo>/<host>.lsc` exist (authoritative), else vomsdir certificates. */
function findSigner(d: Decoded, vo: string, host: string, snapshot: TrustSnapshot, certSeqExt: Extension | undefined): Certificate[] {
  let certSeq: Certificate[] | undefined;
  if (certSeqExt) {
    try {
      const [inner] = sequence(readDer(certSeqExt.value), 'ACCerts');
      certSeq = sequence(inner, 'ACCerts.certs').map((n) => parseCertificate(n.der));
    } catch (e) {
      throw new AcError('CRED_AC_MALFORMED', `certseq: ${(e as Error).message}`, vo);
    }
    if (certSeq.length === 0) certSeq = undefined;
  }
  if (!snapshot.voms.available) throw new AcError('CRED_AC_SIGNER_UNKNOWN', 'no vomsdir configured or readable', vo);
  const lsc = snapshot.voms.lsc(vo, host);
  if (certSeq && lsc) {
    const seq = certSeq;
    const sameDn = (line: string, name: X509Name): boolean => {
      try {
        return name.dn !== undefined && Dn.fromSlash(line).equals(name.dn);
      } catch {
        return false;
      }
    };
    const match = lsc.chains.some(
      (chain) => chain.length === 2 * seq.length && seq.every((c, i) => sameDn(chain[2 * i] as string, c.subject) && sameDn(chain[2 * i + 1] as string, c.issuer)),
    );
    if (!match) throw new AcError('CRED_AC_LSC_MISMATCH', `no chain in ${lsc.file} matches the AC signer chain`, vo);
    return seq;
  }
  const candidates = snapshot.voms.certificates(vo);
  const ordered = [...candidates.filter((c) => c.subject.canonical.equals(d.issuerName.canonical)), ...candidates.filter((c) => !c.subject.canonical.equals(d.issuerName.canonical))];
  const signer = ordered.find((c) => verifySignature(d.acinfo.der, d.algorithm, d.signature, c.spki));
  if (!signer) throw new AcError('CRED_AC_SIGNER_UNKNOWN', `no .lsc and no certificate in the vomsdir for ${vo}/${host} verifies the AC`, vo);
  return [signer];
}

function checkAki(aki: Extension, signer: Certificate, vo: string): void {
  let fields: DerNode[];
  try {
    fields = sequence(readDer(aki.value), 'authorityKeyIdentifier');
  } catch (e) {
    throw new AcError('CRED_AC_MALFORMED', `authorityKeyIdentifier: ${(e as Error).message}`, vo);
  }
  const keyId = fields.find((n) => n.tag === 0x80)?.content;
  if (keyId !== undefined) {
    const bitsHash = createHash('sha1').update(signer.publicKeyBits).digest();
    // Java compares with the signer's SKI, C with SHA-1 of its key bits; both agree in practice (§6.4 step 10).
    if (!keyId.equals(signer.subjectKeyId ?? bitsHash) && !keyId.equals(bitsHash))
      throw new AcError('CRED_AC_ISSUER_MISMATCH', 'AC authorityKeyIdentifier does not name the signer key', vo);
    return;
  }
  // issuer + serial form: they must name the signer certificate.
  const issuerNames = fields.find((n) => n.tag === 0xa1);
  const serial = fields.find((n) => n.tag === 0x82)?.content;
  const dirName = issuerNames ? children(issuerNames).find((g) => g.tag === 0xa4) : undefined;
  const named = dirName ? parseName(expectTag(children(dirName)[0], Tag.SEQUENCE, 'AKI issuer')) : undefined;
  const serialMatches = serial !== undefined && Buffer.from(serial[0] === 0 && serial.length > 1 ? serial.subarray(1) : serial).equals(signer.serial);
  if (!named || !named.canonical.equals(signer.issuer.canonical) || !serialMatches)
    throw new AcError('CRED_AC_ISSUER_MISMATCH', 'AC authorityKeyIdentifier issuer/serial does not name the signer certificate', vo);
}

/** VOMS' targetInformation (each target wrapped in an extra SEQUENCE), plus the plain RFC 3281 form. */
function decodeTargets(ext: Extension | undefined, vo: string): string[] {
  if (!ext) return [];
  try {
    const out: string[] = [];
    for (const targets of sequence(readDer(ext.value), 'TargetInformation')) {
      for (let target of sequence(targets, 'Targets')) {
        if (target.tag === Tag.SEQUENCE) target = children(target)[0] as DerNode;
        if (target?.tag !== 0xa0) continue; // targetGroup / targetCert: not names of this host
        const generalName = children(target)[0];
        if (generalName && (generalName.tag === 0x86 || generalName.tag === 0x82)) out.push(generalName.content.toString('latin1'));
      }
    }
    return out;
  } catch (e) {
    throw new AcError('CRED_AC_MALFORMED', `targetInformation: ${(e as Error).message}`, vo);
  }
}

function decodeGenericAttributes(ext: Extension | undefined, vo: string): VomsAttribute[] {
  if (!ext) return [];
  try {
    const out: VomsAttribute[] = [];
    const [providers] = sequence(readDer(ext.value), 'FullAttributes');
    for (const holder of providers ? sequence(providers, 'providers') : []) {
      const [, attrs] = sequence(holder, 'AttributeHolder');
      for (const ga of sequence(attrs, 'attributes')) {
        const [n, v, q] = sequence(ga, 'GenericAttribute').map((x) => expectTag(x, Tag.OCTET_STRING, 'generic attribute field').content.toString('utf8'));
        out.push({ name: n ?? '', value: v ?? '', qualifier: q ?? '' });
      }
    }
    return out;
  } catch (e) {
    throw new AcError('CRED_AC_MALFORMED', `generic attributes: ${(e as Error).message}`, vo);
  }
}

/** A VOMS AC as read by a client, without any verification: what a PEP puts in its query (ARC, the GUMS client). */
export interface UnverifiedVomsAttributes {
  readonly vo: string | undefined;
  /** The AC issuer (the VOMS server), which PRIMA sends as the Evidence assertion Issuer. */
  readonly issuer: Dn | undefined;
  /** FQANs in AC order, the first the primary one. */
  readonly fqans: readonly string[];
}

/**
 * The VOMS ACs of a proxy chain, decoded but NOT verified: for a client (gridauthz query) that sends what it holds,
 * as real PEPs do; the server verifies. Undecodable ACs are skipped.
 */
export function unverifiedVomsAttributes(chain: readonly Certificate[]): UnverifiedVomsAttributes[] {
  const carrier = chain.find((c) => extension(c, Oid.vomsAcSeq) !== undefined);
  if (carrier === undefined) return [];
  const out: UnverifiedVomsAttributes[] = [];
  try {
    const [inner] = sequence(readDer((extension(carrier, Oid.vomsAcSeq) as Extension).value), 'ACSeq');
    for (const node of sequence(inner, 'ACSeq.acs').slice(0, MAX_ACS)) {
      try {
        const d = decode(node);
        out.push({ vo: /^([^:/]+):\/\//.exec(d.policyAuthority)?.[1], issuer: d.issuerName.dn, fqans: d.fqans });
      } catch {
        // skipped: the server will say why
      }
    }
  } catch {
    return [];
  }
  return out;
}
