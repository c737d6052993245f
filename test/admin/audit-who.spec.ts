import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@gridauthz/persistence';
import { userIdentity } from '../support/fixtures';
import { databaseLabel } from '../support/test-database';
import type { TestServer } from '../support/test-server';
import { adminCall, startAdminTestServer } from './admin-support';

const T0 = Date.parse('2026-11-20T00:00:00Z');
const STEP_MS = 3 * 60_000;
const userDn = (u: number) => `/DC=org/DC=example/OU=People/CN=User ${String(u).padStart(3, '0')}`;

/**
 * 1,000 Permit decisions by 100 users on 50 hosts, every 3 minutes. Record i: user i % 100, host wn(i % 50), uid
 * 61001 + i % 50 (atlas accounts), so each uid is used by two users (u and u + 50) on the same host 150 minutes
 * apart: picking any record but the nearest names the wrong person. Decoys sit closer to T: a Deny for the same uid
 * and host, and a Permit for the same uid on another host.
 */
describe(`audit who (${databaseLabel()})`, () => {
  let t: TestServer;
  let db: Database;
  beforeAll(async () => {
    ({ t, db } = await startAdminTestServer({ alice: 'auditor' }));
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: randomUUID(),
      at: new Date(T0 + i * STEP_MS),
      host: `wn${String(i % 50).padStart(3, '0')}.example.org`,
      dn: userDn(i % 100),
      uid: 61001 + (i % 50),
      username: `atlas${String(1 + (i % 50)).padStart(3, '0')}`,
      decision: 'Permit',
    }));
    const decoys = [537, 123, 999].flatMap((k) => {
      const r = rows[k] as (typeof rows)[number];
      return [
        { ...r, id: randomUUID(), at: new Date(r.at.getTime() + 10_000), dn: userDn(990), decision: 'Deny' },
        { ...r, id: randomUUID(), at: new Date(r.at.getTime() + 20_000), dn: userDn(991), host: 'elsewhere.example.org' },
      ];
    });
    const all = [...rows, ...decoys];
    await db.dataSource.query(
      `INSERT INTO decision_record (id, decided_at, caller_dn, host, subject_dn, fqans, dialect, decision, username, uid, gid)
       SELECT id, at, '/DC=org/CN=pilot', host, dn, ARRAY['/atlas/Role=NULL/Capability=NULL'], 'authz-interop', decision,
              CASE WHEN decision = 'Permit' THEN username END, uid, 5000
       FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[]) AS x(id, at, host, dn, decision, username, uid)`,
      [all.map((r) => r.id), all.map((r) => r.at), all.map((r) => r.host), all.map((r) => r.dn), all.map((r) => r.decision), all.map((r) => r.username), all.map((r) => r.uid)],
    );
    // Lease history of atlas038 (uid 61038): user 37 held it, released; user 87 held it next, released too.
    const account = await db.dataSource.query<{ id: string; pool_id: string }[]>(`SELECT id, pool_id FROM pool_account WHERE username = 'atlas038'`);
    const a = account[0];
    if (!a) throw new Error('no atlas038');
    const leases: [number, number, number][] = [
      [37, T0, T0 + 140 * 60_000],
      [87, T0 + 145 * 60_000, T0 + 300 * 60_000],
    ];
    for (const [user, from, to] of leases) {
      await db.dataSource.query(
        `INSERT INTO lease (account_id, pool_id, subject_key, subject_dn, created_at, last_used_at, released_at, released_by, release_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $6, 'gridauthz', 'idle')`,
        [a.id, a.pool_id, `%2fdc%3dorg%2fcn%3duser${user}:atlas`, userDn(user), new Date(from), new Date(to)],
      );
    }
  });
  afterAll(async () => t?.close());

  const who = (uid: number, host: string, at: string, extra = '') =>
    adminCall(t, { path: `/audit/who?uid=${uid}&host=${encodeURIComponent(host)}&at=${encodeURIComponent(at)}${extra}`, identity: userIdentity('alice') });

  it('names the right DN for sampled (uid, host, time), nearest Permit first, decoys ignored', async () => {
    // A fixed pseudo-random sample (LCG) so a failure reproduces.
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    const samples = [537, 123, 999, 0, ...Array.from({ length: 16 }, () => next() % 1000)];
    for (const k of samples) {
      const at = new Date(T0 + k * STEP_MS + 45_000); // 45 s after the decision: the payload is running
      const host = `wn${String(k % 50).padStart(3, '0')}.example.org`;
      const r = await who(61001 + (k % 50), host, at.toISOString());
      expect(r.status).toBe(200);
      expect(r.json['dn'], `sample ${k}`).toBe(userDn(k % 100));
      const records = r.json['records'] as { subjectDn: string; decision: string; host: string; decidedAt: string }[];
      expect(records.every((x) => x.decision === 'Permit' && x.host === host)).toBe(true);
      expect(records[0]?.decidedAt).toBe(new Date(T0 + k * STEP_MS).toISOString());
      // ±1 h by default: the same uid on the same host recurs only every 150 minutes.
      expect(records).toHaveLength(1);
      expect(r.json['fqans']).toEqual(['/atlas/Role=NULL/Capability=NULL']);
    }
  });

  it('widens the window on request, nearest first, and reports the lease history including released leases', async () => {
    const k = 537; // uid 61038 on wn037, user 37, at T0 + 1611 min; the same uid and host: k - 50 (user 87) and k + 50 (user 87)
    const at = new Date(T0 + k * STEP_MS + 60_000).toISOString().replace(/:00\.000Z$/, 'Z');
    expect(at).toMatch(/T\d\d:\d\dZ$/); // the short form a security officer types
    const r = await who(61038, 'wn037.example.org', at, '&windowSeconds=10800');
    const records = r.json['records'] as { subjectDn: string }[];
    expect(records.map((x) => x.subjectDn)).toEqual([userDn(37), userDn(87), userDn(87)]);
    expect(r.json['question']).toMatchObject({ uid: 61038, windowSeconds: 10800 });
    const leases = r.json['leases'] as { subjectDn: string; releasedAt: string | null }[];
    expect(leases.map((l) => l.subjectDn)).toEqual([userDn(87), userDn(37)]);
    expect(leases.every((l) => l.releasedAt !== null)).toBe(true);
  });

  it('uses the lease covering T when there is no record, and answers no one when nothing matches', async () => {
    const inLease = await who(61038, 'wn999.example.org', new Date(T0 + 30 * 60_000).toISOString());
    expect(inLease.json['records']).toEqual([]);
    expect(inLease.json['dn']).toBe(userDn(37));
    const nothing = await who(69999, 'wn001.example.org', '2026-11-20T14:05Z');
    expect(nothing.status).toBe(200);
    expect(nothing.json).toMatchObject({ dn: null, records: [], leases: [] });
  });

  it('rejects a question without a time zone or with unknown parameters', async () => {
    expect((await who(61038, 'wn037.example.org', '2026-11-20T14:05')).status).toBe(400);
    expect((await who(61038, 'wn037.example.org', '2026-11-20T14:05Z', '&window=5')).status).toBe(400);
  });
});
