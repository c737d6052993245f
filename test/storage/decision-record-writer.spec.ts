import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DecisionRecord, HeldLease } from '@gridauthz/decision';
import { DecisionRecordWriter, PostgresLeaseStore } from '@gridauthz/persistence';
import { databaseLabel, openTestDatabase, usingPostgres, type TestDatabase } from '../support/test-database';

const ALICE_KEY = '%2fdc%3dorg%2fcn%3dalice:atlas';

function decision(overrides: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    id: randomUUID(),
    decidedAt: new Date('2026-11-23T12:00:00Z'),
    callerDn: '/DC=org/CN=pilot',
    subjectDn: '/DC=org/CN=alice',
    fqans: ['/atlas/Role=NULL/Capability=NULL'],
    dialect: 'authz-interop',
    decision: 'Permit',
    status: 'ok',
    username: 'wr001',
    uid: 81001,
    gid: 8000,
    gids: [8000, 8001],
    reasons: ['mapping:atlas'],
    environment: { 'request-id': ['r-1'] },
    latencyMs: 1.5,
    ...overrides,
  };
}

/**
 * The group-committing decision recorder: every record durable before its promise resolves, many per statement,
 * and the warm Permit path's lease confirmation (ARCHITECTURE "Decision records").
 */
describe(`decision record writer on ${databaseLabel()}`, () => {
  let t: TestDatabase;
  let writer: DecisionRecordWriter;
  let leases: PostgresLeaseStore;
  const now = new Date('2026-11-23T12:00:00Z');

  const stored = async (id: string) =>
    (await t.db.query<{ decision: string; username: string | null; gids: number[]; fqans: string[]; reasons: string[]; environment: Record<string, string[]>; decided_at: Date }[]>(
      `SELECT decision, username, gids, fqans, reasons, environment, decided_at FROM decision_record WHERE id = $1`,
      [id],
    ))[0];
  const held = (username: string, uid: number, overrides: Partial<HeldLease> = {}): HeldLease => ({
    poolId: 'wr',
    subjectKey: ALICE_KEY,
    account: { poolId: 'wr', username, uid, gid: 8000 },
    exclusiveKey: true,
    ...overrides,
  });

  beforeAll(async () => {
    t = await openTestDatabase();
    for (const [pool, prefix, base] of [['wr', 'wr', 81000], ['other', 'ot', 82000]] as const) {
      await t.db.query(`INSERT INTO pool (name) VALUES ($1)`, [pool]);
      await t.db.query(
        `INSERT INTO pool_account (pool_id, username, uid, gid)
         SELECT (SELECT id FROM pool WHERE name = $1), $2 || lpad(n::text, 3, '0'), $3 + n, 8000 FROM generate_series(1, 5) AS n`,
        [pool, prefix, base],
      );
    }
    writer = new DecisionRecordWriter(t.db);
    leases = new PostgresLeaseStore(t.db);
  });
  afterAll(async () => t?.close());

  it('writes every field of a record as given, durable when the promise resolves', async () => {
    const r = decision({ host: 'wn1.example.org', resource: 'wn', action: 'execute' });
    await writer.record(r);
    const row = await stored(r.id);
    expect(row).toMatchObject({ decision: 'Permit', username: 'wr001', gids: [8000, 8001], fqans: r.fqans, reasons: ['mapping:atlas'], environment: { 'request-id': ['r-1'] } });
    expect(row?.decided_at.toISOString()).toBe('2026-11-23T12:00:00.000Z');
  });

  it('shares statements among records that finish together, and loses none', async () => {
    const spy = vi.spyOn(t.db, 'query');
    const rows = Array.from({ length: 300 }, (_, i) => decision({ decision: i % 2 ? 'Deny' : 'NotApplicable', username: undefined, uid: undefined, gid: undefined, gids: [] }));
    await Promise.all(rows.map((r) => writer.record(r)));
    const statements = spy.mock.calls.length;
    spy.mockRestore();
    expect(statements).toBeLessThan(20);
    const [{ n }] = (await t.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM decision_record WHERE id = ANY ($1::uuid[])`, [rows.map((r) => r.id)])) as [{ n: number }];
    expect(n).toBe(300);
  });

  it('one unwritable record fails alone; the records batched with it are written', async () => {
    const good = Array.from({ length: 5 }, () => decision());
    // decision_record_decision_ck refuses any other decision value.
    const bad = decision({ decision: 'Maybe' as DecisionRecord['decision'] });
    const outcomes = await Promise.allSettled([...good.slice(0, 2), bad, ...good.slice(2)].map((r) => writer.record(r)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    for (const r of good) expect(await stored(r.id)).toBeDefined();
    expect(await stored(bad.id)).toBeUndefined();
  });

  it('writes a warm Permit only while the lease is live with exactly that account', async () => {
    const acquired = await leases.acquire('wr', ALICE_KEY, now);
    expect(acquired.ok && acquired.value.account.username).toBe('wr001');

    const warm = decision();
    expect(await writer.recordOnLiveLease(held('wr001', 81001), warm)).toBe(true);
    expect(await stored(warm.id)).toBeDefined();

    const wrongAccount = decision({ username: 'wr002', uid: 81002 });
    expect(await writer.recordOnLiveLease(held('wr002', 81002), wrongAccount)).toBe(false);
    expect(await stored(wrongAccount.id)).toBeUndefined();

    // An administrator renumbered the account: the remembered uid is stale, so the hint must not be used.
    await t.db.query(`UPDATE pool_account SET uid = 81101 WHERE username = 'wr001'`);
    const renumbered = decision();
    expect(await writer.recordOnLiveLease(held('wr001', 81001), renumbered)).toBe(false);
    expect(await stored(renumbered.id)).toBeUndefined();
    await t.db.query(`UPDATE pool_account SET uid = 81001 WHERE username = 'wr001'`);

    await leases.release('wr', ALICE_KEY);
    const afterRelease = decision();
    expect(await writer.recordOnLiveLease(held('wr001', 81001), afterRelease)).toBe(false);
    expect(await stored(afterRelease.id)).toBeUndefined();
  });

  it('refuses a warm Permit while the key holds a lease in another pool, unless the site allows that', async () => {
    await leases.acquire('wr', ALICE_KEY, now);
    await leases.acquire('other', ALICE_KEY, now);
    expect(await writer.recordOnLiveLease(held('wr001', 81001), decision())).toBe(false);
    expect(await writer.recordOnLiveLease(held('wr001', 81001, { exclusiveKey: false }), decision())).toBe(true);
    await leases.release('other', ALICE_KEY);
    expect(await writer.recordOnLiveLease(held('wr001', 81001), decision())).toBe(true);
    await leases.release('wr', ALICE_KEY);
  });

  it.runIf(usingPostgres())('never confirms a lease a release is ending, and does not hold up the records batched with it', async () => {
    await leases.acquire('wr', ALICE_KEY, now);
    const releasing = await t.db.dataSource.createQueryRunner();
    await releasing.connect();
    await releasing.startTransaction();
    try {
      await releasing.query(`UPDATE lease SET released_at = now() WHERE subject_key = $1 AND released_at IS NULL`, [ALICE_KEY]);
      const r = decision();
      const other = decision({ decision: 'Deny', username: undefined, uid: undefined, gid: undefined, gids: [] });
      // Both go in one statement; the release is still open when it runs.
      const warm = writer.recordOnLiveLease(held('wr001', 81001), r);
      await writer.record(other);
      expect(await stored(other.id)).toBeDefined();
      // The warm record waits for the one row the release holds, and only it.
      expect(await Promise.race([warm.then(() => 'answered'), new Promise((ok) => setTimeout(ok, 300, 'waiting'))])).toBe('waiting');
      await releasing.commitTransaction();
      expect(await warm).toBe(false);
      expect(await stored(r.id)).toBeUndefined();
      expect(await writer.recordOnLiveLease(held('wr001', 81001), decision())).toBe(false);
    } finally {
      if (releasing.isTransactionActive) await releasing.rollbackTransaction();
      await releasing.release();
    }
  });

  it.runIf(usingPostgres())('a lease another process is touching still confirms the warm Permit once the touch commits', async () => {
    // Another process (or replica) refreshing the same lease holds its row exclusively for a moment. Refusing the
    // warm record then would send this decision down the lease-taking path, whose own exclusive lock turns away the
    // next warm records: a queue of lease transactions for one user (docs/architecture.md, "Decision records").
    const acquired = await leases.acquire('wr', ALICE_KEY, now);
    if (!acquired.ok) throw new Error(acquired.error.detail);
    const { username, uid } = acquired.value.account;
    const touching = await t.db.dataSource.createQueryRunner();
    await touching.connect();
    await touching.startTransaction();
    try {
      await touching.query(`UPDATE lease SET last_used_at = now() WHERE subject_key = $1 AND released_at IS NULL`, [ALICE_KEY]);
      const r = decision({ username, uid });
      const warm = writer.recordOnLiveLease(held(username, uid), r);
      expect(await Promise.race([warm.then(() => 'answered'), new Promise((ok) => setTimeout(ok, 300, 'waiting'))])).toBe('waiting');
      await touching.commitTransaction();
      expect(await warm).toBe(true);
      expect(await stored(r.id)).toBeDefined();
    } finally {
      if (touching.isTransactionActive) await touching.rollbackTransaction();
      await touching.release();
      await leases.release('wr', ALICE_KEY);
    }
  });
});
