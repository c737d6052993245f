import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliIfStale } from '../support/build-cli';
import { type DevServer, spawnDevServer, stopDevServer } from '../support/dev-server';

const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'gridauthz.js');

interface Readyz {
  status: string;
  checks: { name: string; ok: boolean; detail: string }[];
}

/**
 * Issue 17.1 and 17.3 acceptance: `serve --dev` on the embedded database (PGlite) with no policy directory; every
 * CLI command that needs the database works beside it (through the socket the server serves), and the server
 * takes the applied policy within a second. DATABASE_URL is removed: this is the embedded set-up whatever the suite
 * runs on.
 */
describe('CLI commands beside a running serve --dev on PGlite', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'gridauthz-shared-'));
  let dev: DevServer | undefined;
  const log = (): string => dev?.output.all ?? '';

  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) => {
      execFile(process.execPath, [CLI, ...args], { cwd, env: dev?.env, timeout: 60_000 }, (err, stdout, stderr) =>
        done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const readyz = async (): Promise<Readyz> => (await fetch(`http://127.0.0.1:${dev?.ports.management ?? 0}/readyz`)).json() as Promise<Readyz>;
  const logLines = (): { msg: string; [k: string]: unknown }[] =>
    log()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string });

  beforeAll(async () => {
    buildCliIfStale();
    dev = await spawnDevServer(cwd, { GRIDAUTHZ_POLICY_DIR: join(cwd, 'no-policies') });
    const { child } = dev;
    const started = Date.now();
    while (!logLines().some((l) => l.msg === 'seeded the development admin principal') && Date.now() - started < 120_000) {
      if (child.exitCode !== null) throw new Error(`serve --dev exited ${child.exitCode}:\n${log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 150_000);
  afterAll(async () => {
    await stopDevServer(dev);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('without a policy the log and /readyz give the same reason, and the log never says ready', async () => {
    const answer = await readyz();
    expect(answer.status).not.toBe('ready');
    const policy = answer.checks.find((c) => c.name === 'policy');
    expect(policy?.ok).toBe(false);
    expect(policy?.detail).toContain(`no policy directory ${join(cwd, 'no-policies')}`);
    expect(policy?.detail).toContain('gridauthz policy apply');
    const notReady = logLines().find((l) => l.msg.startsWith('not ready:'));
    expect(notReady?.msg).toContain(policy?.detail);
    expect(logLines().some((l) => l.msg === 'ready')).toBe(false);
  });

  it('seeded the dev officer as a security officer and printed the admin API with an example', async () => {
    expect(log()).toMatch(/admin API {3}https:\/\/127\.0\.0\.1:\d+/);
    const example = /^\s*(gridauthz pool list .*)$/m.exec(log())?.[1];
    expect(example).toBeDefined();
    const args = (example as string).split(/\s+/).slice(1);
    const pools = await cli(args);
    expect(pools.stderr).toBe('');
    expect(pools.stdout).toMatch(/^ID\s+KIND\s+ACCOUNTS/);
  });

  it('admin principal add goes through the server, and --verbose says so', async () => {
    const r = await cli(['--verbose', 'admin', 'principal', 'add', 'CN=Ann Auditor,OU=People,DC=gridauthz-dev,DC=org', '--role', 'auditor']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('/DC=org/DC=gridauthz-dev/OU=People/CN=Ann Auditor added as auditor');
    expect(r.stderr).toMatch(/database: embedded PGlite in .*, served by the running server \(pid \d+\) on .*\.s\.PGSQL\.5432/);
    const list = await cli(['admin', 'principal', 'list']);
    expect(list.stdout).toContain('CN=Olivia Officer');
    expect(list.stdout).toContain('CN=Ann Auditor');
  });

  it('import gridmapdir and export gridmapdir', async () => {
    const gridmapdir = join(cwd, 'gridmapdir');
    mkdirSync(gridmapdir);
    for (const n of ['001', '002', '003']) writeFileSync(join(gridmapdir, `cms${n}`), '');
    writeFileSync(join(cwd, 'passwd'), ['cms001', 'cms002', 'cms003'].map((u, i) => `${u}:x:${71001 + i}:71000::/home/${u}:/sbin/nologin`).join('\n') + '\n');
    writeFileSync(join(cwd, 'group'), 'cms:x:71000:\n');
    const imported = await cli(['import', 'gridmapdir', gridmapdir, '--passwd', join(cwd, 'passwd'), '--group', join(cwd, 'group')]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/pools/);
    const importedAt = Date.now();
    let mapping = '';
    while (Date.now() - importedAt < 1_000 && !mapping.startsWith('5 pools')) {
      mapping = (await readyz()).checks.find((c) => c.name === 'mapping')?.detail ?? '';
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(mapping).toMatch(/^5 pools/); // the four dev pools and cms: the server took the import from the change feed
    const out = join(cwd, 'exported');
    const exported = await cli(['export', 'gridmapdir', out, '--pool', 'cms']); // the dev site's pilot pool has names LCMAPS would not read
    expect(exported.code, exported.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['cms001', 'cms002', 'cms003']));
  });

  it('policy apply is taken by the running server within a second; policy list shows it', async () => {
    const file = join(cwd, 'site.spl');
    copyFileSync(join(REPO, 'policies', 'site.spl'), file);
    const applied = await cli(['policy', 'apply', file, '--comment', 'from the CLI beside serve --dev']);
    const appliedAt = Date.now();
    expect(applied.code, applied.stderr).toBe(0);
    const version = /policy version (\d+)/.exec(applied.stdout)?.[1];
    expect(version).toBeDefined();
    let detail = '';
    while (Date.now() - appliedAt < 1_000) {
      detail = (await readyz()).checks.find((c) => c.name === 'policy')?.detail ?? '';
      if (detail.startsWith(`policy version ${version} `)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(detail).toMatch(new RegExp(`^policy version ${version} `));
    expect((await readyz()).status).toBe('ready');
    const started = Date.now();
    while (!logLines().some((l) => l.msg === 'ready') && Date.now() - started < 3_000) await new Promise((r) => setTimeout(r, 50));
    expect(logLines().some((l) => l.msg === 'ready')).toBe(true);
    const list = await cli(['policy', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^\\*\\s+${version}\\s.*from the CLI beside serve --dev$`, 'm'));
    expect(readFileSync(file, 'utf8').length).toBeGreaterThan(0);
  });
});
