import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { ARGUS_SETTINGS } from '@gridauthz/mapping';
import { Database, PolicyVersionRepository, PostgresLeaseStore, PostgresMappingConfigStore } from '@gridauthz/persistence';
import { registerCommands } from '../../apps/cli/commands';
import { CliError } from '../../apps/cli/cli-error';
import { devMappingConfig } from '../../apps/server/site/dev-site';
import { MIGRATIONS } from '../../migrations';
import { buildCliIfStale } from '../support/build-cli';
import { createTestStorage, databaseLabel, type TestStorage } from '../support/test-database';

const REPO = resolve(__dirname, '..', '..');

/** Runs the CLI in-process; captures stdout and stderr. */
async function cli(args: readonly string[]): Promise<{ stdout: string; stderr: string; error?: CliError; exitCode: number }> {
  const program = new Command('gridauthz').exitOverride();
  registerCommands(program);
  let stdout = '';
  let stderr = '';
  const capture = (sink: 'out' | 'err') => (chunk: string | Uint8Array) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (sink === 'out') stdout += text;
    else stderr += text;
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture('out'));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture('err'));
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'gridauthz', ...args]);
    return { stdout, stderr, exitCode: Number(process.exitCode ?? 0) };
  } catch (e) {
    if (e instanceof CliError) return { stdout, stderr, error: e, exitCode: e.exitCode };
    throw e;
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = 0;
  }
}

const ALICE = '/DC=org/DC=gridauthz-dev/OU=People/CN=Alice Atlas';

describe(`everyday verbs (${databaseLabel()})`, () => {
  let storage: TestStorage;
  let db: Database;
  const saved = { url: process.env.DATABASE_URL, dir: process.env.GRIDAUTHZ_DATA_DIR };

  beforeAll(async () => {
    storage = await createTestStorage();
    db = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 2 });
    await db.migrate();
    const store = new PostgresMappingConfigStore(db, ARGUS_SETTINGS);
    const dev = devMappingConfig({ hostDn: '/CN=host', pilotDn: '/CN=pilot' });
    // One after the other: pools name groups and rules name pools, and on PostgreSQL (two connections) writes started
    // together could land in any order.
    const writes = [() => store.upsertGroups(dev.groups), () => store.upsertPools(dev.pools), () => store.replaceRules(dev.rules), () => store.upsertPilotRoles(dev.pilotRoles)];
    for (const write of writes) expect((await write()).ok).toBe(true);
    // The CLI opens the database itself: the embedded one cannot be open twice, so this handle closes first.
    await db.close();
    process.env.DATABASE_URL = storage.url ?? '';
    process.env.GRIDAUTHZ_DATA_DIR = storage.dataDir;
  });
  afterAll(async () => {
    process.env.DATABASE_URL = saved.url ?? '';
    if (saved.dir === undefined) delete process.env.GRIDAUTHZ_DATA_DIR;
    else process.env.GRIDAUTHZ_DATA_DIR = saved.dir;
    await storage?.dispose();
  });

  const withDb = async <T>(work: (d: Database) => Promise<T>): Promise<T> => {
    const d = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 2 });
    try {
      return await work(d);
    } finally {
      await d.close();
    }
  };

  it('gridauthz --version prints the package version', () => {
    buildCliIfStale();
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    expect(execFileSync(process.execPath, [join(REPO, 'bin', 'gridauthz.js'), '--version'], { encoding: 'utf8' }).trim()).toBe(version);
  });

  it('map shows the account a decision would lease, and leases nothing', async () => {
    const r = await cli(['map', '--dn', ALICE, '--fqan', '/atlas/Role=NULL/Capability=NULL']);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toContain('rule dev:atlas: pool atlas');
    expect(r.stdout).toMatch(/would lease: atlas001 \(uid 61001, gid 5000\) \(50 free; nothing was leased\)/);
    expect(await withDb((d) => new PostgresLeaseStore(d).list())).toEqual([]);
    const again = await cli(['map', '--dn', ALICE, '--fqan', '/atlas/Role=NULL/Capability=NULL']);
    expect(again.stdout).toContain('would lease: atlas001'); // still free: the first ask took nothing
  });

  it('map shows an existing lease as it is, without touching its last use', async () => {
    const json = JSON.parse((await cli(['map', '--dn', ALICE, '--fqan', '/atlas', '--json'])).stdout) as { subjectKey: string };
    const leased = await withDb(async (d) => {
      const store = new PostgresLeaseStore(d);
      const acquired = await store.acquire('atlas', json.subjectKey, new Date('2026-01-01T00:00:00Z'));
      expect(acquired.ok).toBe(true);
      return acquired.ok ? acquired.value.account.username : '';
    });
    const r = await cli(['map', '--dn', ALICE, '--fqan', '/atlas']);
    expect(r.stdout).toContain(`existing lease: ${leased}`);
    const lease = await withDb(async (d) => (await new PostgresLeaseStore(d).list()).find((l) => l.subjectKey === json.subjectKey));
    expect(lease?.lastUsedAt.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('map says why there is no mapping, exit 1', async () => {
    const r = await cli(['map', '--dn', ALICE, '--fqan', '/cms']);
    expect(r.stdout).toMatch(/^no mapping: MAPPING_NO_MATCH: /);
    expect(r.exitCode).toBe(1);
    const payload = await cli(['map', '--dn', ALICE, '--fqan', '/atlas/Role=pilot', '--purpose', 'payload']);
    expect(payload.stdout).toMatch(/^no mapping: MAPPING_PILOT_POOL_DENIED: /);
    const bad = await cli(['map', '--dn', 'not a dn']);
    expect(bad.error?.exitCode).toBe(2);
  });

  it('policy show prints a version as stored; policy diff gives a unified diff, exit 1 when they differ', async () => {
    const first = 'resource "r" {\n  action "a" {\n    rule permit { subject = "CN=x" }\n  }\n}\n';
    const second = first.replace('CN=x', 'CN=y');
    const ids = await withDb(async (d) => {
      const repo = new PolicyVersionRepository(d);
      const a = await repo.storeAndActivate(first, 'test', 'first');
      const b = await repo.storeAndActivate(second, 'test', 'second');
      return [a.id, b.id] as const;
    });
    const active = await cli(['policy', 'show']);
    expect(active.stdout).toBe(second);
    expect(active.stderr).toContain(`# policy version ${ids[1]} (active)`);
    expect((await cli(['policy', 'show', ids[0]])).stdout).toBe(first);
    expect((await cli(['policy', 'show', '999999'])).error?.message).toBe('no policy version 999999');
    const diff = await cli(['policy', 'diff', ids[0], 'active']);
    expect(diff.exitCode).toBe(1);
    expect(diff.stdout).toBe(
      [`--- policy version ${ids[0]}`, `+++ policy version ${ids[1]}`, '@@ -1,5 +1,5 @@', ' resource "r" {', '   action "a" {', '-    rule permit { subject = "CN=x" }', '+    rule permit { subject = "CN=y" }', '   }', ' }', ''].join('\n'),
    );
    const same = await cli(['policy', 'diff', ids[1], 'active']);
    expect(same.exitCode).toBe(0);
    expect(same.stdout).toBe('');
  });
});
