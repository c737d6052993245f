import { credFail } from './errors';
import type { CredResult } from './errors';

/**
 * The one PEM module (RFC 7468): every PEM text the product reads or writes — certificate chains, proxy files, CRLs,
 * trust directories, the CLI's and the dev PKI's files — goes through these functions.
 */

/** Largest PEM chain we look at (credentials.md §9.21): a 10-proxy VOMS chain is well under this. */
export const MAX_PEM_CHAIN_BYTES = 64 * 1024;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** One PEM block as it appears in the text: its label, and the block itself from BEGIN to END (no newline after). */
export interface PemText {
  readonly label: string;
  readonly text: string;
}

/**
 * The blocks of `text` without decoding them, for PEM that is handed on as PEM (a TLS client's certificate and key,
 * trust anchors): an encrypted key's RFC 1421 headers stay in place.
 */
export function pemTexts(text: string): PemText[] {
  return [...text.matchAll(BLOCK)].map((match) => ({ label: match[1] as string, text: match[0] }));
}

/** All PEM blocks in `text` as { label, der }; throws on a block whose body is not base64. */
export function pemBlocks(text: string): { label: string; der: Buffer }[] {
  const out: { label: string; der: Buffer }[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1] as string;
    const body = (match[2] as string).replace(/^[A-Za-z-]+:.*$/gm, ''); // RFC 1421 headers (encrypted keys)
    const compact = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) throw new Error(`PEM block "${label}" is not valid base64`);
    out.push({ label, der: Buffer.from(compact, 'base64') });
  }
  return out;
}

/** Labels a certificate goes by (OpenSSL also reads the old "X509 CERTIFICATE"). */
export function isCertificateLabel(label: string): boolean {
  return label === 'CERTIFICATE' || label === 'X509 CERTIFICATE';
}

/** PKCS#8 "PRIVATE KEY", "ENCRYPTED PRIVATE KEY" and the traditional "RSA/EC PRIVATE KEY". */
export function isPrivateKeyLabel(label: string): boolean {
  return label.endsWith('PRIVATE KEY');
}

/** Whether `text` holds a private key block (whether or not the rest of it parses). */
export function containsPrivateKey(text: string): boolean {
  return pemTexts(text).some((b) => isPrivateKeyLabel(b.label));
}

/** DER as a PEM block: base64 in 64-column lines, ending with a newline (RFC 7468 §2, what OpenSSL writes). */
export function pemEncode(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/**
 * The certificates of a PEM chain, in file order (voms-proxy-init layout: proxy, key, issuers). Private key
 * blocks are skipped and never kept; anything that is not PEM is CRED_CHAIN_MALFORMED.
 */
export function parsePemChain(text: string): CredResult<Buffer[]> {
  if (text.length > MAX_PEM_CHAIN_BYTES) return credFail('CRED_CHAIN_TOO_LONG', `PEM chain larger than ${MAX_PEM_CHAIN_BYTES} bytes`);
  let blocks: { label: string; der: Buffer }[];
  try {
    blocks = pemBlocks(text);
  } catch (e) {
    return credFail('CRED_CHAIN_MALFORMED', (e as Error).message);
  }
  const certs = blocks.filter((b) => isCertificateLabel(b.label)).map((b) => b.der);
  if (certs.length === 0) {
    return text.includes('-----BEGIN') || text.trim() === ''
      ? credFail('CRED_CHAIN_EMPTY', 'no CERTIFICATE block in the PEM text')
      : credFail('CRED_CHAIN_MALFORMED', 'not PEM text');
  }
  return { ok: true, value: certs };
}
