import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

/**
 * The client's certificate chain as DER, leaf first: the leaf, then the certificates the client sent, in its
 * order (credentials.md §2.1; the validator builds the path from them and adds the anchor from the trust
 * directory itself).
 *
 * Read with getPeerX509Certificate, which hands over the certificates OpenSSL already holds. The older
 * getPeerCertificate(true) built Node's detailed object for every certificate (fingerprints, modulus, names) and
 * added the server's own CA: about 0.2–0.4 ms of CPU on every new connection, a tenth of a glexec decision
 * (BENCHMARKS.md, issue 21). Node 20's getPeerX509Certificate takes the sent certificates out of the connection
 * as it reads them (a second call sees the leaf only), so the chain is read once per connection and kept with the
 * socket: every later request on it (the PDP guard, the admin strategy) gets the same chain.
 */
export function peerChainDer(socket: TLSSocket): Buffer[] {
  let chain = chains.get(socket);
  if (chain === undefined) {
    chain = readChain(socket);
    chains.set(socket, chain);
  }
  return chain;
}

const chains = new WeakMap<TLSSocket, Buffer[]>();

function readChain(socket: TLSSocket): Buffer[] {
  if (typeof socket.getPeerX509Certificate !== 'function') return detailedPeerChainDer(socket);
  // A linear list (no links to follow back), so no loop; duplicates are the validator's to ignore (credentials.md §3.3), and the
  // cap only bounds the work before the validator's own limit refuses the chain.
  const chain: Buffer[] = [];
  for (let cert = socket.getPeerX509Certificate(); cert !== undefined && chain.length < 64; cert = cert.issuerCertificate) chain.push(cert.raw);
  return chain;
}

/**
 * The same chain from Node's linked peer-certificate objects (sockets without getPeerX509Certificate). Node follows
 * issuerCertificate links through the client's chain and then the server's `ca` list; a self-signed root links to
 * itself, so we stop at the first repeat.
 */
function detailedPeerChainDer(socket: TLSSocket): Buffer[] {
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
