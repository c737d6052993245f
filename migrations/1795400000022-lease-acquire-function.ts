import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PostgresLeaseStore.acquire as one server-side function, so an acquire is one round trip instead of seven
 * (BEGIN, pool lookup, advisory lock, touch, claim, insert, COMMIT). The steps and their locks are the ones the
 * store ran from the client before; docs/mapping.md explains why they are safe.
 *
 * VOLATILE (the default, spelled out): under READ COMMITTED each statement of a volatile PL/pgSQL function takes
 * a fresh snapshot, so the statements must stay separate and in this order. The touch runs after the advisory
 * lock was granted and so sees the lease the previous holder of that lock committed while we waited; folded into
 * one statement with the lock it would look at a snapshot from before the wait and claim a second account for the
 * key (the unique index would then abort it, and only the client's retry would recover).
 *
 * No EXCEPTION block: it would cost a subtransaction per call, and a unique violation (23505) or deadlock (40P01)
 * must reach the client, which retries the whole acquire.
 */
export class LeaseAcquireFunction1795400000022 implements MigrationInterface {
  name = 'LeaseAcquireFunction1795400000022';

  async up(q: QueryRunner): Promise<void> {
    // Columns are always qualified: the OUT parameters are variables of the same names as some columns.
    await q.query(`
      CREATE FUNCTION gridauthz_acquire_lease(
        p_pool text, p_key text, p_now timestamptz,
        OUT outcome text, OUT account_id bigint, OUT username text, OUT uid integer, OUT gid integer)
      LANGUAGE plpgsql VOLATILE
      AS $$
      DECLARE
        v_pool_id bigint;
      BEGIN
        SELECT p.id INTO v_pool_id FROM pool p WHERE p.name = p_pool AND p.kind <> 'static';
        IF NOT FOUND THEN
          outcome := 'unknown-pool';
          RETURN;
        END IF;

        -- Acquires of one (pool, key) queue here on every replica. Same key expressions as the store's upsert,
        -- which takes these locks for its batch: the two must collide on the same lock.
        PERFORM pg_advisory_xact_lock(hashtext('gridauthz.lease:' || p_pool), hashtext(p_key));

        -- A new snapshot, taken after the lock was granted: a lease committed by the previous holder is seen here.
        -- GREATEST: a replica with a slower clock must not move last use backwards and bring expiry closer.
        WITH touched AS (
          UPDATE lease l SET last_used_at = GREATEST(l.last_used_at, p_now)
          WHERE l.pool_id = v_pool_id AND l.subject_key = p_key AND l.released_at IS NULL
          RETURNING l.account_id)
        SELECT a.id, a.username, a.uid, a.gid INTO account_id, username, uid, gid
        FROM touched t JOIN pool_account a ON a.id = t.account_id;
        IF FOUND THEN
          outcome := 'touched';
          RETURN;
        END IF;

        -- Lowest free account in byte order. The fast path skips accounts other claimers hold locked; if it finds
        -- none, those claimers may still roll back, so the second pass waits for them (plain FOR UPDATE re-checks
        -- each row once its locker ends) before the pool is called exhausted. Locking the row and testing held on
        -- its newest version is what keeps two claimers off one account.
        WITH candidate AS (
          SELECT a.id FROM pool_account a
          WHERE a.pool_id = v_pool_id AND NOT a.held AND a.enabled AND (a.available_after IS NULL OR a.available_after <= p_now)
          ORDER BY a.username COLLATE "C"
          LIMIT 1
          FOR UPDATE SKIP LOCKED),
        claimed AS (
          UPDATE pool_account a SET held = true, available_after = NULL FROM candidate c WHERE a.id = c.id
          RETURNING a.id, a.username, a.uid, a.gid)
        SELECT c.id, c.username, c.uid, c.gid INTO account_id, username, uid, gid FROM claimed c;
        IF NOT FOUND THEN
          WITH candidate AS (
            SELECT a.id FROM pool_account a
            WHERE a.pool_id = v_pool_id AND NOT a.held AND a.enabled AND (a.available_after IS NULL OR a.available_after <= p_now)
            ORDER BY a.username COLLATE "C"
            LIMIT 1
            FOR UPDATE),
          claimed AS (
            UPDATE pool_account a SET held = true, available_after = NULL FROM candidate c WHERE a.id = c.id
            RETURNING a.id, a.username, a.uid, a.gid)
          SELECT c.id, c.username, c.uid, c.gid INTO account_id, username, uid, gid FROM claimed c;
          IF NOT FOUND THEN
            outcome := 'exhausted';
            RETURN;
          END IF;
        END IF;

        -- The partial unique indexes on live leases are the last line: a violation aborts the statement, and the
        -- client retries the whole acquire.
        INSERT INTO lease (account_id, pool_id, subject_key, created_at, last_used_at)
        VALUES (gridauthz_acquire_lease.account_id, v_pool_id, p_key, p_now, p_now);
        outcome := 'created';
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION gridauthz_acquire_lease(text, text, timestamptz)`);
  }
}
