import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type DevServer, spawnDevServer, stopDevServer } from '../support/dev-server';

const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'gridauthz.js');
const run = promisify(execFile);

/**
 * What `npm start` does on a fresh clone (`gridauthz serve --dev` in an empty working directory): writes
 * ./var, serves both listeners, and prints a command that works. The embedded database is what a fresh clone
 * gets, so DATABASE_URL is removed here even when the suite runs on PostgreSQL.
 */
describe('npm start on a fresh checkout (gridauthz serve --dev)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'gridauthz-start-'));
  let dev: DevServer | undefined;
  afterAll(async () => {
    await stopDevServer(dev);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('serves /healthz and /readyz, and the printed curl command reaches the PDP as the dev user', async () => {
    dev = await spawnDevServer(cwd);
    const { output, startedAt: started } = dev;
    const managementPort = dev.ports.management;

    // Listeners come up before the embedded database finishes its first initdb.
    let healthy = false;
    while (!healthy && Date.now() - started < 20_000) {
      healthy = await fetch(`http://127.0.0.1:${managementPort}/healthz`).then((r) => r.ok, () => false);
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    expect(healthy, output.stderr).toBe(true);
    const listeningMs = Date.now() - started;
    expect(listeningMs).toBeLessThan(20_000); // the 5 s target is measured in BENCHMARKS.md, not asserted here

    while (!output.stdout.includes('curl ') && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 100));
    const command = /^\s*(curl .*)$/m.exec(output.stdout)?.[1];
    expect(command, `stdout:\n${output.stdout}\nstderr:\n${output.stderr}`).toBeDefined();
    const ready = await fetch(`http://127.0.0.1:${managementPort}/readyz`);
    expect(ready.status).toBe(200);

    const { stdout: answer } = await run('sh', ['-c', `${command} --silent --show-error --fail`], { cwd });
    const body = JSON.parse(answer) as { caller: { dn: string } };
    expect(body.caller.dn).toMatch(/CN=Alice/);
  }, 90_000);
});

describe('start-up with a bad configuration', () => {
  it('stops with exit code 78 and a message naming the key', async () => {
    const env = { ...process.env, GRIDAUTHZ_PDP_PORT: 'abc', GRIDAUTHZ_CA_DIR: '/nonexistent/certificates' };
    const failure = await run(process.execPath, [CLI, 'serve'], { env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(78);
    expect(failure?.stderr).toMatch(/pdp\.port \(from GRIDAUTHZ_PDP_PORT\)/);
  });

  it('refuses a worker count that is not auto or 1-256, and more than one worker on the embedded database', async () => {
    const attempt = (extra: Record<string, string>) => {
      const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
      delete env.DATABASE_URL;
      return run(process.execPath, [CLI, 'serve'], { env }).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
    };
    const bad = await attempt({ GRIDAUTHZ_WORKERS: 'lots' });
    expect(bad?.code).toBe(78);
    expect(bad?.stderr).toMatch(/server\.workers \(from GRIDAUTHZ_WORKERS\): expected auto or a whole number 1-256/);
    const embedded = await attempt({ GRIDAUTHZ_WORKERS: '4' });
    expect(embedded?.code).toBe(78);
    expect(embedded?.stderr).toMatch(/server\.workers above 1 needs PostgreSQL/);
  });

  it('names a missing CA directory', async () => {
    const env = { ...process.env, GRIDAUTHZ_CA_DIR: '/nonexistent/certificates' };
    const failure = await run(process.execPath, [CLI, 'serve'], { env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(78);
    expect(failure?.stderr).toMatch(/trust\.caDir: directory \/nonexistent\/certificates does not exist/);
  });
});
