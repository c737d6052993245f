import { X509Certificate } from 'node:crypto';
import { type Certificate, Oid, parseCertificate } from '@gridauthz/credentials';
import type { Dn } from '@gridauthz/domain';

/**
 * One person's chain: the end-entity certificates (not CAs) sent together all belong to one identity, a proxy
 * counting as its issuer's. Alice's proxy chain and Bob's in one attribute are two subjects, and refused.
 * Structural (Dn.equals on parsed names); a certificate that does not parse is the verifier's to refuse.
 */
function isOneChain(ders: readonly Buffer[]): boolean {
  if (ders.length <= 1) return true;
  let certificates: Certificate[];
  try {
    certificates = ders.map((der) => parseCertificate(der));
  } catch {
    return true;
  }
  const identityOf = (cert: Certificate, depth: number): Dn | undefined => {
    const issuerDn = cert.issuer.dn;
    if (depth > MAX_CHAIN || issuerDn === undefined) return cert.subject.dn;
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

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Far above any real proxy chain; bounds the pairwise issuer matching below. */
const MAX_CHAIN = 32;

/**
 * key-info / cert-chain values: PEM blocks, or bare base64 DER (§4.3), each parsed as X.509 so garbage is
 * caught here, then ordered leaf first when the certificates form one issuer chain (clients send proxy
 * first, but nothing enforces it). Returns a reason string when a value is not certificates. Validation of
 * the chain is the credentials lib's job.
 */
export function decodeCertificates(values: readonly string[]): Buffer[] | string {
  // The same payload chain comes back with every job of a user: ordering it means parsing every certificate
  // (~0.3 ms each, the benchmark's profile), so the outcome is remembered by the attribute values themselves
  // (a Map hashes a string far faster than SHA-256 does; 1,024 chains of a few KB each).
  const key = values.join('\u0000');
  const known = chainMemo.get(key);
  if (known !== undefined) {
    chainMemo.delete(key);
    chainMemo.set(key, known); // most recently used last
    return typeof known === 'string' ? known : [...known];
  }
  const outcome = decodeCertificatesUncached(values);
  chainMemo.set(key, typeof outcome === 'string' ? outcome : [...outcome]);
  if (chainMemo.size > CHAIN_MEMO_SIZE) chainMemo.delete(chainMemo.keys().next().value as string);
  return outcome;
}

const CHAIN_MEMO_SIZE = 1024;
const chainMemo = new Map<string, readonly Buffer[] | string>();

function decodeCertificatesUncached(values: readonly string[]): Buffer[] | string {
  const ders: Buffer[] = [];
  for (const value of values) {
    if (value.includes('-----BEGIN')) {
      const blocks = [...value.matchAll(PEM_CERTIFICATE)];
      if (blocks.length === 0) return 'no PEM CERTIFICATE block';
      for (const block of blocks) {
        const der = base64Der(block[1] ?? '');
        if (der === undefined) return 'a PEM CERTIFICATE block is not a base64 DER certificate';
        ders.push(der);
      }
    } else {
      const der = base64Der(value);
      if (der === undefined) return 'value is neither PEM nor a base64 DER certificate';
      ders.push(der);
    }
  }
  if (ders.length === 0) return 'no certificate';
  if (ders.length > MAX_CHAIN) return `more than ${MAX_CHAIN} certificates`;
  const parsed: X509Certificate[] = [];
  for (const der of ders) {
    try {
      parsed.push(new X509Certificate(der));
    } catch {
      return 'a certificate does not parse as X.509';
    }
  }
  // Checked here so that the memo above keeps the verdict: a repeated chain is not parsed again.
  if (!isOneChain(ders)) return NOT_ONE_CHAIN;
  return leafFirst(parsed, ders);
}

/** The reason `decodeCertificates` gives for certificates of more than one person (an ambiguity, not a syntax error). */
export const NOT_ONE_CHAIN = "the certificates sent are more than one person's chain";

/**
 * Reorders into leaf → … → top when each certificate but one was issued by another in the set and exactly
 * one issued none; anything else (unrelated certificates, loops) keeps the order received.
 */
function leafFirst(certificates: readonly X509Certificate[], ders: readonly Buffer[]): Buffer[] {
  const issuedBy = (child: number, parent: number): boolean => {
    const c = certificates[child];
    const p = certificates[parent];
    return c !== undefined && p !== undefined && child !== parent && c.checkIssued(p);
  };
  const indices = certificates.map((_, i) => i);
  const leaves = indices.filter((candidate) => !indices.some((other) => issuedBy(other, candidate)));
  const leaf = leaves[0];
  if (leaf === undefined || leaves.length !== 1) return [...ders];
  const order = [leaf];
  while (order.length < certificates.length) {
    const current = order[order.length - 1] ?? leaf;
    const parents = indices.filter((candidate) => !order.includes(candidate) && issuedBy(current, candidate));
    const parent = parents[0];
    if (parent === undefined || parents.length !== 1) return [...ders];
    order.push(parent);
  }
  return order.map((i) => ders[i] ?? Buffer.alloc(0));
}

function base64Der(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}
