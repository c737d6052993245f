import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Pools of local accounts and the unix groups they and the mapping rules use. */
export class PoolAccounts1795400000000 implements MigrationInterface {
  name = 'PoolAccounts1795400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pool (
        id          bigserial   CONSTRAINT pool_pk PRIMARY KEY,
        name        text        NOT NULL CONSTRAINT pool_name_uq UNIQUE,
        -- The mapping lib's PoolKind: user pools serve payload owners, pilot pools pilots, static pools are never leased.
        kind        text        NOT NULL DEFAULT 'user' CONSTRAINT pool_kind_ck CHECK (kind IN ('user', 'pilot', 'static')),
        description text        NOT NULL DEFAULT '',
        created_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pool_name_ck CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$')
      )`);
    await q.query(`
      CREATE TABLE unix_group (
        id         bigserial   CONSTRAINT unix_group_pk PRIMARY KEY,
        name       text        NOT NULL CONSTRAINT unix_group_name_uq UNIQUE,
        gid        integer     NOT NULL CONSTRAINT unix_group_gid_uq UNIQUE CONSTRAINT unix_group_gid_ck CHECK (gid >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE pool_account (
        id          bigserial   CONSTRAINT pool_account_pk PRIMARY KEY,
        pool_id     bigint      NOT NULL CONSTRAINT pool_account_pool_fk REFERENCES pool (id) ON DELETE RESTRICT,
        username    text        NOT NULL CONSTRAINT pool_account_username_uq UNIQUE,
        uid         integer     NOT NULL CONSTRAINT pool_account_uid_uq UNIQUE CONSTRAINT pool_account_uid_ck CHECK (uid >= 0),
        gid         integer     NOT NULL CONSTRAINT pool_account_gid_ck CHECK (gid >= 0),
        enabled     boolean     NOT NULL DEFAULT true,
        -- Lease state lives on the account row too: a claim locks this row (FOR UPDATE SKIP LOCKED) and a
        -- concurrent claimer re-checks these columns on the row's newest version, which a subquery over
        -- lease would not see under READ COMMITTED (it would pick the same account and hit the unique index).
        held        boolean     NOT NULL DEFAULT false,
        -- A released account is not handed out again before this time (a payload may still run on it).
        available_after timestamptz,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    // The free-account search walks a pool's accounts in name order (lowest name first).
    await q.query(`CREATE INDEX pool_account_free_ix ON pool_account (pool_id, username) WHERE NOT held AND enabled`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE pool_account`);
    await q.query(`DROP TABLE unix_group`);
    await q.query(`DROP TABLE pool`);
  }
}
