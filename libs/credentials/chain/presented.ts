import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Dn } from '@gridauthz/domain';
import { isCertificateLabel, pemBlocks } from '../pem';
import { parseCertificate } from '../x509/certificate';
import type { Certificate } from '../x509/certificate';
import { Oid } from '../x509/oids';

/**
 * Parsed certificates by SHA-256 of their DER: the same user chain comes back with every job, and a protocol codec
 * (presentedChain) and the validator both read it, so a certificate is parsed once while it is among the 1,024 most
 * recently used (a few MB: CAs and EECs repeat, proxies come and go), not once per reader per request. The DER is
 * copied first: a parsed certificate holds views into its bytes, and the caller's buffer is not ours to keep.
 */
const parsed = new LRUCache<string, Certificate>({ max: 1024 });

/**
 * SHA-256 of a certificate's DER, remembered per Buffer object: a query's chain is hashed once per request although
 * the codec's check, the parse cache and the validation cache's key all need it; a new Buffer with the same bytes
 * is simply hashed again.
 */
const digests = new WeakMap<Buffer, Buffer>();

export function derDigest(der: Buffer): Buffer {
  const known = digests.get(der);
  if (known !== undefined) return known;
  const digest = createHash('sha256').update(der).digest();
  digests.set(der, digest);
  return digest;
}

/** parseCertificate through the process-wide cache above; throws as parseCertificate does. */
export function parseCertificateCached(der: Buffer): Certificate {
  const key = derDigest(der).toString('latin1');
  const known = parsed.get(key);
  if (known !== undefined) return known;
  const cert = parseCertificate(Buffer.from(der));
  parsed.set(key, cert);
  return cert;
}

/** What a protocol codec learns about the certificates a request carries, before any validation. */
export type PresentedChain =
  | { readonly ok: true; readonly value: Buffer[] }
  | { readonly ok: false; readonly problem: 'malformed' | 'not-one-subject'; readonly detail: string };

/** The reason given for certificates of more than one person (an ambiguity of the request, not a syntax error). */
export const NOT_ONE_SUBJECT = "the certificates sent are more than one person's chain";

/**
 * What a codec may know of the certificates a client sent (a query's key-info or cert-chain, docs/dialects.md)
 * before validation: a value that is not an X.509 certificate is 'malformed'; the end-entity certificates of two
 * people in one set are 'not-one-subject' (the request is ambiguous). Otherwise the same certificates, as sent:
 * validateChain orders them (leafFirstOrder) and validates them, once.
 */
export function presentedChain(ders: readonly Buffer[]): PresentedChain {
  const certificates: Certificate[] = [];
  for (const der of ders) {
    try {
      certificates.push(parseCertificateCached(der));
    } catch {
      return { ok: false, problem: 'malformed', detail: 'a certificate does not parse as X.509' };
    }
  }
  if (!isOneSubject(certificates)) return { ok: false, problem: 'not-one-subject', detail: NOT_ONE_SUBJECT };
  return { ok: true, value: [...ders] };
}

/** Far above any real proxy chain; bounds the pairwise issuer matching and the recursion of the issuer walk. */
export const MAX_PRESENTED_CERTIFICATES = 32;
const MAX_DEPTH = MAX_PRESENTED_CERTIFICATES;

/**
 * The outcome for a chain's text, by the text itself: the same payload chain comes back with every job of a user,
 * and a Map hashes a string far faster than base64 decoding and SHA-256 go (1,024 chains of a few KB each). A
 * repeat hands back the same Buffers (so their digests are known, derDigest) in a fresh array.
 */
const fromText = new LRUCache<string, PresentedChain>({ max: 1024 });

/**
 * presentedChain for the text a query carries (key-info / cert-chain values, docs/dialects.md): each value PEM
 * CERTIFICATE blocks or one bare base64 DER certificate (§4.3). Text that is not certificates is 'malformed'.
 */
export function presentedChainFromText(values: readonly string[]): PresentedChain {
  const key = values.join('\u0000');
  const known = fromText.get(key);
  if (known !== undefined) return known.ok ? { ok: true, value: [...known.value] } : known;
  const outcome = fromTextUncached(values);
  fromText.set(key, outcome.ok ? { ok: true, value: [...outcome.value] } : outcome);
  return outcome;
}

function fromTextUncached(values: readonly string[]): PresentedChain {
  const malformed = (detail: string): PresentedChain => ({ ok: false, problem: 'malformed', detail });
  const ders: Buffer[] = [];
  for (const value of values) {
    if (value.includes('-----BEGIN')) {
      let blocks: { der: Buffer }[];
      try {
        blocks = pemBlocks(value).filter((b) => isCertificateLabel(b.label));
      } catch {
        return malformed('a PEM CERTIFICATE block is not a base64 DER certificate');
      }
      if (blocks.length === 0) return malformed('no PEM CERTIFICATE block');
      if (blocks.some((b) => b.der.length === 0)) return malformed('a PEM CERTIFICATE block is not a base64 DER certificate');
      ders.push(...blocks.map((b) => b.der));
    } else {
      const compact = value.replace(/\s+/g, '');
      if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return malformed('value is neither PEM nor a base64 DER certificate');
      ders.push(Buffer.from(compact, 'base64'));
    }
    if (ders.length > MAX_PRESENTED_CERTIFICATES) return malformed(`more than ${MAX_PRESENTED_CERTIFICATES} certificates`);
  }
  if (ders.length === 0) return malformed('no certificate');
  return presentedChain(ders);
}

/**
 * One person's chain: the end-entity certificates (not CAs) sent together all belong to one identity, a proxy
 * counting as its issuer's. Alice's proxy chain and Bob's in one attribute are two subjects. Structural
 * (Dn.equals on parsed names).
 */
function isOneSubject(certificates: readonly Certificate[]): boolean {
  if (certificates.length <= 1) return true;
  const identityOf = (cert: Certificate, depth: number): Dn | undefined => {
    const issuerDn = cert.issuer.dn;
    if (depth > MAX_DEPTH || issuerDn === undefined) return cert.subject.dn;
    // Only proxies are issued by end entities: a certificate whose issuer is a non-CA sent alongside is its proxy.
    const parent = certificates.find((c) => c !== cert && c.basicConstraints?.ca !== true && c.subject.dn !== undefined && c.subject.dn.equals(issuerDn));
    if (parent !== undefined) return identityOf(parent, depth + 1);
    const isProxy = cert.extensions.some((e) => e.oid === Oid.proxyCertInfo || e.oid === Oid.proxyCertInfoDraft) || isLegacyProxy(cert);
    return isProxy ? issuerDn : cert.subject.dn;
  };
  const identities: Dn[] = [];
  for (const cert of certificates) {
    if (cert.basicConstraints?.ca === true) continue;
    const identity = identityOf(cert, 0);
    if (identity === undefined) continue;
    if (!identities.some((known) => known.equals(identity))) identities.push(identity);
  }
  return identities.length <= 1;
}

/** Pre-RFC 3820 Globus proxies: named issuer + CN=proxy or CN=limited proxy. */
function isLegacyProxy(cert: Certificate): boolean {
  const subject = cert.subject.dn;
  const issuer = cert.issuer.dn;
  if (subject === undefined || issuer === undefined || !subject.isChildOf(issuer)) return false;
  const last = subject.rdns[subject.rdns.length - 1]?.[0];
  return last !== undefined && last.type === 'CN' && (last.value === 'proxy' || last.value === 'limited proxy');
}

/**
 * `child` names `parent` as its issuer (canonical name comparison, RFC 5280 §7.1) and, when both carry key
 * identifiers, the authority key identifier matches. Signatures are the validator's: this only orders.
 */
function issuedBy(child: Certificate, parent: Certificate): boolean {
  if (!child.issuer.canonical.equals(parent.subject.canonical)) return false;
  if (child.authorityKeyId !== undefined && parent.subjectKeyId !== undefined) return child.authorityKeyId.equals(parent.subjectKeyId);
  return true;
}

/**
 * Positions of `certificates` leaf → … → top, when each certificate but one was issued by another in the set and
 * exactly one issued none; undefined for anything else (unrelated certificates, loops, forks), which is then
 * validated in the order received. Clients send the proxy first, but nothing enforces it (docs/dialects.md).
 */
export function leafFirstOrder(certificates: readonly Certificate[]): number[] | undefined {
  const indices = certificates.map((_, i) => i);
  const issued = (child: number, parent: number): boolean =>
    child !== parent && issuedBy(certificates[child] as Certificate, certificates[parent] as Certificate);
  const leaves = indices.filter((candidate) => !indices.some((other) => issued(other, candidate)));
  const leaf = leaves[0];
  if (leaf === undefined || leaves.length !== 1) return undefined;
  const order = [leaf];
  while (order.length < certificates.length) {
    const current = order[order.length - 1] ?? leaf;
    const parents = indices.filter((candidate) => !order.includes(candidate) && issued(current, candidate));
    const parent = parents[0];
    if (parent === undefined || parents.length !== 1) return undefined;
    order.push(parent);
  }
  return order;
}
