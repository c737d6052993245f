import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Database } from '../database/database';
import { databaseLike, type DatabaseLike } from '../mapping/sql-scope';
import { audited, systemActor } from '../audit/admin-audit-repository';

export interface PolicyVersion {
  readonly id: string;
  readonly text: string;
  readonly sha256: string;
  readonly author: string;
  readonly comment: string;
  readonly createdAt: Date;
  readonly active: boolean;
  readonly activatedAt: Date | undefined;
}

interface Row {
  id: string;
  text: string;
  sha256: string;
  author: string;
  comment: string;
  created_at: Date;
  active: boolean;
  activated_at: Date | null;
}

const toVersion = (r: Row): PolicyVersion => ({
  id: String(r.id),
  text: r.text,
  sha256: r.sha256,
  author: r.author,
  comment: r.comment,
  createdAt: new Date(r.created_at),
  active: r.active,
  activatedAt: r.activated_at ? new Date(r.activated_at) : undefined,
});

/**
 * Site policy versions. The caller validates the text before storing it (a policy that does not parse never
 * reaches the table); activation swaps the single active row in one transaction, and the config_generation
 * trigger tells every replica to load it.
 */
export class PolicyVersionRepository {
  private readonly db: DatabaseLike;

  /** On a Database, or inside a caller's transaction (an EntityManager), e.g. an audited change. */
  constructor(target: Database | EntityManager) {
    this.db = databaseLike(target);
  }

  /** Stores a version and makes it the active one, atomically. Returns the stored version. */
  async storeAndActivate(text: string, author: string, comment = ''): Promise<PolicyVersion> {
    const sha256 = createHash('sha256').update(text).digest('hex');
    return this.db.transaction(async (m) => {
      await m.query(`UPDATE policy_version SET active = false WHERE active`);
      const rows: Row[] = await m.query(
        `INSERT INTO policy_version (text, sha256, author, comment, active, activated_at) VALUES ($1, $2, $3, $4, true, now()) RETURNING *`,
        [text, sha256, author, comment],
      );
      return toVersion(rows[0] as Row);
    });
  }

  /**
   * Stores and activates a first version unless one is active already; replicas and workers booting together
   * serialise on an advisory lock, so exactly one of them writes it. Returns the version written, if any.
   */
  async storeAndActivateIfNone(text: string, author: string, comment = ''): Promise<PolicyVersion | undefined> {
    const sha256 = createHash('sha256').update(text).digest('hex');
    return this.db.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('gridauthz:policy-bootstrap'))`);
      const active: { id: string }[] = await m.query(`SELECT id FROM policy_version WHERE active`);
      if (active.length > 0) return undefined;
      const rows: Row[] = await m.query(
        `INSERT INTO policy_version (text, sha256, author, comment, active, activated_at) VALUES ($1, $2, $3, $4, true, now()) RETURNING *`,
        [text, sha256, author, comment],
      );
      const version = toVersion(rows[0] as Row);
      // The service's own first policy is an admin change like any other: audited in the same transaction.
      await audited(m, { actor: systemActor('policy-bootstrap') }, (tx) =>
        tx.record({ action: 'policy.bootstrap', target: version.id, after: { id: version.id, sha256, author, comment } }),
      );
      return version;
    });
  }

  /** Makes an existing version the active one (roll back or forward); false if there is no such version. */
  async activate(id: string): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const exists: { id: string }[] = await m.query(`SELECT id FROM policy_version WHERE id = $1 FOR UPDATE`, [id]);
      if (exists.length === 0) return false;
      await m.query(`UPDATE policy_version SET active = false WHERE active AND id <> $1`, [id]);
      await m.query(`UPDATE policy_version SET active = true, activated_at = now() WHERE id = $1`, [id]);
      return true;
    });
  }

  async active(): Promise<PolicyVersion | undefined> {
    const rows: Row[] = await this.db.dataSource.query(`SELECT * FROM policy_version WHERE active`);
    return rows[0] ? toVersion(rows[0]) : undefined;
  }

  async list(): Promise<PolicyVersion[]> {
    const rows: Row[] = await this.db.dataSource.query(`SELECT * FROM policy_version ORDER BY id`);
    return rows.map(toVersion);
  }
}
