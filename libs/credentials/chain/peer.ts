/** The part of node:tls DetailedPeerCertificate we read (kept structural so tests need no socket). */
export interface PeerCertificateLike {
  readonly raw?: Buffer;
  readonly issuerCertificate?: PeerCertificateLike;
}

/**
 * Leaf-first DER chain from `socket.getPeerCertificate(true)` (credentials.md §2.1): follows the
 * issuerCertificate links and stops when a link repeats (Node makes the root point at itself).
 */
export function peerCertificateChain(peer: PeerCertificateLike | undefined | null, max = 32): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<PeerCertificateLike>();
  for (let cur = peer ?? undefined; cur && !seen.has(cur) && out.length < max; cur = cur.issuerCertificate) {
    seen.add(cur);
    if (!Buffer.isBuffer(cur.raw) || cur.raw.length === 0) break;
    if (out.some((b) => b.equals(cur?.raw as Buffer))) break;
    out.push(cur.raw);
  }
  return out;
}
