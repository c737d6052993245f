import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, fixturePki } from '../support/fixtures';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/** Runs `openssl s_client` against the PDP with the given options; resolves with its exit code and output. */
function sClient(url: string, args: readonly string[]): Promise<{ code: number | null; out: string }> {
  const { hostname, port } = new URL(url);
  const pki = fixturePki();
  const alice = pki.users.alice;
  if (!alice) throw new Error('no fixture user alice');
  return new Promise((resolve, reject) => {
    const child = spawn(
      'openssl',
      ['s_client', '-connect', `${hostname}:${port}`, '-CAfile', fixturePath(pki.ca.certFile), '-cert', fixturePath(alice.certFile), '-key', fixturePath(alice.keyFile), '-ign_eof', ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    // A complete request, so that a connection that was accepted shows an HTTP answer too.
    child.stdin.end('GET /status HTTP/1.1\r\nHost: pdp\r\nConnection: close\r\n\r\n');
  });
}

/** The cipher s_client reports as negotiated, or undefined when none was ("(NONE)" or a failed handshake). */
const negotiated = (out: string): string | undefined => {
  const m = /Cipher is (\S+)/.exec(out) ?? /Cipher\s*:\s*(\S+)/.exec(out);
  return m?.[1] === '(NONE)' || m?.[1] === '0000' ? undefined : m?.[1];
};

/** Issue 15 finding 6: only forward-secret key exchange (docs/operations.md, "TLS"). */
describe(`PDP listener TLS suites (${databaseLabel()})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  it('refuses a TLS 1.2 client that offers only RSA key exchange (AES128-SHA)', async () => {
    const r = await sClient(t.server.pdpUrl, ['-tls1_2', '-cipher', 'AES128-SHA']);
    expect(r.code).not.toBe(0);
    expect(negotiated(r.out)).toBeUndefined();
    expect(r.out).not.toMatch(/HTTP\/1\.1 200/);
  });

  it('refuses the other static-RSA suites too (AES256-GCM-SHA384, AES128-SHA256)', async () => {
    const r = await sClient(t.server.pdpUrl, ['-tls1_2', '-cipher', 'AES256-GCM-SHA384:AES128-SHA256:AES256-SHA']);
    expect(r.code).not.toBe(0);
    expect(negotiated(r.out)).toBeUndefined();
  });

  it('accepts a TLS 1.2 ECDHE client and answers it', async () => {
    const r = await sClient(t.server.pdpUrl, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']);
    expect(negotiated(r.out)).toBe('ECDHE-RSA-AES128-GCM-SHA256');
    expect(r.out).toMatch(/HTTP\/1\.1 200/);
  });

  it('accepts an old client with ECDHE and CBC (ECDHE-RSA-AES128-SHA)', async () => {
    const r = await sClient(t.server.pdpUrl, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA']);
    expect(negotiated(r.out)).toBe('ECDHE-RSA-AES128-SHA');
  });

  it('accepts TLS 1.3', async () => {
    const r = await sClient(t.server.pdpUrl, ['-tls1_3']);
    expect(negotiated(r.out)).toMatch(/^TLS_AES_/);
    expect(r.out).toMatch(/HTTP\/1\.1 200/);
  });

  it('refuses TLS 1.1', async () => {
    const r = await sClient(t.server.pdpUrl, ['-tls1_1', '-cipher', 'ALL:@SECLEVEL=0']);
    expect(negotiated(r.out)).toBeUndefined();
  });
});
