// Evaluation time of a 1,000-rule SPL policy (target: median under 50 µs per request).
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fmt, percentile, table } from '../stats.mjs';

export async function run({ root }) {
  const require = createRequire(join(root, 'package.json'));
  const { parsePolicy, evaluate } = require(join(root, 'dist/libs/policy'));
  const { Dn, Fqan } = require(join(root, 'dist/libs/domain'));
  const rules = [];
  for (let i = 0; i < 1000; i += 1) {
    rules.push(i % 3 === 0 ? `    rule deny { subject = "/DC=org/DC=example/CN=User ${i}" }` : i % 3 === 1 ? `    rule permit { pfqan = "/vo${i}/Role=production" }` : `    rule permit { vo = vo${i} }`);
  }
  const text = `resource "http://authz-interop[.]org/xacml/resource/resource-type/wn" {\n  action ".*" {\n${rules.join('\n')}\n  }\n}\n`;
  const parsed = parsePolicy(text, 'bench.spl');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error.diagnostics.slice(0, 3)));
  const requests = {
    'first rule matches': { subject: { dn: Dn.parse('/DC=org/DC=example/CN=User 0'), fqans: [] }, resource: 'http://authz-interop.org/xacml/resource/resource-type/wn', action: 'x' },
    'last rule matches': { subject: { dn: Dn.parse('/DC=org/CN=Nobody'), fqans: [Fqan.parse('/vo998')], primaryFqan: Fqan.parse('/vo998'), vo: ['vo998'] }, resource: 'http://authz-interop.org/xacml/resource/resource-type/wn', action: 'x' },
    'no rule matches (all 1,000 tried)': { subject: { dn: Dn.parse('/DC=org/CN=Nobody'), fqans: [Fqan.parse('/atlas')], primaryFqan: Fqan.parse('/atlas'), vo: ['atlas'] }, resource: 'http://authz-interop.org/xacml/resource/resource-type/wn', action: 'x' },
  };
  const rows = [];
  // Machine-readable figures for bench/compare.mjs.
  const figures = {};
  for (const [label, request] of Object.entries(requests)) {
    for (let i = 0; i < 2000; i += 1) evaluate(parsed.value, request);
    const samples = [];
    for (let i = 0; i < 20000; i += 1) {
      const t = process.hrtime.bigint();
      evaluate(parsed.value, request);
      samples.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    samples.sort((a, b) => a - b);
    const median = percentile(samples, 50);
    rows.push([label, evaluate(parsed.value, request).decision, fmt(median, 2), fmt(percentile(samples, 99), 2), median < 50 ? 'met' : 'MISSED']);
    figures[`${label}: p50 µs`] = { value: median, better: 'lower' };
  }
  return { figures, title: 'Policy evaluation, 1,000-rule SPL policy (issue 5)', table: table(['request', 'decision', 'p50 µs', 'p99 µs', 'target p50 < 50 µs'], rows) };
}
