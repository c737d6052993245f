import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Dn } from '@gridauthz/domain';

/**
 * Who may ask what (docs/callers.md): one row per caller DN and role. `pilot` may ask for a payload's mapping
 * with the payload's own chain (gLExec's user_white_list, enforced centrally); `asserter` may assert a subject's
 * DN and FQANs without a chain (CEs over PRIMA, ARC emi, an Argus PEPd). The DN is stored as its structural key
 * (Dn.canonicalKey()) and, for display, in slash form. The old payload_caller whitelist becomes `pilot` rows:
 * a pilot must send the payload's chain, which is what payload callers always needed to be mapped.
 * A 'caller' generation lets every replica reload the set within one poll interval, as bans do.
 */
export class Callers1795400000100 implements MigrationInterface {
  name = 'Callers1795400000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE caller (
        id         bigserial   CONSTRAINT caller_pk PRIMARY KEY,
        dn_key     text        NOT NULL CONSTRAINT caller_dn_key_ck CHECK (length(dn_key) > 0),
        dn         text        NOT NULL CONSTRAINT caller_dn_ck CHECK (length(dn) > 0),
        role       text        NOT NULL CONSTRAINT caller_role_ck CHECK (role IN ('pilot', 'asserter')),
        comment    text        NOT NULL DEFAULT '',
        created_by text        NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT caller_dn_key_role_uq UNIQUE (dn_key, role)
      )`);
    // The key is computed in TypeScript (the one definition of DN equality), so rows are moved one by one.
    const old = await q.query(`SELECT caller_key, kind, dn FROM payload_caller ORDER BY id`) as { caller_key: string; kind: string; dn: string }[];
    for (const row of old) {
      let dn: Dn;
      try {
        dn = Dn.parse(row.dn);
      } catch {
        // A row that never compiled was never honoured either; it stays in payload_caller for the operator to see.
        continue;
      }
      await q.query(
        `INSERT INTO caller (dn_key, dn, role, comment, created_by) VALUES ($1, $2, 'pilot', $3, 'migration')
         ON CONFLICT (dn_key, role) DO NOTHING`,
        [dn.canonicalKey(), dn.toSlash(), `payload caller ${row.caller_key} (${row.kind})`],
      );
      await q.query(`DELETE FROM payload_caller WHERE caller_key = $1`, [row.caller_key]);
    }
    await q.query(`INSERT INTO config_generation (topic) VALUES ('caller') ON CONFLICT (topic) DO NOTHING`);
    await q.query(`CREATE TRIGGER caller_generation_tg AFTER INSERT OR UPDATE OR DELETE ON caller
                   FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation('caller')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER caller_generation_tg ON caller`);
    await q.query(`DELETE FROM config_generation WHERE topic = 'caller'`);
    await q.query(`DROP TABLE caller`);
  }
}
