import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { generateDevPki } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { IgtfTrustStore, parsePemChain, validateChain } from '@gridauthz/credentials';
import type { CredResult, ValidatedCredential } from '@gridauthz/credentials';
import { makeVomsFakeFixtures, vomsProxyFakeAvailable } from '../../test/pki/voms-fake';
import type { FakeFixture } from '../../test/pki/voms-fake';

/**
 * Credentials made by voms-proxy-fake and openssl, and `openssl verify -allow_proxy_certs -crl_check_all`
 * run beside our validator on every fixture chain (dev-pki's and voms-proxy-fake's).
 */
describe.runIf(vomsProxyFakeAvailable())('interop with voms-proxy-fake and openssl verify', () => {
  let base: string;
  let pki: string;
  let m: DevPkiManifest;
  let store: IgtfTrustStore;
  let fakes: Record<string, FakeFixture>;
  const now = (): Date => new Date(); // voms-proxy-fake stamps real time

  const ours = (file: string): CredResult<ValidatedCredential> => {
    const chain = parsePemChain(readFileSync(file, 'utf8'));
    if (!chain.ok) return chain;
    return validateChain(chain.value, store, { now: now() });
  };
  const opensslVerify = (file: string): { ok: boolean; out: string } => {
    const blocks = readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
    const leaf = join(base, 'leaf.pem');
    const rest = join(base, 'rest.pem');
    writeFileSync(leaf, blocks[0] ?? '');
    writeFileSync(rest, blocks.slice(1).join(''));
    const r = spawnSync('openssl', ['verify', '-allow_proxy_certs', '-crl_check_all', '-CApath', join(pki, m.caDir), '-untrusted', rest, leaf], { encoding: 'utf8' });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  };

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'cred-interop-'));
    pki = join(base, 'pki');
    m = await generateDevPki({ dir: pki });
    mkdirSync(join(base, 'fake'));
    fakes = makeVomsFakeFixtures(pki, m, join(base, 'fake'));
    store = await IgtfTrustStore.open({ caDir: join(pki, m.caDir), vomsDir: join(pki, m.vomsDir), log: silentLog });
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('gives every voms-proxy-fake fixture the verdict credentials.md §10 expects', () => {
    expect(Object.keys(fakes).length).toBeGreaterThanOrEqual(19);
    for (const [name, fx] of Object.entries(fakes)) {
      const r = ours(fx.file);
      if (fx.expected !== 'valid') {
        expect(r.ok ? 'valid' : r.error.code, name).toBe(fx.expected);
        continue;
      }
      if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.detail}`);
      if (fx.identity) expect(r.value.identity.subject.toSlash(), name).toBe(fx.identity);
      if (fx.fqans) expect(r.value.fqans.map((f) => f.original), name).toEqual(fx.fqans);
      expect(
        r.value.voms.rejected.map((x) => x.code),
        name,
      ).toEqual(fx.rejectedAcs ?? []);
      if (fx.format) expect(r.value.proxies[0]?.format, name).toBe(fx.format);
      if (fx.limited !== undefined) expect(r.value.limited, name).toBe(fx.limited);
      if (fx.depth !== undefined) expect(r.value.proxies, name).toHaveLength(fx.depth);
    }
  });

  it('reads voms-proxy-fake ACs like C VOMS: classic holder, primary FQAN first, policy authority split (§7)', () => {
    const r = ours(fakes['vf-voms']?.file ?? '');
    if (!r.ok) throw new Error(r.error.code);
    expect(r.value.primaryFqan?.original).toBe('/atlas/Role=pilot/Capability=NULL');
    expect(r.value.voms.acs[0]).toMatchObject({ vo: 'atlas', host: 'voms.gridauthz-dev.org', port: 15001, holderEncoding: 'classic', serialHex: '1' });
    const nf = ours(fakes['vf-voms-newformat']?.file ?? '');
    expect(nf.ok && nf.value.voms.acs[0]?.holderEncoding).toBe('rfc3281');
    const ga = ours(fakes['vf-no-fqan']?.file ?? '');
    expect(ga.ok && ga.value.voms.acs[0]?.attributes).toEqual([{ name: 'nickname', value: 'alice', qualifier: 'atlas' }]);
  });

  it('agrees with openssl verify on every chain except where credentials.md says they differ', () => {
    const files: Record<string, string> = {};
    for (const [name, p] of Object.entries(m.proxies)) files[`dev:${name}`] = join(pki, p.file);
    for (const [name, fx] of Object.entries(fakes)) files[`fake:${name}`] = fx.file;
    const disagreements: string[] = [];
    for (const [name, file] of Object.entries(files)) {
      const o = opensslVerify(file);
      const g = ours(file);
      if (o.ok !== g.ok) disagreements.push(`${name}: openssl ${o.ok ? 'OK' : o.out.match(/error \d+/)?.[0]} / gridauthz ${g.ok ? 'valid' : g.error.code}`);
    }
    // §3.7: legacy and draft proxies are not proxies to OpenSSL (the EEC above a legacy proxy is then an
    // invalid CA; the draft extension is an unknown critical extension, error 34);
    // §5.6: OpenSSL does not read namespace policies.
    expect(disagreements.sort()).toEqual(
      [
        'dev:alice-draft: openssl error 34 / gridauthz valid',
        'dev:alice-legacy: openssl error 79 / gridauthz valid',
        'dev:alice-legacy-limited: openssl error 79 / gridauthz valid',
        'dev:outsider: openssl OK / gridauthz CRED_NAMESPACE_NOT_PERMITTED',
        'fake:vf-draft: openssl error 34 / gridauthz valid',
        'fake:vf-legacy: openssl error 79 / gridauthz valid',
        'fake:vf-outsider: openssl OK / gridauthz CRED_NAMESPACE_NOT_PERMITTED',
      ].sort(),
    );
  });
});
