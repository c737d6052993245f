import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePrimaResponse, encodePrimaRequest } from '@gridauthz/protocols';
import { buildCliIfStale } from '../support/build-cli';
import { fixturePath, fixturePki, readFixture } from '../support/fixtures';
import { freePorts } from '../support/free-ports';
import { httpsCall } from '../support/https-client';
import { createTestStorage, databaseLabel, type TestStorage } from '../support/test-database';

const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'gridauthz.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Issue 14 acceptance: a non-dev site set up only with the commands docs/site-setup.md shows (no SQL, no dev seed,
 * no --dev): its own YAML file, the test PKI as CA directory, vomsdir and host certificate, `migrate`, an admin
 * principal, callers, pools and rules imported from legacy files, `policy apply`, `serve`. Then a pilot's glexec
 * question (authz-interop with the payload's VOMS proxy) and the CE's questions about the same user, asked with
 * `gridauthz query` as step 9 shows them (PRIMA, and ARC's emi dialect), get Permit with one and the same account.
 * The CLI runs before `serve`: with the embedded database, one process at a time.
 */
/** The site policy exactly as step 7 of docs/site-setup.md writes it (the `cat > … <<'SPL'` here-document). */
function documentedPolicy(): string {
  const doc = readFileSync(join(REPO, 'docs', 'site-setup.md'), 'utf8');
  const m = /^cat > \S+\/site\.spl <<'SPL'\n([\s\S]*?)^SPL$/m.exec(doc);
  if (!m?.[1]) throw new Error("docs/site-setup.md has no `cat > …/site.spl <<'SPL'` here-document in step 7");
  return m[1];
}

describe(`a site set up from docs/site-setup.md (${databaseLabel()})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridauthz-site-'));
  const configFile = join(dir, 'gridauthz.yaml');
  let storage: TestStorage;
  let ports: number[];
  let server: ChildProcess | undefined;
  let serverLog = '';
  const pki = fixturePki();
  const alice = pki.proxies['alice-voms'];
  const pilotDn = pki.users['pilot']?.subject ?? '';
  const operatorDn = pki.users['bob']?.subject ?? '';

  // Only the configuration file: no DATABASE_URL, no GRIDAUTHZ_* variables, so the file alone configures the site.
  const env = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(e)) if (k.startsWith('GRIDAUTHZ_') || k.startsWith('X509_') || k === 'DATABASE_URL') delete e[k];
    return e;
  };
  const gridauthz = (...args: string[]): Promise<Run> =>
    new Promise((ok) => {
      execFile(process.execPath, [CLI, ...args], { env: env(), cwd: dir }, (err, stdout, stderr) => {
        ok({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  const step = async (...args: string[]): Promise<Run> => {
    const r = await gridauthz(...args, '--config', configFile);
    expect(r.code, `gridauthz ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r;
  };

  beforeAll(async () => {
    buildCliIfStale();
    storage = await createTestStorage();
    ports = await freePorts(3);
  }, 180_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((ok) => server?.once('exit', ok));
      server.kill('SIGTERM');
      await exited;
    }
    await storage?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is set up with documented commands only, before the server starts', async () => {
    if (!alice) throw new Error('no alice-voms fixture proxy');
    const [pdpPort, managementPort, adminPort] = ports;
    // Step 2 of docs/site-setup.md: the configuration file.
    const database = storage.url ? `database:\n  url: "${storage.url}"\n` : `database:\n  dataDir: ${storage.dataDir}\n`;
    mkdirSync(join(dir, 'policies'));
    writeFileSync(
      configFile,
      [
        'pdp:',
        '  host: 127.0.0.1',
        `  port: ${pdpPort}`,
        'management:',
        '  host: 127.0.0.1',
        `  port: ${managementPort}`,
        'admin:',
        '  host: 127.0.0.1',
        `  port: ${adminPort}`,
        'tls:',
        `  certFile: ${fixturePath(pki.host.certFile)}`,
        `  keyFile: ${fixturePath(pki.host.keyFile)}`,
        'trust:',
        `  caDir: ${fixturePath(pki.caDir)}`,
        `  vomsDir: ${fixturePath(pki.vomsDir)}`,
        'mapping:',
        '  conventions: argus',
        'server:',
        '  workers: 1',
        'policy:',
        `  dir: ${join(dir, 'policies')}`,
        'log:',
        '  format: json',
        database,
      ].join('\n'),
    );

    // Step 3: the schema.
    await step('migrate');
    // Step 4: the first admin.
    await step('admin', 'principal', 'add', operatorDn, '--role', 'operator');
    // Step 5: callers. The pilot factory's certificate DN may ask for payload mappings; the CE may assert.
    await step('caller', 'add', pilotDn, '--role', 'pilot', '--comment', 'ATLAS pilot factory');
    await step('caller', 'add', pki.host.subject, '--role', 'asserter', '--comment', 'CE ce01 (PRIMA)');
    const listed = JSON.parse((await step('caller', 'list', '--json')).stdout) as { callers: { dn: string; role: string; source: string }[] };
    expect(listed.callers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dn: pilotDn, role: 'pilot', source: 'database' }),
        expect.objectContaining({ dn: pki.host.subject, role: 'asserter', source: 'database' }),
      ]),
    );

    // Step 6: pools and rules from the legacy files (a gridmapdir with free accounts, grid-mapfile, groupmapfile).
    const gridmapdir = join(dir, 'gridmapdir');
    mkdirSync(gridmapdir);
    const accounts = ['atlas001', 'atlas002', 'atlas003', 'atlas004', 'atlas005'];
    for (const a of accounts) writeFileSync(join(gridmapdir, a), '');
    writeFileSync(join(dir, 'passwd'), accounts.map((a, i) => `${a}:x:${61001 + i}:5000::/home/${a}:/bin/bash`).join('\n') + '\n');
    writeFileSync(join(dir, 'group'), 'atlas:x:5000:\n');
    writeFileSync(join(dir, 'grid-mapfile'), '"/atlas" .atlas\n');
    writeFileSync(join(dir, 'groupmapfile'), '"/atlas" atlas\n');
    await step('import', 'gridmapdir', gridmapdir, '--passwd', join(dir, 'passwd'), '--group', join(dir, 'group'));
    await step('import', 'grid-mapfile', join(dir, 'grid-mapfile'));
    await step('import', 'groupmapfile', join(dir, 'groupmapfile'));

    // Step 7: the site policy, taken from docs/site-setup.md itself so that test and walk-through cannot drift apart.
    writeFileSync(join(dir, 'site.spl'), documentedPolicy());
    const lint = await gridauthz('policy', 'lint', join(dir, 'site.spl'));
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    await step('policy', 'apply', join(dir, 'site.spl'), '--comment', 'first policy');

    // Step 8: serve.
    server = spawn(process.execPath, [CLI, 'serve', '--config', configFile], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (c: Buffer) => (serverLog += c.toString()));
    server.stderr?.on('data', (c: Buffer) => (serverLog += c.toString()));
    const started = Date.now();
    let ready = false;
    while (!ready && Date.now() - started < 60_000 && server.exitCode === null) {
      ready = await fetch(`http://127.0.0.1:${managementPort}/readyz`).then((r) => r.ok, () => false);
      if (!ready) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready, serverLog.slice(-4000)).toBe(true);
  }, 480_000);

  let pilotAccount: string | undefined;

  it("answers a pilot's glexec question (authz-interop, the payload's VOMS proxy) with Permit and an atlas account", async () => {
    if (!alice) throw new Error('no alice-voms fixture proxy');
    const pilotProxy = fixturePath(pki.proxies['pilot-voms']?.file ?? '');
    const r = await gridauthz(
      'query',
      '--url',
      `https://localhost:${ports[0]}/`,
      '--capath',
      fixturePath(pki.caDir),
      '--cert',
      pilotProxy,
      '--proxy',
      fixturePath(alice.file),
      '--dialect',
      'authz-interop',
      '--json',
    );
    expect(r.code, `${r.stdout}\n${r.stderr}\n${serverLog.slice(-3000)}`).toBe(0);
    const answer = JSON.parse(r.stdout) as { decision: string; username?: string; uid?: number; gid?: number };
    expect(answer).toMatchObject({ decision: 'Permit', gid: 5000 });
    expect(answer.username).toMatch(/^atlas00[1-5]$/);
    expect(answer.uid).toBe(61000 + Number(answer.username?.slice(-3)));
    pilotAccount = answer.username;
  }, 60_000);

  // Step 9 of docs/site-setup.md: the CE ce01 asks as itself (its host certificate) about the payload user's proxy.
  // The fixture host certificate is both the PDP's and the CE's here; at a real site they differ, hence --resource.
  const asCe = (...args: string[]): Promise<Run> =>
    gridauthz(
      'query',
      '--url',
      `https://localhost:${ports[0]}/`,
      '--capath',
      fixturePath(pki.caDir),
      '--cert',
      fixturePath(pki.host.certFile),
      '--key',
      fixturePath(pki.host.keyFile),
      '--proxy',
      fixturePath(alice?.file ?? ''),
      ...args,
      '--json',
    );

  it('answers the CE (trusted asserter) asking over PRIMA with the documented command with the same account', async () => {
    expect(pilotAccount).toBeDefined();
    // `gridauthz query --protocol prima` sends what the GUMS PRIMA client sends: Subject = the user's DN, Resource =
    // the CE's own DN, the proxy's FQANs as Evidence; no certificate chain.
    const r = await asCe('--protocol', 'prima', '--resource', pki.host.subject);
    expect(r.code, `${r.stdout}\n${r.stderr}\n${serverLog.slice(-3000)}`).toBe(0);
    const answer = JSON.parse(r.stdout) as { protocol: string; decision: string; username?: string };
    expect(answer).toMatchObject({ protocol: 'prima', decision: 'Permit', username: pilotAccount });
  }, 60_000);

  it("answers the CE asking over ARC's emi dialect with the documented command with the same account", async () => {
    expect(pilotAccount).toBeDefined();
    // ARC's shape: subject-id, the CA as dci-sec subject-issuer, group/role and their primary forms apart, the A-REX
    // endpoint on ce01 as resource and the EMI ANY action (the CLI's emi defaults; --host names the CE).
    const r = await asCe('--dialect', 'emi', '--host', 'ce01.example.org', '--xml');
    expect(r.code, `${r.stdout}\n${r.stderr}\n${serverLog.slice(-3000)}`).toBe(0);
    const answer = JSON.parse(r.stdout) as { dialect: string; decision: string; username?: string; groupName?: string; obligations: { id: string }[]; request: string };
    expect(answer.request).toContain('AttributeId="http://dci-sec.org/xacml/attribute/subject-issuer"');
    expect(answer.request).toContain('AttributeId="http://dci-sec.org/xacml/attribute/group/primary"');
    expect(answer.request).toContain('https://ce01.example.org:443/arex');
    expect(answer.request).toContain('http://dci-sec.org/xacml/action/ANY');
    // The answer ARC reads: EMI's POSIX mapping obligation, account and group by name (no numeric ids in that profile).
    expect(answer).toMatchObject({ dialect: 'emi', decision: 'Permit', username: pilotAccount, groupName: 'atlas' });
    expect(answer.obligations.map((o) => o.id)).toContain('http://dci-sec.org/xacml/obligation/map-local-user/posix');
  }, 60_000);

  it('refuses the same PRIMA question from a user certificate asking about itself with asserted FQANs', async () => {
    if (!alice) throw new Error('no alice-voms fixture proxy');
    const plain = pki.proxies['alice'];
    if (!plain) throw new Error('no alice fixture proxy');
    const pem = readFixture(plain.file);
    const request = encodePrimaRequest({ subjectDn: alice.identity, resourceDn: alice.identity, fqans: ['/atlas/Role=NULL/Capability=NULL'], fqanIssuer: '/DC=org/DC=gridauthz-dev/OU=hosts/CN=voms.gridauthz-dev.org', now: new Date(), idGenerator: randomUUID });
    const blocks = pem.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n?/g) ?? [];
    const http = await httpsCall({
      url: `https://127.0.0.1:${ports[0]}/gums/services/GUMSAuthorizationServicePort`,
      method: 'POST',
      ca: readFixture(pki.ca.certFile),
      identity: { cert: blocks.filter((b) => b.includes('CERTIFICATE')).join(''), key: blocks.find((b) => b.includes('PRIVATE KEY')) ?? '' },
      body: request.body,
      headers: { soapaction: request.soapAction },
    });
    const answer = decodePrimaResponse(http.body, request.expect);
    expect(answer.ok && answer.value.decision).not.toBe('Permit');
    expect(answer.ok && answer.value.username).toBeUndefined();
  }, 60_000);
});

