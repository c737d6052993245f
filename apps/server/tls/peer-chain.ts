import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

/**
 * The client's certificate chain as DER, leaf first, from Node's linked peer-certificate objects.
 * Node follows issuerCertificate links through the client's chain and then the server's `ca` list; a
 * self-signed root links to itself, so we stop at the first repeat.
 */
export function peerChainDer(socket: TLSSocket): Buffer[] {
  // Node returns an empty object when the client sent no certificate.
  const leaf: Partial<DetailedPeerCertificate> = socket.getPeerCertificate(true);
  const chain: Buffer[] = [];
  if (!leaf.raw) return chain;
  const seen = new Set<string>();
  let current: Partial<DetailedPeerCertificate> | undefined = leaf;
  while (current?.raw && chain.length < 64) {
    const fingerprint = current.fingerprint256 ?? '';
    if (seen.has(fingerprint)) break;
    seen.add(fingerprint);
    chain.push(current.raw);
    current = current.issuerCertificate;
  }
  return chain;
}
