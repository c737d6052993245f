import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePki, userIdentity } from '../support/fixtures';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

const MAP = 'http://glite.org/xacml/obligation/local-environment-map';
/** Argus style: one resource permits without an obligation, the other with the gLite map obligation. */
const POLICY = `resource "urn:example:plain" {
    action ".*" {
        rule permit { vo = atlas }
    }
}
resource "urn:example:mapped" {
    obligation "${MAP}" {}
    action ".*" {
        rule permit { vo = atlas }
    }
}
`;

/**
 * The obligations contract over HTTPS (docs/architecture.md, "Obligations"): under policy.accountObligation auto,
 * a policy naming the map obligation maps only the Permits that carry it, whatever the dialect says.
 */
describe(`obligations drive mapping, end to end (${databaseLabel()})`, () => {
  let t: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridauthz-obligations-'));
    writeFileSync(join(dir, 'site.spl'), POLICY);
    t = await startTestServer({ config: { policy: { dir, accountObligation: 'auto' } } });
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ask = (resource: string) => askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: userIdentity('pilot'), payloadProxy: 'alice-voms', dialect: 'grid-wn', resource, path: '/authz' });
  const query = async <T>(sql: string, params: unknown[]): Promise<T[]> => {
    const db = t.server.database();
    if (!db) throw new Error('not ready');
    return db.dataSource.query<T[]>(sql, params);
  };

  it('a grid-wn Permit on a resource whose policy states no obligation has no account: no lease, no user in the record', async () => {
    const alice = fixturePki().users.alice?.subject ?? '';
    const plain = await ask('urn:example:plain');
    expect(plain.http.status).toBe(200);
    expect(plain.answer?.decision).toBe('Permit');
    expect(plain.answer?.username).toBeUndefined();
    const rows = await query<{ decision: string; username: string | null }>('SELECT decision, username FROM decision_record WHERE subject_dn = $1 ORDER BY decided_at', [alice]);
    expect(rows).toEqual([{ decision: 'Permit', username: null }]);
    expect(await query('SELECT subject_key FROM lease WHERE released_at IS NULL', [])).toEqual([]);
  });

  it('the same user on the resource whose policy states the map obligation gets an account', async () => {
    const mapped = await ask('urn:example:mapped');
    expect(mapped.answer?.decision).toBe('Permit');
    expect(mapped.answer?.username).toMatch(/^atlas\d{3}$/);
    expect(mapped.answer?.groupName).toBe('atlas');
    expect(await query('SELECT subject_key FROM lease WHERE released_at IS NULL', [])).toHaveLength(1);
  });
});
