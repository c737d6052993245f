import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, generateDevPki, loadDevPkiManifest } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';

const pemBlocks = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];

function openssl(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('generateDevPki', () => {
  let dir: string;
  let m: DevPkiManifest;
  let elapsedMs: number;
  const p = (rel: string): string => join(dir, rel);

  /** openssl verify of a proxy file: leaf = first certificate, the rest of the file as untrusted chain. */
  const verifyProxy = (file: string, extra: string[] = []): { status: number | null; out: string } => {
    const blocks = pemBlocks(readFileSync(p(file), 'utf8'));
    const leaf = join(dir, 'leaf.tmp.pem');
    const rest = join(dir, 'rest.tmp.pem');
    writeFileSync(leaf, blocks[0] ?? '');
    writeFileSync(rest, blocks.slice(1).join(''));
    return openssl(['verify', '-allow_proxy_certs', '-CApath', p(m.caDir), '-crl_check_all', ...extra, '-untrusted', rest, leaf]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'devpki-'));
    const start = Date.now();
    m = await generateDevPki({ dir });
    elapsedMs = Date.now() - start;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Cold runs are dominated by six RSA-2048 key generations (~1.2 s on an idle 2-core box, more under load);
  // the generous bound catches a regression such as an RSA key per proxy. Reruns reuse keys (npm start path).
  it('generates the PKI from scratch within the cold budget', () => {
    expect(elapsedMs).toBeLessThan(5000);
  });

  it('regenerates into an existing directory in under 1 s by reusing its keys', async () => {
    const start = Date.now();
    const again = await generateDevPki({ dir, now: new Date(m.now) });
    expect(Date.now() - start).toBeLessThan(1000);
    expect(again.ca.hash).toBe(m.ca.hash);
    m = again;
  });

  it('names CA files with the hashes openssl computes (credentials.md §2.2)', () => {
    const out = execFileSync('openssl', ['x509', '-in', p(m.ca.certFile), '-noout', '-subject_hash', '-subject_hash_old'], { encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual([m.ca.hash, m.ca.oldHash]);
    for (const name of [`${m.ca.hash}.0`, `${m.ca.oldHash}.0`, `${m.ca.hash}.r0`, `${m.ca.oldHash}.r0`, `${m.ca.hash}.signing_policy`, `${m.ca.hash}.namespaces`])
      expect(readFileSync(join(p(m.caDir), name)).length).toBeGreaterThan(0);
    const untrusted = execFileSync('openssl', ['x509', '-in', p(m.untrustedCa.certFile), '-noout', '-subject_hash', '-subject_hash_old'], { encoding: 'utf8' });
    expect(untrusted.trim().split('\n')).toEqual([m.untrustedCa.hash, m.untrustedCa.oldHash]);
  });

  it('writes IGTF policy files that name the CA (§5.4, §5.5)', () => {
    expect(readFileSync(join(p(m.caDir), `${m.ca.hash}.signing_policy`), 'utf8')).toContain(`access_id_CA      X509         '${m.ca.subject}'`);
    expect(readFileSync(join(p(m.caDir), `${m.ca.oldHash}.namespaces`), 'utf8')).toMatch(/^#NAMESPACES-VERSION: 1\.0\nTO Issuer "\/DC=org\/DC=gridauthz-dev\/CN=gridauthz Dev CA" \\\n {2}PERMIT Subject/);
  });

  it('writes a CRL that openssl parses and that lists exactly the revoked user', () => {
    const r = openssl(['crl', '-in', p(m.ca.crlFile ?? ''), '-noout', '-text']);
    expect(r.status).toBe(0);
    expect(r.out).toContain(`Serial Number: ${m.users['revoked']?.serialHex}`);
    expect(r.out.match(/Serial Number:/g)).toHaveLength(1);
  });

  it.each([
    ['alice', 0],
    ['bob', 0],
    ['pilot', 0],
    ['outsider', 0], // openssl does not read namespaces; gridauthz rejects this one (§5.6)
  ])('openssl verify -crl_check_all accepts user %s', (name) => {
    const r = openssl(['verify', '-CApath', p(m.caDir), '-crl_check_all', p(m.users[name]?.certFile ?? '')]);
    expect(r.out).toContain(': OK');
    expect(r.status).toBe(0);
  });

  it.each([
    ['revoked', 'error 23 at 0 depth lookup: certificate revoked'],
    ['expired', 'error 10 at 0 depth lookup: certificate has expired'],
    ['mallory', 'error 20 at 0 depth lookup: unable to get local issuer certificate'],
  ])('openssl verify rejects user %s', (name, error) => {
    const r = openssl(['verify', '-CApath', p(m.caDir), '-crl_check_all', p(m.users[name]?.certFile ?? '')]);
    expect(r.out).toContain(error);
    expect(r.status).not.toBe(0);
  });

  it('issues a host certificate for TLS servers and clients with localhost and 127.0.0.1 in the SAN', () => {
    const text = execFileSync('openssl', ['x509', '-in', p(m.host.certFile), '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('DNS:localhost, IP Address:127.0.0.1');
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(m.host.subject).toBe('/DC=org/DC=gridauthz-dev/CN=host/localhost');
    const r = openssl(['verify', '-CApath', p(m.caDir), '-crl_check_all', '-purpose', 'sslserver', p(m.host.certFile)]);
    expect(r.status).toBe(0);
  });

  it('keeps the untrusted CA out of the trust directory', () => {
    const caFiles = execFileSync('ls', [p(m.caDir)], { encoding: 'utf8' });
    expect(caFiles).not.toContain(m.untrustedCa.hash);
    expect(m.untrustedCa.certFile.startsWith('untrusted/')).toBe(true);
  });

  it('writes every proxy in voms-proxy-init layout: proxy, its key, then the chain up to the EEC', () => {
    for (const [name, proxy] of Object.entries(m.proxies)) {
      const text = readFileSync(p(proxy.file), 'utf8');
      const labels = [...text.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((x) => x[1]);
      expect(labels, name).toEqual(['CERTIFICATE', expect.stringMatching(/PRIVATE KEY$/), ...Array<string>(proxy.depth).fill('CERTIFICATE')]);
      const subject = execFileSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'compat'], { input: text, encoding: 'utf8' });
      expect(subject.trim(), name).toBe(`subject=${proxy.subject}`);
      const eec = pemBlocks(text).at(-1) ?? '';
      const eecSubject = execFileSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'compat'], { input: eec, encoding: 'utf8' });
      expect(eecSubject.trim(), name).toBe(`subject=${proxy.identity}`);
    }
  });

  // openssl verify -allow_proxy_certs -crl_check_all; legacy and draft proxies are not proxies to OpenSSL (§3.7).
  const opensslExpectations: Record<string, string> = {
    alice: 'OK',
    'alice-proxy2': 'OK',
    'alice-limited': 'OK',
    'alice-legacy': 'error 79 at 1 depth lookup: invalid CA certificate',
    'alice-legacy-limited': 'error 79 at 1 depth lookup: invalid CA certificate',
    'alice-draft': 'error 34 at 0 depth lookup: unhandled critical extension',
    'alice-expired': 'error 10 at 0 depth lookup: certificate has expired',
    bob: 'OK',
    pilot: 'OK',
    revoked: 'error 23 at 1 depth lookup: certificate revoked',
    'expired-user': 'error 10 at 1 depth lookup: certificate has expired',
    outsider: 'OK',
    mallory: 'error 20 at 1 depth lookup: unable to get local issuer certificate',
    'alice-voms': 'OK',
    'alice-voms-proxy2': 'OK',
    'alice-voms-newformat': 'OK',
    'alice-voms-limited': 'OK',
    'alice-ac-expired': 'OK',
    'alice-voms-rogue': 'OK',
    'alice-voms-two-vos': 'OK',
    'pilot-voms': 'OK',
    'bob-voms': 'OK',
    'bob-voms-stolen-ac': 'OK',
    'revoked-voms': 'error 23 at 1 depth lookup: certificate revoked',
  };

  it('lists exactly the proxies the openssl table covers', () => {
    expect(Object.keys(m.proxies).sort()).toEqual(Object.keys(opensslExpectations).sort());
  });

  it.each(Object.entries(opensslExpectations))('openssl verify -allow_proxy_certs on proxy %s: %s', (name, expected) => {
    const r = verifyProxy(m.proxies[name]?.file ?? '');
    if (expected === 'OK') {
      expect(r.out).toMatch(/: OK\n$/);
      expect(r.status).toBe(0);
    } else {
      expect(r.out).toContain(expected);
      expect(r.status).not.toBe(0);
    }
  });

  it('records limited, depth and identity of each proxy in the manifest', () => {
    expect(m.proxies['alice-limited']).toMatchObject({ limited: true, policy: 'limited', depth: 1, format: 'rfc3820' });
    expect(m.proxies['alice-legacy']).toMatchObject({ format: 'legacy', subject: `${m.users['alice']?.subject}/CN=proxy` });
    expect(m.proxies['alice-legacy-limited']).toMatchObject({ format: 'legacy', limited: true, subject: `${m.users['alice']?.subject}/CN=limited proxy` });
    expect(m.proxies['alice-proxy2']).toMatchObject({ depth: 2, identity: m.users['alice']?.subject });
    expect(m.proxies['alice-expired']?.expected).toBe('CRED_PROXY_EXPIRED');
    // 24 h after `now` (validity times are whole seconds).
    const lifetime = Date.parse(m.proxies['alice']?.notAfter ?? '') - Date.parse(m.now);
    expect(lifetime).toBeGreaterThan(24 * 3600_000 - 1000);
    expect(lifetime).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('marks the limited proxy with the Globus limited policy OID 1.3.6.1.4.1.3536.1.1.1.9 (RFC 3820)', () => {
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: readFileSync(p(m.proxies['alice-limited']?.file ?? '')), encoding: 'utf8' });
    expect(text).toMatch(/Proxy Certificate Information: critical\s+Path Length Constraint: infinite\s+Policy Language: 1\.3\.6\.1\.4\.1\.3536\.1\.1\.1\.9/);
  });

  it('round-trips the manifest through loadDevPkiManifest', async () => {
    expect(await loadDevPkiManifest(dir)).toEqual(JSON.parse(JSON.stringify(m)));
    expect(await loadDevPkiManifest(join(dir, 'users'))).toBeUndefined();
  });

  it('ensureDevPki reuses a fresh PKI and regenerates a stale one', async () => {
    const same = await ensureDevPki({ dir, now: new Date(Date.parse(m.now) + 3600_000) });
    expect(same.generatedAt).toBe(m.generatedAt);
    const later = new Date(Date.parse(m.now) + 23.5 * 3600_000);
    const fresh = await ensureDevPki({ dir, now: later });
    expect(fresh.now).toBe(later.toISOString());
    // Same keys, same CA: the hash-named files keep their names across regenerations.
    expect(fresh.ca.hash).toBe(m.ca.hash);
    m = fresh;
  });
});
