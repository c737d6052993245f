// 10,000 first-time DNs leasing from one pool of 10,000 accounts, 64 acquires in flight, straight on the
// PostgresLeaseStore (no HTTP, no TLS): new leases/s (target ≥ 1,000/s), then SQL proof that no account is held
// twice and every DN has exactly one live lease. Options: --dns <n> (default 10000) --concurrency <n> (default 64).
import { createSchema, requireFrom, uptime } from '../harness.mjs';
import { fmt, percentile, table } from '../stats.mjs';

const opt = (args, name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

export async function run({ root, args }) {
  const n = Number(opt(args, 'dns', 10000));
  const concurrency = Number(opt(args, 'concurrency', 64));
  const req = requireFrom(root);
  const { Database, PostgresLeaseStore } = req('dist/libs/persistence');
  const { MIGRATIONS } = req('dist/migrations');
  const { silentLog } = req('dist/libs/domain');
  const schema = await createSchema(root);
  // Pool size above the concurrency: every in-flight acquire holds a connection for its statement.
  const db = await Database.open({ url: schema.url, dataDir: '/nonexistent', migrations: MIGRATIONS, log: silentLog, poolSize: concurrency + 4 });
  try {
    await db.migrate();
    await db.transaction(async (m) => {
      await m.query(`INSERT INTO pool (name, kind) VALUES ('storm', 'user')`);
      await m.query(
        `INSERT INTO pool_account (pool_id, username, uid, gid)
         SELECT (SELECT id FROM pool WHERE name = 'storm'), 'storm' || lpad(i::text, 5, '0'), 100000 + i, 5000 FROM generate_series(1, $1) AS i`,
        [n],
      );
    });
    const store = new PostgresLeaseStore(db);
    const keys = Array.from({ length: n }, (_, i) => `/DC=org/DC=gridauthz-bench/OU=People/CN=Storm User ${i}`);
    const now = new Date();
    const lat = [];
    const done = []; // completion times: is the rate flat, or does it fall as the pool fills?
    let next = 0;
    let created = 0;
    const failures = [];
    const loadBefore = uptime();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const key = keys[next++];
          const t = performance.now();
          const r = await store.acquire('storm', key, now);
          lat.push(performance.now() - t);
          done.push(performance.now());
          if (!r.ok) failures.push(`${key}: ${r.error.code}`);
          else if (r.value.created) created += 1;
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    lat.sort((a, b) => a - b);
    const checks = [
      ['accounts with more than one live lease', `SELECT count(*) AS n FROM (SELECT account_id FROM lease WHERE released_at IS NULL GROUP BY account_id HAVING count(*) > 1) x`, 0],
      ['DNs with more than one live lease', `SELECT count(*) AS n FROM (SELECT subject_key FROM lease WHERE released_at IS NULL GROUP BY pool_id, subject_key HAVING count(*) > 1) x`, 0],
      ['live leases', `SELECT count(*) AS n FROM lease WHERE released_at IS NULL`, n],
      ['accounts flagged held', `SELECT count(*) AS n FROM pool_account WHERE held`, n],
    ];
    const checkRows = [];
    for (const [what, sql, want] of checks) {
      const [row] = await db.dataSource.query(sql);
      const got = Number(row.n);
      checkRows.push([what, `\`${sql}\``, String(got), String(want), got === want ? 'ok' : '**FAILED**']);
    }
    const rate = created / secs;
    const fifth = Math.floor(done.length / 5);
    const rateOf = (a, b) => (b - a) / ((done[b - 1] - (a === 0 ? t0 : done[a - 1])) / 1000);
    const firstFifth = rateOf(0, fifth);
    const lastFifth = rateOf(done.length - fifth, done.length);
    return {
      // Machine-readable figures for bench/compare.mjs.
      figures: {
        'new leases/s': { value: rate, better: 'higher' },
        'acquire p99 ms': { value: percentile(lat, 99), better: 'lower' },
      },
      title: `lease-storm: ${n.toLocaleString('en')} first-time DNs, ${concurrency} concurrent acquires, PostgresLeaseStore (issue 9)`,
      table: [
        table(
          ['new leases', 'failures', 'seconds', 'new leases/s', 'acquire p50 ms', 'acquire p99 ms', 'client CPU s', 'target ≥ 1,000/s'],
          [[String(created), String(failures.length), fmt(secs, 2), fmt(rate, 0), fmt(percentile(lat, 50), 1), fmt(percentile(lat, 99), 1), fmt((cpu.user + cpu.system) / 1e6, 2), `**${rate >= 1000 ? 'met' : 'missed'}**`]],
        ),
        '',
        table(['SQL check', 'query', 'result', 'expected', ''], checkRows),
      ].join('\n'),
      notes: [
        `One pool \`storm\` of ${n.toLocaleString('en')} accounts in a fresh schema (migrated with Database.migrate from dist), ${concurrency} async loops sharing one PostgresLeaseStore over a ${concurrency + 4}-connection pool to PostgreSQL 15 on 127.0.0.1; each acquire is one autocommit call of \`gridauthz_acquire_lease\` (one round trip; inside it, statement by statement: pool lookup, advisory lock on the key, touch, claim lowest free with SKIP LOCKED, insert lease). The pool is sized to the DNs, so the last acquires find the last free accounts.${failures.length ? ` First failures: ${failures.slice(0, 3).join('; ')}` : ''}`,
        `Rate over the first fifth of the acquires ${fmt(firstFifth, 0)}/s, over the last fifth ${fmt(lastFifth, 0)}/s.`,
        `Load average before \`${loadBefore}\`, after \`${uptime()}\`.`,
      ].join('\n\n'),
    };
  } finally {
    await db.close();
    await schema.drop();
  }
}
