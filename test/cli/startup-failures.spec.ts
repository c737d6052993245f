import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { Database } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../migrations';
import { buildCliIfStale } from '../support/build-cli';
import { fixturePath, fixturePki } from '../support/fixtures';
import { freePorts } from '../support/free-ports';
import { ensurePgliteTemplate } from '../support/pglite-template';

const CLI = join(resolve(__dirname, '..', '..'), 'bin', 'gridauthz.js');

interface Outcome {
  code: number | null;
  stderr: string;
  ms: number;
}

/** Runs `gridauthz serve …` to its end (it must end by itself: a start-up failure exits). */
function serve(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((done) => {
    const child = execFile(process.execPath, [CLI, 'serve', ...args], { env, cwd, timeout: 60_000 }, (err, _stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr, ms: Date.now() - started });
    });
    child.stdin?.end();
  });
}

const stderrLines = (o: Outcome): string[] => o.stderr.split('\n').filter((l) => l.trim() !== '');

/**
 * Every start-up failure of issue 17.2: the process exits by itself, with one line on stderr naming the cause and
 * the exit code documented in README "Exit codes".
 */
describe('serve start-up failures', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'gridauthz-startfail-'));
  const pki = fixturePki();
  let holder: Server;
  let heldPort: number;
  let ports: number[] = [];
  /** How long loading the CLI alone takes now (`--version`): on a loaded machine that dwarfs the 5 s budget. */
  let loadMs = 0;
  const baseEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GRIDAUTHZ_HOST_CERT: fixturePath(pki.host.certFile),
      GRIDAUTHZ_HOST_KEY: fixturePath(pki.host.keyFile),
      GRIDAUTHZ_CA_DIR: fixturePath(pki.caDir),
      GRIDAUTHZ_VOMS_DIR: fixturePath('vomsdir'),
      GRIDAUTHZ_PDP_HOST: '127.0.0.1',
      GRIDAUTHZ_PDP_PORT: String(ports[0]),
      GRIDAUTHZ_MANAGEMENT_PORT: String(ports[1]),
      GRIDAUTHZ_ADMIN_PORT: String(ports[2]),
      GRIDAUTHZ_LOG_LEVEL: 'silent',
      GRIDAUTHZ_DATA_DIR: join(cwd, 'db'),
      GRIDAUTHZ_POLICY_DIR: join(cwd, 'no-policies'),
      ...extra,
    };
    delete env.GRIDAUTHZ_CONFIG;
    return env;
  };

  beforeAll(async () => {
    buildCliIfStale();
    holder = createServer();
    await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
    heldPort = (holder.address() as AddressInfo).port;
    const t0 = Date.now();
    await new Promise((ok) => execFile(process.execPath, [CLI, '--version'], ok));
    loadMs = Date.now() - t0;
    ports = await freePorts(4); // the fourth stays closed: nothing listens there
    if (process.env.DATABASE_URL) {
      const db = await Database.open({ url: process.env.DATABASE_URL, dataDir: cwd, migrations: MIGRATIONS, log: silentLog });
      await db.migrate();
      await db.close();
    }
  });
  afterAll(async () => {
    await new Promise((ok) => holder.close(ok));
    rmSync(cwd, { recursive: true, force: true });
  });

  it.runIf(Boolean(process.env.DATABASE_URL))('port in use with --workers 2 on PostgreSQL: exit 71 within 5 s, one line naming the port', async () => {
    const o = await serve(['--workers', '2'], baseEnv({ GRIDAUTHZ_PDP_PORT: String(heldPort) }), cwd);
    expect(o.code, o.stderr).toBe(71);
    expect(o.ms).toBeLessThan(5_000 + loadMs); // 5 s of its own beyond loading the CLI
    expect(stderrLines(o)).toEqual([`gridauthz: PDP listener: port ${heldPort} is in use (127.0.0.1:${heldPort}); stop what holds it or set pdp.port`]);
  });

  it('a worker that cannot start (database unreachable) stops the supervisor with its code and one line', async () => {
    const o = await serve(['--workers', '2'], baseEnv({ DATABASE_URL: `postgres://postgres@127.0.0.1:${ports[3]}/none`, GRIDAUTHZ_DATABASE_CONNECT_RETRY_SECONDS: '1' }), cwd);
    expect(o.code, o.stderr).toBe(69);
    expect(stderrLines(o)).toHaveLength(1);
    expect(o.stderr).toMatch(/^gridauthz: database unreachable after 1 s \(database\.connectRetrySeconds\): /);
  }, 60_000);

  it('port in use in one process: exit 71, one line naming the listener and port', async () => {
    const o = await serve([], baseEnv({ GRIDAUTHZ_MANAGEMENT_PORT: String(heldPort), GRIDAUTHZ_MANAGEMENT_HOST: '127.0.0.1' }), cwd);
    expect(o.code, o.stderr).toBe(71);
    expect(stderrLines(o)).toEqual([`gridauthz: management listener: port ${heldPort} is in use (127.0.0.1:${heldPort}); stop what holds it or set management.port`]);
  });

  it('unreadable host key: exit 78 naming tls.keyFile', async () => {
    const key = join(cwd, 'broken-hostkey.pem');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
    const o = await serve([], baseEnv({ GRIDAUTHZ_HOST_KEY: key }), cwd);
    expect(o.code, o.stderr).toBe(78);
    expect(stderrLines(o)).toHaveLength(1);
    expect(o.stderr).toContain(`tls.keyFile: ${key} is not a readable unencrypted private key`);
  });

  it('CA directory missing: exit 78 naming trust.caDir', async () => {
    const o = await serve([], baseEnv({ GRIDAUTHZ_CA_DIR: join(cwd, 'no-such-certificates') }), cwd);
    expect(o.code, o.stderr).toBe(78);
    expect(stderrLines(o)).toEqual([`gridauthz: invalid configuration: trust.caDir: directory ${join(cwd, 'no-such-certificates')} does not exist or cannot be read`]);
  });

  it('PostgreSQL unreachable past database.connectRetrySeconds: exit 69', async () => {
    const o = await serve([], baseEnv({ DATABASE_URL: `postgres://postgres@127.0.0.1:${ports[3]}/none`, GRIDAUTHZ_DATABASE_CONNECT_RETRY_SECONDS: '1' }), cwd);
    expect(o.code, o.stderr).toBe(69);
    expect(stderrLines(o)).toHaveLength(1);
    expect(o.stderr).toMatch(/^gridauthz: database unreachable after 1 s \(database\.connectRetrySeconds\): /);
  }, 60_000);

  it('schema older than the release (pending migrations): exit 65 saying to migrate', async () => {
    const dataDir = join(cwd, 'unmigrated');
    cpSync(join(await ensurePgliteTemplate()), join(dataDir, 'pgdata'), { recursive: true });
    const env = baseEnv({ GRIDAUTHZ_DATA_DIR: dataDir });
    delete env.DATABASE_URL;
    const o = await serve([], env, cwd);
    expect(o.code, o.stderr).toBe(65);
    expect(stderrLines(o)).toEqual(['gridauthz: database schema is older than this release (pending migrations); run `gridauthz migrate`, or serve --migrate']);
  }, 60_000);
});
