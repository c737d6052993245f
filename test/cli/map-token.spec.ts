import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Dn, silentLog } from '@gridauthz/domain';
import { ARGUS_SETTINGS, compileMappingConfig, mapSubject, type MappingSubject } from '@gridauthz/mapping';
import { Database, PostgresLeaseStore, PostgresMappingConfigStore } from '@gridauthz/persistence';
import { registerCommands } from '../../apps/cli/commands';
import { CliError } from '../../apps/cli/cli-error';
import { MIGRATIONS } from '../../migrations';
import { addPrincipal, ensureDevPoolsInDatabase } from '../admin/admin-support';
import { adminApiArgs, certArgs } from '../support/cli-args';
import { createTestStorage, databaseLabel, type TestStorage } from '../support/test-database';
import { startTestServer } from '../support/test-server';

/** Runs the CLI in-process; captures stdout and the exit code (a CliError's, or process.exitCode). */
async function cli(args: readonly string[]): Promise<{ stdout: string; error?: CliError; exitCode: number }> {
  const program = new Command('gridauthz').exitOverride();
  registerCommands(program);
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'gridauthz', ...args]);
    return { stdout, exitCode: Number(process.exitCode ?? 0) };
  } catch (e) {
    if (e instanceof CliError) return { stdout, error: e, exitCode: e.exitCode };
    throw e;
  } finally {
    out.mockRestore();
    process.exitCode = 0;
  }
}

const ISS = 'https://atlas-auth.example.org/';
const ALICE = '/DC=org/DC=gridauthz-dev/OU=People/CN=Alice Linked';

/**
 * `gridauthz map --issuer … --subject … --group …` (docs/mapping-tokens.md, "Asking what a token maps to"): the
 * site is set up with the documented commands (pool and rule through the admin API, link on the database), then
 * the server stops and `map` reads the database as an operator's shell would.
 */
describe(`map for token identities (${databaseLabel()})`, () => {
  let storage: TestStorage;
  const saved = { url: process.env.DATABASE_URL, dir: process.env.GRIDAUTHZ_DATA_DIR };

  const withDb = async <T>(work: (d: Database) => Promise<T>): Promise<T> => {
    const d = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 2 });
    try {
      return await work(d);
    } finally {
      await d.close();
    }
  };
  const leaseCount = (): Promise<number> => withDb(async (d) => (await new PostgresLeaseStore(d).list()).length);
  /** The lease a decision's mapping stage takes for this subject (mapSubject: plan, then lease). */
  const leaseAsDecision = (subject: MappingSubject): Promise<string> =>
    withDb(async (d) => {
      const compiled = compileMappingConfig(await new PostgresMappingConfigStore(d, ARGUS_SETTINGS).load(), ARGUS_SETTINGS);
      if (!compiled.ok) throw new Error('mapping configuration does not compile');
      const mapped = await mapSubject(new PostgresLeaseStore(d), compiled.value, subject, new Date());
      if (!mapped.ok) throw new Error(mapped.error.detail);
      return mapped.value.account.username;
    });

  beforeAll(async () => {
    storage = await createTestStorage();
    const t = await startTestServer({ storage });
    try {
      const db = t.server.database();
      if (!db) throw new Error('no database');
      await ensureDevPoolsInDatabase(db);
      await addPrincipal(db, 'pilot', 'operator');
      const api = [...adminApiArgs(t), ...certArgs('pilot')];
      for (const args of [
        ['pool', 'group-set', 'tokbase', '5401'],
        ['pool', 'group-set', 'atlastok', '5400'],
        // The accounts' own gid is 5401: an answer with gid 5400 shows the rule's group became the primary.
        ['pool', 'set', 'atlastok', '--range', 'atok:3:69101:2:5401:1'],
        ['rule', 'add', 'atlas-tokens', '--issuer', ISS, '--token-group', '/atlas', '--pool', 'atlastok', '--group', 'atlastok'],
        ['rule', 'add', 'alice', '--dn', ALICE, '--pool', 'dteam'],
      ]) {
        const r = await cli([...args, ...api]);
        expect(r.error, args.join(' ')).toBeUndefined();
      }
    } finally {
      await t.close();
    }
    process.env.DATABASE_URL = storage.url ?? '';
    process.env.GRIDAUTHZ_DATA_DIR = storage.dataDir;
  }, 120_000);
  afterAll(async () => {
    process.env.DATABASE_URL = saved.url ?? '';
    if (saved.dir === undefined) delete process.env.GRIDAUTHZ_DATA_DIR;
    else process.env.GRIDAUTHZ_DATA_DIR = saved.dir;
    await storage?.dispose();
  });

  it('a token group rule answers "would lease" from its pool with the group as primary, and leases nothing', async () => {
    const before = await leaseCount();
    const r = await cli(['map', '--issuer', ISS, '--subject', 'u-1', '--group', '/atlas']);
    expect(r.error).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`token (${ISS}, u-1), groups /atlas`);
    expect(lines[1]).toMatch(/^rule atlas-tokens: pool atlastok, lease key \S+$/);
    expect(lines.slice(2)).toEqual(['would lease: atok01 (uid 69101, gid 5400) (3 free; nothing was leased)', '']);
    const json = JSON.parse((await cli(['map', '--issuer', ISS, '--subject', 'u-1', '--group', '/atlas', '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ outcome: 'would-lease', ruleId: 'atlas-tokens', poolId: 'atlastok', account: { username: 'atok01', gid: 5400 }, token: { issuer: ISS, subject: 'u-1', groups: ['/atlas'] } });
    expect(json).not.toHaveProperty('linkedDn');
    expect(await leaseCount()).toBe(before);
  }, 60_000);

  it('once a decision has leased for the token, it answers "existing lease" with that account', async () => {
    const leased = await leaseAsDecision({ fqans: [], token: { issuer: ISS, subject: 'u-2' }, groups: ['/atlas'] });
    const r = await cli(['map', '--issuer', ISS, '--subject', 'u-2', '--group', '/atlas']);
    expect(r.stdout).toContain(`existing lease: ${leased} (uid `);
    // Another person of the same group still gets a free account, not u-2's.
    expect((await cli(['map', '--issuer', ISS, '--subject', 'u-3', '--group', '/atlas'])).stdout).not.toContain(leased);
  }, 60_000);

  it("a token linked to a DN answers the DN's lease and says it was linked", async () => {
    const unlinked = await cli(['map', '--issuer', ISS, '--subject', 'alice-sub']);
    expect(unlinked.stdout).toContain('no mapping: MAPPING_NO_MATCH');
    const linked = await cli(['link', 'add', '--issuer', ISS, '--subject', 'alice-sub', '--dn', ALICE]);
    expect(linked.error).toBeUndefined();
    const leased = await leaseAsDecision({ dn: Dn.parse(ALICE), fqans: [] });
    const before = await leaseCount();
    const r = await cli(['map', '--issuer', ISS, '--subject', 'alice-sub']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`token (${ISS}, alice-sub), no groups; linked to ${ALICE}: mapped as that DN`);
    expect(r.stdout).toContain('rule alice: pool dteam');
    expect(r.stdout).toContain(`existing lease: ${leased} (uid `);
    const json = JSON.parse((await cli(['map', '--issuer', ISS, '--subject', 'alice-sub', '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ outcome: 'existing-lease', linkedDn: ALICE, account: { username: leased } });
    expect(await leaseCount()).toBe(before);
  }, 60_000);

  it('an issuer no rule names answers no mapping with the mapping code, exit 1', async () => {
    const r = await cli(['map', '--issuer', 'https://unknown.example.org/', '--subject', 'u-1', '--group', '/atlas']);
    expect(r.stdout).toMatch(/^token \(https:\/\/unknown\.example\.org\/, u-1\), groups \/atlas\nno mapping: MAPPING_NO_MATCH: .+\n$/);
    expect(r.exitCode).toBe(1);
  }, 60_000);

  it('mixed, partial or malformed identities are usage errors (exit 2) naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['--dn', ALICE, '--issuer', ISS, '--subject', 'u-1'], /--dn\/--fqan and --issuer\/--subject\/--group name different identities/],
      [['--fqan', '/atlas', '--group', '/atlas'], /name different identities/],
      [[], /^no identity: give --dn/],
      [['--issuer', ISS], /--issuer and --subject together/],
      [['--subject', 'u-1', '--group', '/atlas'], /--issuer and --subject together/],
      [['--issuer', ISS, '--subject', ''], /^--subject: the subject is empty/],
      [['--issuer', ` ${ISS}`, '--subject', 'u-1'], /^--issuer: issuer " https:.*not an exact iss/],
      [['--issuer', ISS, '--subject', 'u-1', '--group', 'atlas'], /^--group: group "atlas" is not \/name/],
      [['--fqan', '/atlas'], /^--fqan needs --dn/],
    ];
    const before = await leaseCount();
    for (const [args, message] of cases) {
      const r = await cli(['map', ...args]);
      expect([args, r.error?.exitCode, r.error?.message]).toEqual([args, 2, expect.stringMatching(message)]);
    }
    expect(await leaseCount()).toBe(before);
  }, 60_000);
});
