import { Dn, Fqan } from '@gridauthz/domain';
import { credFail } from '../errors';
import type { CredErrorCode, CredFailure, CredResult } from '../errors';
import { globusPatternMatches, namespacePatternMatches, normaliseDnText } from '../trust/policy-files';
import { BROKEN } from '../trust/snapshot';
import type { TrustedCa, TrustSnapshot } from '../trust/snapshot';
import type { TrustStore } from '../trust/igtf-store';
import { extension, hasKeyUsage, isSelfIssued, KeyUsageBit, verifySignature } from '../x509/certificate';
import type { Certificate } from '../x509/certificate';
import { nameText } from '../x509/name';
import { Oid } from '../x509/oids';
import { verifyVoms } from '../voms/verify';
import type { VomsOptions } from '../voms/verify';
import { leafFirstOrder, parseCertificateCached } from './presented';
import { classify, extendsByOneRdn } from './proxy-info';
import type { Classification, ProxyClass } from './proxy-info';
import type { ChainEntry, ProxyInfo, ValidatedCredential } from './types';

export type CrlMode = 'if-valid' | 'require' | 'ignore';
/** canl-java namespace modes (credentials.md §5.6). */
export type NamespaceMode =
  | 'EUGRIDPMA_GLOBUS'
  | 'GLOBUS_EUGRIDPMA'
  | 'EUGRIDPMA'
  | 'GLOBUS'
  | 'EUGRIDPMA_GLOBUS_REQUIRE'
  | 'GLOBUS_EUGRIDPMA_REQUIRE'
  | 'EUGRIDPMA_REQUIRE'
  | 'GLOBUS_REQUIRE'
  | 'EUGRIDPMA_AND_GLOBUS'
  | 'EUGRIDPMA_AND_GLOBUS_REQUIRE'
  | 'IGNORE';

/** Configuration of credentials.md §11; every field but `now` has the spec's default. */
export interface ValidationOptions {
  readonly now: Date;
  readonly crl?: CrlMode;
  readonly namespaces?: NamespaceMode;
  readonly proxy?: {
    readonly limited?: 'allow' | 'deny' | 'require';
    readonly independent?: 'reject' | 'as-eec';
    readonly maxDepth?: number;
    readonly notBeforeSkewSeconds?: number;
  };
  readonly voms?: VomsOptions;
  /**
   * Certificate names whose legacy slash text names a different name (docs/identities.md): 'refuse' (default)
   * fails the chain with CRED_DN_AMBIGUOUS; 'allow' accepts them (trust.allowAmbiguousDns), compared structurally.
   */
  readonly ambiguousDns?: 'refuse' | 'allow';
}

/** Certificates in a presented chain, and bytes of DER, we look at before any signature work (§3.3, §9.21). */
export const MAX_CERTIFICATES = 16;
const MAX_CHAIN_BYTES = 256 * 1024;

interface Node {
  readonly cert: Certificate;
  readonly cls: Classification;
  readonly anchor: TrustedCa | undefined; // set when the certificate came from the trust directory
}

/** Interval of `now` values over which a result stays the same for the same trust snapshot (for caching). */
export interface ValidityWindow {
  readonly from: number;
  readonly until: number;
}

/**
 * Validates a presented chain in the order of credentials.md §1.1: decode, classify, order leaf first (when the
 * certificates form one issuer chain; otherwise the first is the leaf), build the path, proxy rules, PKI rules,
 * VOMS. Never throws: bad input of any kind becomes a typed failure.
 */
export function validateChain(chainDer: readonly Buffer[], trust: TrustStore | TrustSnapshot, options: ValidationOptions): CredResult<ValidatedCredential> {
  return validateChainWithWindow(chainDer, 'current' in trust ? trust.current() : trust, options).result;
}

export function validateChainWithWindow(
  chainDer: readonly Buffer[],
  snapshot: TrustSnapshot,
  options: ValidationOptions,
): { result: CredResult<ValidatedCredential>; window: ValidityWindow } {
  const now = options.now.getTime();
  try {
    return run(chainDer, snapshot, options);
  } catch (e) {
    // Defence in depth: every parser path is wrapped, but nothing may escape as an exception.
    return { result: credFail('CRED_CHAIN_MALFORMED', `unexpected: ${(e as Error).message}`), window: { from: now, until: now } };
  }
}

function run(chainDer: readonly Buffer[], snapshot: TrustSnapshot, options: ValidationOptions): { result: CredResult<ValidatedCredential>; window: ValidityWindow } {
  const now = options.now.getTime();
  const window = { from: -Infinity, until: Infinity };
  const failed = (f: { ok: false; error: CredFailure }): { result: CredResult<ValidatedCredential>; window: ValidityWindow } => ({
    result: f,
    window: { from: now, until: now },
  });
  const maxProxies = options.proxy?.maxDepth ?? 10;
  const skewMs = (options.proxy?.notBeforeSkewSeconds ?? 300) * 1000;

  // 1. Decode (caps first: no parsing or signature work on oversized input).
  if (chainDer.length === 0) return failed(credFail('CRED_CHAIN_EMPTY', 'no certificate presented'));
  if (chainDer.length > MAX_CERTIFICATES) return failed(credFail('CRED_CHAIN_TOO_LONG', `${chainDer.length} certificates presented (limit ${MAX_CERTIFICATES})`));
  if (chainDer.reduce((n, b) => n + b.length, 0) > MAX_CHAIN_BYTES) return failed(credFail('CRED_CHAIN_TOO_LONG', `chain larger than ${MAX_CHAIN_BYTES} bytes`));
  const presented: Node[] = [];
  const seen = new Set<string>();
  for (const [i, der] of chainDer.entries()) {
    let cert: Certificate;
    try {
      if (!Buffer.isBuffer(der)) throw new Error('not a Buffer');
      cert = parseCertificateCached(der);
    } catch (e) {
      return failed(credFail('CRED_CHAIN_MALFORMED', `certificate ${i}: ${(e as Error).message}`, i));
    }
    if (seen.has(cert.fingerprint)) continue; // duplicates are ignored (§3.3)
    seen.add(cert.fingerprint);
    // 2. Classify.
    presented.push({ cert, cls: classify(cert), anchor: undefined });
  }
  // Leaf first: a query's chain arrives as its client wrote it (a TLS chain already is in this order).
  const order = leafFirstOrder(presented.map((n) => n.cert));
  if (order !== undefined) presented.splice(0, presented.length, ...order.map((i) => presented[i] as Node));

  // 3. Build the path leaf → … → EEC → CA(s) → trust anchor.
  const built = buildPath(presented, snapshot, maxProxies);
  if (!built.ok) return failed(built);
  const path = built.value;
  const eecIndex = path.findIndex((n) => n.cls.kind !== 'proxy');
  const proxies = path.slice(0, eecIndex);
  const eec = path[eecIndex] as Node;
  const subjectOf = (k: number): string => nameText((path[k] as Node).cert.subject);
  const warnings: string[] = [];

  // 4. Proxy rules, per proxy (P1–P9, §3.4) then along the chain (§3.5).
  for (let k = 0; k < proxies.length; k += 1) {
    const p = path[k] as Node;
    const issuer = (path[k + 1] as Node).cert;
    const cert = p.cert;
    if (p.cls.kind !== 'proxy') continue;
    if (p.cls.problem) return failed(credFail(p.cls.problem.code, p.cls.problem.detail, k, subjectOf(k)));
    if (p.cls.warning) warnings.push(`certificate ${k}: ${p.cls.warning}`);
    if (issuer.subject.rdns.length === 0 || !cert.issuer.canonical.equals(issuer.subject.canonical))
      return failed(credFail('CRED_PROXY_ISSUER_MISMATCH', 'proxy issuer name differs from the subject of the certificate that signed it', k, subjectOf(k)));
    const last = cert.subject.dn?.rdns.at(-1);
    if (!extendsByOneRdn(cert) || !last || last.length !== 1 || last[0]?.type !== 'CN')
      return failed(credFail('CRED_PROXY_SUBJECT_INVALID', 'proxy subject must be its issuer subject plus one single-valued CN', k, subjectOf(k)));
    if (issuer.keyUsage !== undefined && !hasKeyUsage(issuer, KeyUsageBit.digitalSignature))
      return failed(credFail('CRED_PROXY_ISSUER_KEY_USAGE', 'the issuer of a proxy must allow digitalSignature', k, subjectOf(k)));
    if (cert.basicConstraints?.ca) return failed(credFail('CRED_PROXY_IS_CA', 'proxy certificate with basicConstraints cA=TRUE', k, subjectOf(k)));
    if (extension(cert, Oid.subjectAltName) || extension(cert, Oid.issuerAltName))
      return failed(credFail('CRED_PROXY_ALT_NAME', 'proxy certificate with subjectAltName or issuerAltName', k, subjectOf(k)));
    if (now < cert.notBefore.getTime() - skewMs)
      return failed(credFail('CRED_PROXY_NOT_YET_VALID', `proxy not valid before ${cert.notBefore.toISOString()}`, k, subjectOf(k)));
    if (now >= cert.notAfter.getTime()) return failed(credFail('CRED_PROXY_EXPIRED', `proxy expired at ${cert.notAfter.toISOString()}`, k, subjectOf(k)));
    window.from = Math.max(window.from, cert.notBefore.getTime() - skewMs);
    window.until = Math.min(window.until, cert.notAfter.getTime());
    const unhandled = unhandledCritical(cert, 'proxy');
    if (unhandled) return failed(credFail('CRED_UNHANDLED_CRITICAL_EXTENSION', `critical extension ${unhandled} not understood`, k, subjectOf(k)));
    if (p.cls.proxy.policy === 'restricted')
      return failed(credFail('CRED_PROXY_RESTRICTED_UNSUPPORTED', `proxy policy language ${p.cls.proxy.policyLanguage ?? '?'} cannot be enforced`, k, subjectOf(k)));
    if (p.cls.proxy.policy === 'independent' && (options.proxy?.independent ?? 'reject') === 'reject')
      return failed(credFail('CRED_PROXY_INDEPENDENT_NOT_ALLOWED', 'independent proxies are not accepted', k, subjectOf(k)));
  }
  const classes = proxies.map((n) => (n.cls as { proxy: ProxyClass }).proxy);
  // Path length: OpenSSL's walk from the leaf, carrying the smaller of the count and each constraint (§3.5).
  let below = 0;
  for (const [k, pc] of classes.entries()) {
    if (pc.pathLen !== null) {
      if (below > pc.pathLen)
        return failed(credFail('CRED_PROXY_PATH_LENGTH_EXCEEDED', `${below} proxies below a proxy allowing ${pc.pathLen}`, k, subjectOf(k)));
      below = pc.pathLen;
    }
    below += 1;
  }
  for (let k = 0; k + 1 < classes.length; k += 1) {
    const lower = classes[k] as ProxyClass;
    const upper = classes[k + 1] as ProxyClass;
    if (lower.format !== upper.format)
      return failed(credFail('CRED_PROXY_FORMAT_MIXED', `${lower.format} proxy issued by a ${upper.format} proxy`, k, subjectOf(k)));
    if (upper.policy === 'limited' && lower.policy !== 'limited')
      return failed(credFail('CRED_PROXY_LIMITED_ESCALATION', 'a proxy issued by a limited proxy must be limited', k, subjectOf(k)));
  }
  const limited = classes.some((c) => c.policy === 'limited');
  const limitedMode = options.proxy?.limited ?? 'allow';
  if (limited && limitedMode === 'deny') return failed(credFail('CRED_PROXY_LIMITED_NOT_ALLOWED', 'limited proxies are not accepted', 0, subjectOf(0)));
  if (!limited && limitedMode === 'require') return failed(credFail('CRED_PROXY_LIMITED_REQUIRED', 'a limited proxy is required', 0, subjectOf(0)));

  // 5. PKI rules for the EEC and the CAs (§4, §5): time, CA constraints, critical extensions, CRLs, namespaces.
  for (let k = eecIndex; k < path.length; k += 1) {
    const cert = (path[k] as Node).cert;
    if (now < cert.notBefore.getTime() || now > cert.notAfter.getTime()) {
      if (k > eecIndex) return failed(credFail('CRED_CA_EXPIRED', `CA certificate outside ${cert.notBefore.toISOString()} .. ${cert.notAfter.toISOString()}`, k, subjectOf(k)));
      return failed(
        now < cert.notBefore.getTime()
          ? credFail('CRED_CERT_NOT_YET_VALID', `certificate not valid before ${cert.notBefore.toISOString()}`, k, subjectOf(k))
          : credFail('CRED_CERT_EXPIRED', `certificate expired at ${cert.notAfter.toISOString()}`, k, subjectOf(k)),
      );
    }
    window.from = Math.max(window.from, cert.notBefore.getTime());
    window.until = Math.min(window.until, cert.notAfter.getTime() + 1);
  }
  if (eec.cls.kind !== 'eec' || eec.cert.subject.dn === undefined)
    return failed(credFail('CRED_PROXY_NO_EEC', 'the first non-proxy certificate is not an end-entity certificate with a subject', eecIndex, subjectOf(eecIndex)));
  let casBelow = 0;
  for (let k = eecIndex + 1; k < path.length; k += 1) {
    const cert = (path[k] as Node).cert;
    if (!cert.basicConstraints?.ca) return failed(credFail('CRED_CA_INVALID', 'issuer certificate is not a CA (basicConstraints cA)', k, subjectOf(k)));
    if (cert.keyUsage !== undefined && !hasKeyUsage(cert, KeyUsageBit.keyCertSign))
      return failed(credFail('CRED_CA_INVALID', 'CA keyUsage lacks keyCertSign', k, subjectOf(k)));
    const pathLen = cert.basicConstraints.pathLen;
    if (pathLen !== null && casBelow > pathLen) return failed(credFail('CRED_CA_INVALID', `CA pathLenConstraint ${pathLen} exceeded`, k, subjectOf(k)));
    if (!isSelfIssued(cert)) casBelow += 1;
  }
  for (let k = eecIndex; k < path.length; k += 1) {
    const unhandled = unhandledCritical((path[k] as Node).cert, k === eecIndex ? 'eec' : 'ca');
    if (unhandled) return failed(credFail('CRED_UNHANDLED_CRITICAL_EXTENSION', `critical extension ${unhandled} not understood`, k, subjectOf(k)));
  }
  const crlMode = options.crl ?? 'if-valid';
  for (let k = eecIndex; k < path.length - 1 && crlMode !== 'ignore'; k += 1) {
    const crl = checkRevocation((path[k] as Node).cert, path[k + 1] as Node, snapshot, now, crlMode);
    if (!crl.ok) return failed(credFail(crl.code, crl.detail, k, subjectOf(k)));
    window.from = Math.max(window.from, crl.from);
    window.until = Math.min(window.until, crl.until);
  }
  const mode = options.namespaces ?? 'EUGRIDPMA_GLOBUS';
  for (let k = eecIndex; k < path.length - 1 && mode !== 'IGNORE'; k += 1) {
    if (isSelfIssued((path[k] as Node).cert)) continue;
    const ns = checkNamespace(path, k, snapshot, mode);
    if (ns) return failed(credFail(ns.code, ns.detail, k, subjectOf(k)));
  }

  // 5b. Names (docs/identities.md): the EEC and proxy subjects become the identity and are matched against slash-form
  // grid-mapfiles, bans and LCMAPS/gLExec on other hosts; a name whose slash text reads as another name could pass
  // for that name there. CA names are the site's own trust choice and are not checked.
  if ((options.ambiguousDns ?? 'refuse') === 'refuse') {
    for (let k = 0; k <= eecIndex; k += 1) {
      const why = (path[k] as Node).cert.subject.dn?.slashAmbiguity();
      if (why !== undefined)
        return failed(credFail('CRED_DN_AMBIGUOUS', `subject name is ambiguous in the slash form: ${why}`, k, (path[k] as Node).cert.subject.dn?.toSlash()));
    }
  }

  // 6. VOMS attribute certificates (§6): AC failures are recorded, and only fail the chain in 'reject' mode.
  const voms = verifyVoms(
    proxies.map((n) => n.cert),
    eec.cert,
    snapshot,
    Object.assign({}, options.voms, { now: options.now }),
    (signerChain) => validateSignerChain(signerChain, snapshot, options),
  );
  warnings.push(...voms.warnings);
  if (voms.rejected.length > 0 && options.voms?.onInvalidAc === 'reject') {
    const first = voms.rejected[0] as { code: CredErrorCode; detail: string };
    return failed(credFail(first.code, `VOMS AC rejected: ${first.detail}`, 0, subjectOf(0)));
  }
  window.from = Math.max(window.from, voms.window.from);
  window.until = Math.min(window.until, voms.window.until);
  const onInvalid = options.voms?.onInvalidAc ?? 'ignore-all';
  // verifyVoms refused every AC with an FQAN that does not parse (CRED_AC_FQAN_INVALID), so parse cannot throw here.
  const fqans = onInvalid === 'ignore-all' && voms.rejected.length > 0 ? [] : voms.acs.flatMap((ac) => ac.fqans.map((f) => Fqan.parse(f)));

  const chain: ChainEntry[] = path.map((n, k) => ({
    role: n.cls.kind,
    subject: n.cert.subject.dn,
    issuer: n.cert.issuer.dn,
    serialHex: n.cert.serialHex,
    notBefore: n.cert.notBefore,
    notAfter: n.cert.notAfter,
    fingerprint: n.cert.fingerprint,
    der: n.cert.der,
    trustAnchor: k === path.length - 1,
  }));
  const proxyInfos: ProxyInfo[] = proxies.map((n, k) => ({
    subject: n.cert.subject.dn as Dn,
    format: (classes[k] as ProxyClass).format,
    policy: (classes[k] as ProxyClass).policy,
    pathLen: (classes[k] as ProxyClass).pathLen,
    notBefore: n.cert.notBefore,
    notAfter: n.cert.notAfter,
  }));
  const anchorDn = (path[path.length - 1] as Node).cert.subject.dn;
  const value: ValidatedCredential = {
    identity: {
      subject: eec.cert.subject.dn as Dn,
      issuer: eec.cert.issuer.dn ?? (anchorDn as Dn),
      serialHex: eec.cert.serialHex,
    },
    proxies: proxyInfos,
    limited,
    trustAnchor: anchorDn ?? Dn.fromSlash('/CN=unnamed'),
    notAfter: new Date(Math.min(...path.map((n) => n.cert.notAfter.getTime()))),
    chain,
    voms: { acs: voms.acs, rejected: voms.rejected },
    fqans,
    primaryFqan: fqans[0],
    warnings,
  };
  return { result: { ok: true, value }, window: { from: window.from, until: window.until } };
}

type PathResult = { ok: true; value: Node[] } | { ok: false; error: CredFailure };

/** Follows issuer → subject links with signature checks; trust comes only from the snapshot (§3.3, §4, §9.7). */
function buildPath(presented: readonly Node[], snapshot: TrustSnapshot, maxProxies: number): PathResult {
  const leaf = presented[0] as Node;
  const path: Node[] = [leaf];
  const inPath = new Set<string>([leaf.cert.fingerprint]);
  let proxyCount = leaf.cls.kind === 'proxy' ? 1 : 0;
  const at = (k: number): string => nameText((path[k] as Node).cert.subject);
  for (;;) {
    const k = path.length - 1;
    const cur = path[k] as Node;
    if (path.length > MAX_CERTIFICATES) return credFail('CRED_CHAIN_TOO_LONG', `path longer than ${MAX_CERTIFICATES} certificates`, k, at(k));
    if (cur.cls.kind === 'proxy') {
      if (proxyCount > maxProxies) return credFail('CRED_CHAIN_TOO_LONG', `more than ${maxProxies} proxies`, k, at(k));
      const named = presented.filter((n) => n.cert.subject.canonical.equals(cur.cert.issuer.canonical));
      const fresh = named.filter((n) => !inPath.has(n.cert.fingerprint));
      if (named.length > 0 && fresh.length === 0) return credFail('CRED_CHAIN_MALFORMED', 'the chain loops back on itself', k, at(k));
      const issuer = fresh.find((n) => verifySignature(cur.cert.tbs, cur.cert.signatureAlgorithm, cur.cert.signature, n.cert.spki));
      if (!issuer) {
        if (fresh.length > 0) return credFail('CRED_PROXY_SIGNATURE_INVALID', 'proxy signature does not verify with its issuer key', k, at(k));
        const ca = snapshot.casNamed(cur.cert.issuer).find((c) => verifySignature(cur.cert.tbs, cur.cert.signatureAlgorithm, cur.cert.signature, c.cert.spki));
        if (ca || cur.cert.basicConstraints?.ca) return credFail('CRED_PROXY_ISSUED_BY_CA', 'a proxy must be issued by an end-entity certificate or a proxy', k, at(k));
        if (presented.every((n) => n.cls.kind === 'proxy')) return credFail('CRED_PROXY_NO_EEC', 'only proxy certificates were presented', k, at(k));
        return credFail('CRED_CHAIN_BROKEN', `issuer ${nameText(cur.cert.issuer)} of the proxy was not presented`, k, at(k));
      }
      if (issuer.cls.kind === 'ca') return credFail('CRED_PROXY_ISSUED_BY_CA', 'a proxy must be issued by an end-entity certificate or a proxy', k, at(k));
      path.push(issuer);
      inPath.add(issuer.cert.fingerprint);
      if (issuer.cls.kind === 'proxy') proxyCount += 1;
      continue;
    }
    // EEC or CA: a trust-directory issuer first; presented CAs serve as untrusted intermediates only.
    if (cur.anchor && isSelfIssued(cur.cert)) return { ok: true, value: path };
    const verifies = (issuerCert: Certificate): boolean => verifySignature(cur.cert.tbs, cur.cert.signatureAlgorithm, cur.cert.signature, issuerCert.spki);
    const trusted = snapshot.casNamed(cur.cert.issuer).filter((c) => !inPath.has(c.cert.fingerprint));
    const anchor = trusted.find((c) => verifies(c.cert));
    if (anchor) {
      path.push({ cert: anchor.cert, cls: { kind: 'ca' }, anchor });
      inPath.add(anchor.cert.fingerprint);
      continue;
    }
    if (cur.anchor) return { ok: true, value: path }; // an intermediate in the trust directory whose issuer is not (§4.1)
    const named = presented.filter((n) => n !== cur && n.cert.subject.canonical.equals(cur.cert.issuer.canonical));
    const fresh = named.filter((n) => !inPath.has(n.cert.fingerprint));
    const intermediate = fresh.find((n) => verifies(n.cert));
    if (intermediate) {
      if (intermediate.cls.kind === 'proxy') return credFail('CRED_PROXY_EEC_IN_CHAIN', 'a non-proxy certificate issued by a proxy', k, at(k));
      path.push(intermediate);
      inPath.add(intermediate.cert.fingerprint);
      continue;
    }
    if (trusted.length > 0 || fresh.length > 0)
      return credFail('CRED_CERT_SIGNATURE_INVALID', `signature does not verify with the key of ${nameText(cur.cert.issuer)}`, k, at(k));
    if (named.length > 0 && !isSelfIssued(cur.cert)) return credFail('CRED_CHAIN_MALFORMED', 'the chain loops back on itself', k, at(k));
    return credFail('CRED_CA_UNKNOWN', `no trusted CA ${nameText(cur.cert.issuer)}`, k, at(k));
  }
}

const UNDERSTOOD_ANY = new Set<string>([
  Oid.basicConstraints,
  Oid.keyUsage,
  Oid.extKeyUsage,
  Oid.certificatePolicies,
  Oid.subjectKeyIdentifier,
  Oid.authorityKeyIdentifier,
  Oid.netscapeCertType,
]);

/** §4.3: the critical extensions we understand, by position; returns the first one we do not. */
function unhandledCritical(cert: Certificate, role: 'proxy' | 'eec' | 'ca'): string | undefined {
  for (const e of cert.extensions) {
    if (!e.critical || UNDERSTOOD_ANY.has(e.oid)) continue;
    if (role === 'proxy' && (e.oid === Oid.proxyCertInfo || e.oid === Oid.proxyCertInfoDraft)) continue;
    if (role !== 'proxy' && e.oid === Oid.subjectAltName) continue;
    // nameConstraints are not enforced, so a critical one is refused rather than ignored (§4.3, §12.8).
    return e.oid;
  }
  return undefined;
}

type CrlCheck = { ok: true; from: number; until: number } | { ok: false; code: CredErrorCode; detail: string };

/** §5.3: CRLs of the issuer that it signed, current, not listing the serial; absent CRL depends on the mode. */
function checkRevocation(cert: Certificate, issuer: Node, snapshot: TrustSnapshot, now: number, mode: CrlMode): CrlCheck {
  const ca = issuer.anchor ?? snapshot.findCa(issuer.cert);
  const crls = ca?.crls ?? [];
  for (const crl of crls) {
    if (crl.revoked.has(cert.serialHex)) return { ok: false, code: 'CRED_CERT_REVOKED', detail: `serial ${cert.serialHex} is listed in the CRL of ${nameText(crl.issuer)}` };
  }
  if (ca && ca.crlProblems.length > 0 && crls.length === 0) return { ok: false, code: 'CRED_CRL_INVALID', detail: ca.crlProblems.join('; ') };
  if (crls.length === 0) {
    if (mode === 'require') return { ok: false, code: 'CRED_CRL_MISSING', detail: `no CRL for ${nameText(cert.issuer)}` };
    return { ok: true, from: -Infinity, until: Infinity };
  }
  let from = -Infinity;
  let until = Infinity;
  for (const crl of crls) {
    if (crl.unusable) return { ok: false, code: 'CRED_CRL_INVALID', detail: crl.unusable };
    if (crl.thisUpdate.getTime() > now) return { ok: false, code: 'CRED_CRL_INVALID', detail: `CRL thisUpdate ${crl.thisUpdate.toISOString()} is in the future` };
    if (crl.nextUpdate && crl.nextUpdate.getTime() <= now) return { ok: false, code: 'CRED_CRL_EXPIRED', detail: `CRL nextUpdate ${crl.nextUpdate.toISOString()} has passed` };
    from = Math.max(from, crl.thisUpdate.getTime());
    if (crl.nextUpdate) until = Math.min(until, crl.nextUpdate.getTime());
  }
  return { ok: true, from, until };
}

type Verdict = 'permit' | 'deny' | 'not-permitted' | 'undefined';

/** §5.5–§5.6: namespace policy of the certificate at `k` (EEC or intermediate CA), under a canl-java mode. */
function checkNamespace(path: readonly Node[], k: number, snapshot: TrustSnapshot, mode: NamespaceMode): { code: CredErrorCode; detail: string } | undefined {
  const cert = (path[k] as Node).cert;
  const subject = nameText(cert.subject);
  const issuerDn = normaliseDnText(nameText(cert.issuer));
  const policyCa = (n: Node): TrustedCa | undefined => n.anchor ?? snapshot.findCa(n.cert) ?? snapshot.casNamed(n.cert.subject)[0];

  const eugridpma = (): Verdict => {
    // The issuer's file first, then the files of the CAs above it; the first file with rules for the issuer wins.
    for (let j = k + 1; j < path.length; j += 1) {
      const ca = policyCa(path[j] as Node);
      const rules = ca?.namespaces;
      if (rules === undefined) continue;
      if (rules === BROKEN) return 'not-permitted';
      const own = normaliseDnText(nameText((ca as TrustedCa).cert.subject));
      const applicable = rules.filter((r) => (r.issuer === null ? own : normaliseDnText(r.issuer)) === issuerDn);
      if (applicable.length === 0) continue;
      if (applicable.some((r) => !r.permit && namespacePatternMatches(r.subjectRegex, subject))) return 'deny';
      return applicable.some((r) => r.permit && namespacePatternMatches(r.subjectRegex, subject)) ? 'permit' : 'not-permitted';
    }
    return 'undefined';
  };
  const globus = (): Verdict => {
    const ca = policyCa(path[k + 1] as Node);
    const entries = ca?.signingPolicy;
    if (entries === undefined) return 'undefined';
    if (entries === BROKEN) return 'not-permitted';
    const applicable = entries.filter((e) => normaliseDnText(e.caDn) === issuerDn);
    if (applicable.length === 0) return 'undefined';
    if (applicable.some((e) => e.deny.some((p) => globusPatternMatches(p, subject)))) return 'deny';
    return applicable.some((e) => e.permit.some((p) => globusPatternMatches(p, subject))) ? 'permit' : 'not-permitted';
  };

  const require = mode.endsWith('_REQUIRE');
  const base = mode.replace(/_REQUIRE$/, '');
  let verdicts: Verdict[];
  if (base === 'EUGRIDPMA_AND_GLOBUS') verdicts = [eugridpma(), globus()].filter((v) => v !== 'undefined');
  else {
    const order = base === 'EUGRIDPMA_GLOBUS' ? [eugridpma, globus] : base === 'GLOBUS_EUGRIDPMA' ? [globus, eugridpma] : base === 'EUGRIDPMA' ? [eugridpma] : [globus];
    verdicts = [];
    for (const f of order) {
      const v = f();
      if (v !== 'undefined') {
        verdicts = [v];
        break;
      }
    }
  }
  if (verdicts.length === 0)
    return require ? { code: 'CRED_NAMESPACE_UNDEFINED', detail: `no namespace policy for issuer ${nameText(cert.issuer)}` } : undefined;
  if (verdicts.includes('deny')) return { code: 'CRED_NAMESPACE_DENIED', detail: `a namespace rule of ${nameText(cert.issuer)} denies ${subject}` };
  if (verdicts.includes('not-permitted'))
    return { code: 'CRED_NAMESPACE_NOT_PERMITTED', detail: `${subject} is outside the namespace of ${nameText(cert.issuer)}` };
  return undefined;
}

/**
 * Validates a VOMS server's certificate chain (signer first) with the EEC/CA rules (§6.4 step 8): the same
 * path building, time, CRL and namespace checks as for users, without the proxy and VOMS steps.
 */
function validateSignerChain(
  chain: readonly Certificate[],
  snapshot: TrustSnapshot,
  options: ValidationOptions,
): { ok: true; from: number; until: number } | { ok: false; detail: string } {
  const r = run(
    chain.map((c) => c.der),
    snapshot,
    Object.assign({}, options, { proxy: Object.assign({}, options.proxy, { limited: 'allow' as const }), voms: Object.assign({}, options.voms, { skipAcs: true }) }),
  );
  if (!r.result.ok) return { ok: false, detail: `${r.result.error.code}: ${r.result.error.detail}` };
  if (r.result.value.proxies.length > 0) return { ok: false, detail: 'VOMS signer is a proxy certificate' };
  return { ok: true, from: r.window.from, until: r.window.until };
}
