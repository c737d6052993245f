// Control for the glexec scenario: a bare node:https server with gridauthz's TLS options (requestCert, no
// rejectUnauthorized, no tickets, the CA as `ca`) answering a fixed 2 KB body, in `workers` cluster workers.
// It separates what Node's TLS costs per handshake from what gridauthz's own code costs.
// Usage: node bench/node-tls-baseline.mjs <port> <workers> <cert> <key> <ca>
import cluster from 'node:cluster';
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [port, workers, cert, key, ca] = process.argv.slice(2);
if (cluster.isPrimary) {
  for (let i = 0; i < Number(workers); i += 1) cluster.fork();
} else {
  const body = 'x'.repeat(2048);
  createServer(
    { cert: readFileSync(cert), key: readFileSync(key), ca: readFileSync(ca), requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET },
    (req, res) => {
      // Read the chain as gridauthz's guard does (apps/server/tls/peer-chain.ts: getPeerX509Certificate and the
      // DER of each certificate) so the comparison includes it.
      for (let c = req.socket.getPeerX509Certificate(); c; c = c.issuerCertificate) void c.raw;
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end(body));
    },
  ).listen(Number(port), '127.0.0.1');
}
