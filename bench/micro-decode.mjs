// Micro-measurement behind the profile findings in BENCHMARKS.md: the per-request decode steps on the real
// authz-interop query (alice-voms in cert-chain). Usage: node bench/micro-decode.mjs (after the build).
// Not a scenario (it lives outside scenarios/).
import * as h from './harness.mjs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { X509Certificate } from 'node:crypto';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const req = h.requireFrom(root);
const P = req('dist/libs/protocols');
const { generateDevPki } = req('dist/libs/dev-pki');
const t = h.tempDir('ga-micro-');
await generateDevPki({ dir: t.dir + '/var/pki' });
const pki = h.devPki(t.dir);
const body = Buffer.from(h.buildQuery(root, pki, 'authz-interop').body);
const time = (name, f, n = 2000) => { for (let i = 0; i < 300; i++) f(); const t0 = performance.now(); for (let i = 0; i < n; i++) f(); console.log(name, ((performance.now() - t0) * 1000 / n).toFixed(0), 'µs'); };
time('isPrimaRequest (full XML parse)', () => P.isPrimaRequest(body));
time('decodeXacmlQuery', () => P.decodeXacmlQuery(body));
time('parseUntrustedXml', () => P.parseUntrustedXml(body));
const C = req('dist/libs/credentials');
const chain = C.parsePemChain(pki.payload.pem);
if (!chain.ok) throw new Error(chain.error.detail);
const ders = chain.value;
time(`new X509Certificate × ${ders.length} (payload chain)`, () => ders.forEach(d => new X509Certificate(d)));
time(`parseCertificate × ${ders.length} (strict DER reader)`, () => ders.forEach(d => C.parseCertificate(d)));
time(`presentedChain (codec's parse, one-person check and order; parsed certificates cached)`, () => C.presentedChain(ders.map(d => Buffer.from(d))));
t.remove();
