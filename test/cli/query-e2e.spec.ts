import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, fixturePki } from '../support/fixtures';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

const CLI = resolve(__dirname, '..', '..', 'bin', 'gridauthz.js');
const run = promisify(execFile);

/** `gridauthz query` (a pepcli for both protocols) against the real server, over real mutual TLS. */
describe(`gridauthz query against the server (${databaseLabel()})`, () => {
  let t: TestServer;
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

  it('prints Permit with username, uid, gid and exits 0 for glexec-style authz-interop', async () => {
    const r = await query(['--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('alice-voms'), '--dialect', 'authz-interop', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as { decision: string; username?: string; uid?: number; gid?: number };
    expect(answer.decision).toBe('Permit');
    expect(answer.username).toMatch(/^atlas\d{3}$/);
    expect(answer.uid).toBeGreaterThan(61000);
    expect(answer.gid).toBe(5000);
  });

  it('exits 1 on Deny (a payload from an unknown CA)', async () => {
    const r = await query(['--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('mallory'), '--dialect', 'authz-interop']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Deny/);
  });

  it('answers through grid-wn as names', async () => {
    const user = fixturePki().users.pilot;
    if (!user) throw new Error('no pilot user');
    const r = await query(['--cert', fixturePath(user.certFile), '--key', fixturePath(user.keyFile), '--proxy', proxyFile('alice-voms'), '--dialect', 'grid-wn']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/atlas\d{3}/);
  });

  it('exits 2 when it cannot reach the service', async () => {
    const r = await run(process.execPath, [CLI, 'query', '--url', 'https://127.0.0.1:1', '--capath', fixturePath(fixturePki().caDir), '--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('alice-voms')]).then(
      () => ({ code: 0 }),
      (err: { code: number }) => ({ code: err.code }),
    );
    expect(r.code).toBe(2);
  });
});
