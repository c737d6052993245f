import { hostname, userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { Database } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../migrations';
import { buildCliIfStale } from '../support/build-cli';
import { createTestStorage, databaseLabel, type TestStorage } from '../support/test-database';
import { runCli, type CliRun } from '../mapping/support/cli';

/**
 * `gridauthz issuer add|list|remove` and `gridauthz link add|list|remove` straight on the database
 * (docs/mapping-tokens.md): each change one admin_audit row on the direct channel, in the same transaction.
 */
describe(`issuer and link commands (${databaseLabel()})`, () => {
  let storage: TestStorage;
  const cli = (...args: string[]): Promise<CliRun> => runCli(storage, args);
  const me = `${userInfo().username}@${hostname()}`;
  const query = async <T>(sql: string): Promise<T> => {
    const db = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog });
    try {
      return await db.dataSource.query<T>(sql);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    buildCliIfStale();
    storage = await createTestStorage();
    const migrated = await cli('migrate');
    expect(migrated.code, migrated.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => storage?.dispose());

  it('adds, lists and removes an issuer; refuses a plain-http JWKS URL', async () => {
    const http = await cli('issuer', 'add', 'https://atlas-auth.web.cern.ch/', '--jwks-url', 'http://atlas-auth.web.cern.ch/jwk');
    expect([http.code, http.stderr]).toEqual([2, expect.stringContaining('https')]);
    const added = await cli('issuer', 'add', 'https://atlas-auth.web.cern.ch/', '--jwks-url', 'https://atlas-auth.web.cern.ch/jwk', '--comment', 'ATLAS IAM');
    expect(added.code, added.stderr).toBe(0);
    const listed = await cli('issuer', 'list', '--json');
    expect(JSON.parse(listed.stdout).issuers).toEqual([expect.objectContaining({ issuer: 'https://atlas-auth.web.cern.ch/', source: 'database', jwksUrl: 'https://atlas-auth.web.cern.ch/jwk' })]);
    expect((await cli('issuer', 'remove', 'https://atlas-auth.web.cern.ch/')).code).toBe(0);
    expect((await cli('issuer', 'remove', 'https://atlas-auth.web.cern.ch/')).code).toBe(1);
  }, 300_000);

  it('links a token identity to a DN, lists and removes it, each change audited as the OS user', async () => {
    const added = await cli('link', 'add', '--issuer', 'https://atlas-auth.web.cern.ch/', '--subject', 'a1b2-c3', '--dn', 'CN=Alice,OU=Users,DC=cern,DC=ch');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('linked to /DC=ch/DC=cern/OU=Users/CN=Alice');
    const listed = await cli('link', 'list', '--json');
    expect(JSON.parse(listed.stdout).links).toEqual([expect.objectContaining({ issuer: 'https://atlas-auth.web.cern.ch/', subject: 'a1b2-c3', dn: '/DC=ch/DC=cern/OU=Users/CN=Alice' })]);
    expect((await cli('link', 'remove', '--issuer', 'https://atlas-auth.web.cern.ch/', '--subject', 'a1b2-c3')).code).toBe(0);
    const rows = await query<{ action: string; actor_dn: string; channel: string }[]>(`SELECT action, actor_dn, channel FROM admin_audit WHERE action LIKE 'token-link.%' OR action LIKE 'issuer.%' ORDER BY id`);
    expect(rows.map((r) => [r.action, r.actor_dn, r.channel])).toEqual([
      ['issuer.add', me, 'direct'],
      ['issuer.remove', me, 'direct'],
      ['token-link.add', me, 'direct'],
      ['token-link.remove', me, 'direct'],
    ]);
  }, 300_000);
});
