import { expandPools } from '@gridauthz/mapping';
import { AdminPrincipalRepository, type AdminRole, type Database } from '@gridauthz/persistence';
import type { Config } from '../../apps/server/config';
import { devMappingConfig } from '../../apps/server/site/dev-site';
import { type ClientIdentity, fixturePki, readFixture } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { startTestServer, type TestServer } from '../support/test-server';

export interface AdminResponse {
  readonly status: number;
  readonly contentType: string;
  readonly json: Record<string, unknown>;
}

/** One admin API call over real mutual TLS, with a certificate, a bearer token, or neither. */
export async function adminCall(
  t: TestServer,
  call: { path: string; method?: string; body?: unknown; identity?: ClientIdentity; token?: string },
): Promise<AdminResponse> {
  const url = t.server.adminUrl;
  if (!url) throw new Error('admin listener not running');
  const response = await httpsCall({
    url: `${url}/api/v1${call.path}`,
    method: call.method ?? 'GET',
    ca: t.ca,
    ...(call.identity ? { identity: call.identity } : {}),
    ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
    headers: {
      ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(call.token !== undefined ? { authorization: `Bearer ${call.token}` } : {}),
    },
  });
  const contentType = String(response.headers['content-type'] ?? '');
  return { status: response.status, contentType, json: response.body === '' ? {} : (JSON.parse(response.body) as Record<string, unknown>) };
}

export function hostIdentity(): ClientIdentity {
  const host = fixturePki().host;
  return { cert: readFixture(host.certFile), key: readFixture(host.keyFile) };
}

export async function addPrincipal(db: Database, user: string, role: AdminRole): Promise<string> {
  const dn = fixturePki().users[user]?.subject;
  if (!dn) throw new Error(`no fixture user ${user}`);
  await new AdminPrincipalRepository(db).put(dn, role, 'test');
  return dn;
}

/**
 * Writes the dev site's pools and accounts into the database if they are not there. The interim in-memory mapping
 * store does not write them, but the lease store claims from these tables; once the Postgres mapping store is
 * merged the rows already exist and this inserts nothing.
 */
export async function ensureDevPoolsInDatabase(db: Database): Promise<void> {
  const pki = fixturePki();
  const config = devMappingConfig({ hostDn: pki.host.subject, pilotDn: pki.users['pilot']?.subject ?? '' });
  const expanded = expandPools(config.pools, config.groups);
  if (!expanded.ok) throw new Error(expanded.error.detail);
  await db.transaction(async (m) => {
    for (const pool of expanded.value) {
      await m.query(`INSERT INTO pool (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [pool.id, pool.kind]);
      await m.query(
        `INSERT INTO pool_account (pool_id, username, uid, gid)
         SELECT (SELECT id FROM pool WHERE name = $1), u, i, g FROM unnest($2::text[], $3::int[], $4::int[]) AS x(u, i, g)
         ON CONFLICT (username) DO NOTHING`,
        [pool.id, pool.accounts.map((a) => a.username), pool.accounts.map((a) => a.uid), pool.accounts.map((a) => a.gid)],
      );
    }
  });
}

/**
 * The real server with the dev site's pools in its database and the given fixture users as admin principals:
 * the set-up every admin suite starts from.
 */
export async function startAdminTestServer(principals: Readonly<Record<string, AdminRole>>, config: Partial<Config> = {}): Promise<{ t: TestServer; db: Database }> {
  const t = await startTestServer({ config });
  const db = t.server.database();
  if (!db) throw new Error('the test server has no database');
  await ensureDevPoolsInDatabase(db);
  for (const [user, role] of Object.entries(principals)) await addPrincipal(db, user, role);
  return { t, db };
}
