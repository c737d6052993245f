// Control for the ce scenario (issue 21): a bare Fastify server with gridauthz's PDP TLS options
// (apps/server/tls/mutual-tls-options.ts, via dist/) that reads the client's chain as gridauthz does, parses each
// query with xmldom (no line tracking, as gridauthz's fast path) and answers the bytes gridauthz answered to the
// same query, in `workers` cluster workers. What a keep-alive decision costs when only the platform works: TLS,
// HTTP, one parse, the answer. The rest of gridauthz's CPU per decision is its own.
// Usage: node bench/fastify-xmldom-baseline.mjs <root> <port> <workers> <answers.json> [xml|base64|json]
//   root: the build whose node_modules and dist/ to use; answers.json: [{ query, answer }] (text).
//   The last argument is the first parse each protocol makes: xml (SAML2-XACML2, the ce scenario; default), base64
//   (Argus PEPd's body before its Hessian, the pepd scenario), json (AuthZEN, the tokens scenario). Any POST path is
//   answered, as gridauthz's listeners answer theirs.
import cluster from 'node:cluster';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [root, port, workers, answersFile, mode = 'xml'] = process.argv.slice(2);
if (!['xml', 'base64', 'json'].includes(mode)) throw new Error(`unknown parse mode ${mode}`);
if (cluster.isPrimary) {
  for (let i = 0; i < Number(workers); i += 1) cluster.fork();
} else {
  const require = createRequire(join(root, 'package.json'));
  const fastify = require('fastify');
  const { DOMParser } = require('@xmldom/xmldom');
  const { mutualTlsOptions } = require(join(root, 'dist/apps/server/tls/mutual-tls-options'));
  const digest = (b) => createHash('sha256').update(b).digest('hex');
  const answers = new Map(JSON.parse(readFileSync(answersFile, 'utf8')).map(({ query, answer }) => [digest(Buffer.from(query)), Buffer.from(answer)]));
  const pki = JSON.parse(readFileSync(join(process.env.PKI_DIR, 'manifest.json'), 'utf8'));
  const file = (rel) => join(process.env.PKI_DIR, rel);
  const https = mutualTlsOptions({ tls: { certFile: file(pki.host.certFile), keyFile: file(pki.host.keyFile) } }, [readFileSync(file(pki.ca.certFile), 'utf8')]);
  const app = fastify({ https, logger: false, bodyLimit: 262_144, keepAliveTimeout: 65_000 });
  const chains = new WeakMap();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const parses = {
    xml: (body) => new DOMParser({ locator: false, onError: () => undefined }).parseFromString(body.toString('utf8'), 'text/xml').documentElement != null,
    base64: (body) => Buffer.from(body.toString('latin1'), 'base64').length > 0,
    json: (body) => typeof JSON.parse(body.toString('utf8')) === 'object',
  };
  const parse = parses[mode];
  const contentType = { xml: 'text/xml; charset=utf-8', base64: 'text/plain; charset=UTF-8', json: 'application/json' }[mode];
  const handler = async (request, reply) => {
    const socket = request.raw.socket;
    if (!chains.has(socket)) {
      const chain = [];
      for (let c = socket.getPeerX509Certificate(); c; c = c.issuerCertificate) chain.push(c.raw);
      chains.set(socket, chain);
    }
    const answer = parse(request.body) ? answers.get(digest(request.body)) : undefined;
    if (!answer) return reply.code(400).send('unknown query');
    return reply.header('content-type', contentType).send(answer);
  };
  app.post('/', handler);
  app.post('/*', handler);
  await app.listen({ port: Number(port), host: '127.0.0.1' });
}
