import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { type ConfigTopic, GenerationWatcher } from '@gridauthz/persistence';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

describe(`configuration change feed on ${databaseLabel()}`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => t?.close());

  it('reports a committed ban or policy change, and nothing for a rolled-back one', async () => {
    const seen: ConfigTopic[][] = [];
    const watcher = new GenerationWatcher(t.db, (topics) => void seen.push(topics), silentLog, 60_000);
    await watcher.start();
    await watcher.pollNow();
    expect(seen).toEqual([]);

    await t.db.dataSource.query(`INSERT INTO ban (kind, value, reason, created_by) VALUES ('dn', '/DC=org/CN=Mallory', 'incident 42', 'test')`);
    await watcher.pollNow();
    expect(seen).toEqual([['ban']]);

    await t.db
      .transaction(async (m) => {
        await m.query(`INSERT INTO policy_version (text, sha256, author) VALUES ('x', repeat('a', 64), 'test')`);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await watcher.pollNow();
    expect(seen).toEqual([['ban']]);

    await t.db.dataSource.query(`INSERT INTO policy_version (text, sha256, author) VALUES ('x', repeat('a', 64), 'test')`);
    await watcher.pollNow();
    expect(seen).toEqual([['ban'], ['policy']]);
    await watcher.stop();
  });
});
