import { credFail } from '../errors';
import type { CredResult } from '../errors';

/** Largest PEM chain we look at (credentials.md §9.21): a 10-proxy VOMS chain is well under this. */
export const MAX_PEM_CHAIN_BYTES = 64 * 1024;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

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
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE').map((b) => b.der);
  if (certs.length === 0) {
    return text.includes('-----BEGIN') || text.trim() === ''
      ? credFail('CRED_CHAIN_EMPTY', 'no CERTIFICATE block in the PEM text')
      : credFail('CRED_CHAIN_MALFORMED', 'not PEM text');
  }
  return { ok: true, value: certs };
}
