// A second server process, reduced to what lease concurrency needs: its own Database (own connection pool) and
// PostgresLeaseStore against the schema the test names. It prints "ready", waits for "go" on stdin so both workers
// start together, fires every acquire at once and prints the results as one JSON line.
import { silentLog } from '@gridauthz/domain';
import { Database, PostgresLeaseStore } from '@gridauthz/persistence';

interface WorkerInput {
  readonly url: string;
  readonly poolId: string;
  readonly keys: readonly string[];
  readonly now: string;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '') as WorkerInput;
  const db = await Database.open({ url: input.url, dataDir: '/nonexistent', migrations: [], log: silentLog, poolSize: 10 });
  try {
    const store = new PostgresLeaseStore(db);
    process.stdout.write('ready\n');
    await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
    process.stdin.destroy();
    const now = new Date(input.now);
    const results = await Promise.all(
      input.keys.map(async (key) => {
        const r = await store.acquire(input.poolId, key, now);
        return r.ok ? { key, username: r.value.account.username, created: r.value.created } : { key, error: r.error.code };
      }),
    );
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
