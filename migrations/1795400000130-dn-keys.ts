import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Dn } from '@gridauthz/domain';

/**
 * Names are looked up by their structured key (Dn.canonicalKey, docs/identities.md), never by their rendered text:
 * a slash string can be the text of two different names. The display text stays in the old columns.
 *
 * - admin_principal.dn_key: the key of dn; the admin API finds the principal of a certificate by it. Unique: one
 *   role per name. A row whose text does not parse (none were written that way) or whose key another row already
 *   has gets a key no name can have ("!unmatched:<id>"), so it grants nothing and stays visible to be fixed.
 * - ban.value_key: for dn bans that are a DN (not an LCMAPS glob) and ca bans, the key of the value; null otherwise.
 *   Ban lists are merged on it, so one name written two ways is one ban.
 *
 * The keys are computed here in TypeScript by the same Dn code the application uses.
 */
export class DnKeys1795400000130 implements MigrationInterface {
  name = 'DnKeys1795400000130';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE admin_principal ADD COLUMN dn_key text`);
    const principals = (await q.query(`SELECT id, dn FROM admin_principal ORDER BY id`)) as { id: string; dn: string }[];
    const taken = new Set<string>();
    for (const row of principals) {
      let key = keyOf(row.dn) ?? `!unmatched:${row.id}`;
      if (taken.has(key)) key = `!unmatched:${row.id}`;
      taken.add(key);
      await q.query(`UPDATE admin_principal SET dn_key = $2 WHERE id = $1`, [row.id, key]);
    }
    await q.query(`ALTER TABLE admin_principal ALTER COLUMN dn_key SET NOT NULL`);
    await q.query(`ALTER TABLE admin_principal ADD CONSTRAINT admin_principal_dn_key_uq UNIQUE (dn_key)`);

    await q.query(`ALTER TABLE ban ADD COLUMN value_key text`);
    const bans = (await q.query(`SELECT id, kind, value FROM ban WHERE kind IN ('dn', 'ca') ORDER BY id`)) as { id: string; kind: string; value: string }[];
    for (const row of bans) {
      if (row.kind === 'dn' && /[*?[]/.test(row.value)) continue;
      const key = keyOf(row.value);
      if (key !== undefined) await q.query(`UPDATE ban SET value_key = $2 WHERE id = $1`, [row.id, key]);
    }
    await q.query(`CREATE INDEX ban_active_value_key_ix ON ban (kind, value_key) WHERE lifted_at IS NULL AND value_key IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ban_active_value_key_ix`);
    await q.query(`ALTER TABLE ban DROP COLUMN value_key`);
    await q.query(`ALTER TABLE admin_principal DROP CONSTRAINT admin_principal_dn_key_uq`);
    await q.query(`ALTER TABLE admin_principal DROP COLUMN dn_key`);
  }
}

function keyOf(text: string): string | undefined {
  try {
    return Dn.parse(text).canonicalKey();
  } catch {
    return undefined;
  }
}
