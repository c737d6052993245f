import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, fixturePki } from '../support/fixtures';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

const CLI = resolve(__dirname, '..', '..', 'bin', 'gridauthz.js');
const run = promisify(execFile);

/** `gridauthz query --authzen` and `--token` against the real server over mutual TLS (docs/authzen.md §7). */
describe(`gridauthz query through AuthZEN (${databaseLabel()})`, () => {
  let t: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'ga-query-authzen-'));
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  const query = (args: string[]) =>
    run(process.execPath, [CLI, 'query', '--url', t.server.pdpUrl, '--capath', fixturePath(fixturePki().caDir), ...args]).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
  const proxyFile = (name: string) => fixturePath(fixturePki().proxies[name]?.file ?? '');

  it('--authzen about a payload proxy: Permit with the account the SAML2-XACML2 query maps, exit 0', async () => {
    const saml = await query(['--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('alice-voms'), '--dialect', 'authz-interop', '--json']);
    const authzen = await query(['--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('alice-voms'), '--authzen', '--host', 'wn042.example.org', '--json']);
    expect(authzen.code, authzen.stderr).toBe(0);
    const a = JSON.parse(authzen.stdout) as { protocol: string; decision: string; username: string; uid: number; gid: number; secondaryGids: number[] };
    const s = JSON.parse(saml.stdout) as typeof a;
    expect(a.protocol).toBe('authzen');
    expect([a.decision, a.username, a.uid, a.gid, a.secondaryGids]).toEqual(['Permit', s.username, s.uid, s.gid, s.secondaryGids]);
    const text = await query(['--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('alice-voms'), '--authzen']);
    expect(text.stdout).toMatch(new RegExp(`^Decision: Permit\\n[\\s\\S]*Username: ${s.username}\\n`));
  });

  it('--authzen exits 1 on Deny', async () => {
    const r = await query(['--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('mallory'), '--authzen']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Decision: Deny/);
  });

  it('--token: a file that is not a token is refused before sending; --proxy and --token together too', async () => {
    const bad = join(dir, 'not-a-token');
    writeFileSync(bad, 'hello\n');
    const r = await query(['--cert', proxyFile('pilot-voms'), '--token', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not hold one compact JWS/);
    const both = await query(['--cert', proxyFile('pilot-voms'), '--token', bad, '--proxy', proxyFile('alice-voms')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exactly one of --proxy and --token/);
  });

  it('--token with an unsigned made-up token is never a Permit, through either carrier', async () => {
    const forged = join(dir, 'forged');
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    writeFileSync(forged, `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: 'https://issuer.example', sub: 'alice', 'wlcg.groups': ['/atlas'] })}.\n`);
    for (const carrier of ['authzen', 'saml']) {
      const r = await query(['--cert', proxyFile('pilot-voms'), '--token', forged, '--carrier', carrier, '--json']);
      expect(r.code, `${carrier}: ${r.stdout}${r.stderr}`).not.toBe(0);
      expect(r.stdout).not.toMatch(/"decision":"Permit"/);
    }
  });
});
