// Validation cost per chain: cold (a fresh validator each time, full parse + signatures + CRL + VOMS AC) and
// cached (the same chain again: a fingerprint lookup).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fmt, percentile, table } from '../stats.mjs';

export async function run({ root }) {
  const require = createRequire(join(root, 'package.json'));
  const { generateDevPki } = require(join(root, 'dist/libs/dev-pki'));
  const { CredentialValidator, IgtfTrustStore, parsePemChain } = require(join(root, 'dist/libs/credentials'));
  const { silentLog } = require(join(root, 'dist/libs/domain'));
  const dir = mkdtempSync(join(tmpdir(), 'gridauthz-bench-pki-'));
  const pki = await generateDevPki({ dir });
  const store = await IgtfTrustStore.open({ caDir: join(dir, pki.caDir), vomsDir: join(dir, pki.vomsDir), log: silentLog });
  const rows = [];
  // Machine-readable figures for bench/compare.mjs.
  const figures = {};
  for (const name of ['alice', 'alice-proxy2', 'alice-voms', 'alice-voms-proxy2']) {
    const parsed = parsePemChain(readFileSync(join(dir, pki.proxies[name].file), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error.detail);
    const chain = parsed.value;
    const now = new Date();
    const cold = [];
    for (let i = 0; i < 300; i += 1) {
      const validator = new CredentialValidator(store);
      const t = process.hrtime.bigint();
      const r = validator.validate(chain, now);
      cold.push(Number(process.hrtime.bigint() - t) / 1e3);
      if (!r.ok) throw new Error(`${name}: ${r.error.code}`);
    }
    const validator = new CredentialValidator(store);
    validator.validate(chain, now);
    const warm = [];
    for (let i = 0; i < 20000; i += 1) {
      const t = process.hrtime.bigint();
      validator.validate(chain, now);
      warm.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    cold.sort((a, b) => a - b);
    warm.sort((a, b) => a - b);
    rows.push([name, String(chain.length), fmt(percentile(cold, 50)), fmt(percentile(cold, 99)), fmt(percentile(warm, 50), 2), fmt(percentile(warm, 99), 2)]);
    figures[`${name}: cold p50 µs`] = { value: percentile(cold, 50), better: 'lower' };
    figures[`${name}: cached p50 µs`] = { value: percentile(warm, 50), better: 'lower' };
  }
  store.close();
  return {
    figures,
    title: 'Credential validation cost per chain (issue 3)',
    table: table(['chain', 'certs', 'cold p50 µs', 'cold p99 µs', 'cached p50 µs', 'cached p99 µs'], rows),
    notes: 'Cold: a new CredentialValidator per call (parse, every signature with node:crypto, CRL lookups, VOMS AC verification). Cached: the same chain again, valid until its earliest expiry or a trust-store change.',
  };
}
