import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A lease may be written without its subject DN: a gridmapdir import knows only the lease name, whose DN part is
 * case-folded and cannot be decoded (mapping.md §2.3.1, §2.9), and the LeaseStore port passes only the key.
 */
export class LeaseSubjectDnOptional1795400000007 implements MigrationInterface {
  name = 'LeaseSubjectDnOptional1795400000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE lease ALTER COLUMN subject_dn DROP NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE lease SET subject_dn = '' WHERE subject_dn IS NULL`);
    await q.query(`ALTER TABLE lease ALTER COLUMN subject_dn SET NOT NULL`);
  }
}
