import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyVersionRepository } from '@gridauthz/persistence';
import { createTestStorage, databaseLabel, type TestStorage, usingPostgres } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

const CLI = resolve(__dirname, '..', '..', 'bin', 'gridauthz.js');
const run = promisify(execFile);

const waitFor = async (condition: () => boolean, ms: number): Promise<number> => {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
};

/**
 * Policy versions live in the database; every server process loads the active one at boot and swaps to a newly
 * activated one within a second (issue 5 item 4). On PostgreSQL two server processes share the database; the
 * embedded database serves one process, so there the same server both writes and observes.
 */
describe(`policy storage and reload (${databaseLabel()})`, () => {
  let storage: TestStorage;
  let first: TestServer;
  let second: TestServer | undefined;
  beforeAll(async () => {
    storage = await createTestStorage();
    first = await startTestServer({ storage });
    if (usingPostgres()) second = await startTestServer({ storage });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await storage?.dispose();
  });

  it('stores the shipped policy as version 1 at first boot', async () => {
    const db = first.server.database();
    if (!db) throw new Error('not ready');
    const versions = await new PolicyVersionRepository(db).list();
    expect(versions).toHaveLength(1);
    expect(versions[0]?.active).toBe(true);
    expect(versions[0]?.text).toContain('resource "http://authz-interop.org/xacml/resource/resource-type/wn"');
  });

  it('makes every server use a newly activated version within 1 s', async () => {
    const db = first.server.database();
    if (!db) throw new Error('not ready');
    const observer = second ?? first;
    const before = observer.server.site()?.configuration.policy();
    const version = await new PolicyVersionRepository(db).storeAndActivate('resource ".*" { action ".*" { rule deny { vo = everybody } } }\n', 'test', 'lockdown');
    const ms = await waitFor(() => observer.server.site()?.configuration.policy() !== before, 1_000);
    expect(ms).toBeLessThanOrEqual(1_000);
    expect(observer.log.lines().some((l) => l.msg === 'policy loaded' && String(l.policy).startsWith(`version ${version.id} `))).toBe(true);
  });

  it('refuses a policy that does not parse, with line-numbered messages, and keeps the active one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridauthz-policy-'));
    const file = join(dir, 'broken.spl');
    writeFileSync(file, 'resource ".*" {\n  action ".*" {\n    rule permit { nosuchattribute = x }\n  }\n}\n');
    const env: NodeJS.ProcessEnv = { ...process.env, GRIDAUTHZ_DATA_DIR: storage.dataDir, GRIDAUTHZ_LOG_LEVEL: 'error' };
    if (storage.url) env.DATABASE_URL = storage.url;
    else delete env.DATABASE_URL;
    const failure = await run(process.execPath, [CLI, 'policy', 'apply', file], { env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/broken\.spl:3:\d+: error/);
    expect(failure?.stderr).toMatch(/active policy is unchanged/);
  });
});
