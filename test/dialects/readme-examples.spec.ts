import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliIfStale } from '../support/build-cli';
import { type DevServer, spawnDevServer, stopDevServer } from '../support/dev-server';

const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'gridauthz.js');
const run = promisify(execFile);

/** The `gridauthz query` commands of the README's "Asking it something" section, continuation lines joined. */
function readmeQueries(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Asking it something'), readme.indexOf('\n## ', readme.indexOf('## Asking it something') + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').replace(/\\\n\s*/g, '').trim()).filter((c) => c.startsWith('npx gridauthz query'));
}

/**
 * The README's query examples, run as written (only the port is this test's) against `gridauthz serve --dev` in
 * a fresh directory, as `npm start` runs it: every one answers Permit, all with the same account.
 */
describe('README query examples against a dev site', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'gridauthz-readme-'));
  let dev: DevServer | undefined;
  let pdpPort = 0;

  beforeAll(async () => {
    await buildCliIfStale();
    dev = await spawnDevServer(cwd);
    pdpPort = dev.ports.pdp;
    const managementPort = dev.ports.management;
    const started = Date.now();
    let ready = false;
    while (!ready && Date.now() - started < 90_000) {
      ready = await fetch(`http://127.0.0.1:${managementPort}/readyz`).then((r) => r.status === 200, () => false);
      if (!ready) await new Promise((r) => setTimeout(r, 200));
    }
    if (!ready) throw new Error(`the dev server did not become ready:\n${dev.output.stderr}`);
  }, 120_000);

  afterAll(async () => {
    await stopDevServer(dev);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('shows authz-interop, grid-wn, emi and PRIMA examples', () => {
    const commands = readmeQueries();
    expect(commands.some((c) => c.includes('--dialect authz-interop'))).toBe(true);
    expect(commands.some((c) => c.includes('--dialect grid-wn'))).toBe(true);
    expect(commands.some((c) => c.includes('--dialect emi'))).toBe(true);
    expect(commands.some((c) => c.includes('--protocol prima'))).toBe(true);
  });

  it('each answers Permit with the same account', async () => {
    const usernames: string[] = [];
    for (const command of readmeQueries()) {
      const args = command.replace(/^npx gridauthz /, '').replace('https://127.0.0.1:8443', `https://127.0.0.1:${pdpPort}`).split(/\s+/);
      const outcome = await run(process.execPath, [CLI, ...args], { cwd }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
      );
      expect(outcome.stdout, `${command}\n${outcome.stderr}`).toMatch(/^Decision: Permit$/m);
      expect(outcome.code, command).toBe(0);
      const username = /^Username: (\S+)$/m.exec(outcome.stdout)?.[1];
      expect(username, command).toMatch(/^atlas\d{3}$/);
      usernames.push(username ?? '');
    }
    expect(new Set(usernames).size).toBe(1);
  }, 120_000);
});
