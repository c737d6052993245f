// Decision-record retention under load (issue 16 item 6): the size of a decision record on PostgreSQL, and how fast
// the retention job deletes expired records while the ce load runs, with its effect on decision latency.
// Options: --duration <s> (default 10) --connections <n> (default 32) --expired <rows> (default 300000).
import { buildQuery, createSchema, devPki, postOnce, requireFrom, sleep, startServer, tempDir, uptime } from '../harness.mjs';
import { DIALECTS } from './ce.mjs';
import { fmt, table } from '../stats.mjs';

const opt = (args, name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

export async function run({ root, args }) {
  const durationS = Number(opt(args, 'duration', 10));
  const connections = Number(opt(args, 'connections', 32));
  const expired = Number(opt(args, 'expired', 300_000));
  const autocannon = requireFrom(root)('node_modules/autocannon');
  const schema = await createSchema(root);
  const cwd = tempDir('gridauthz-bench-retention-');
  // The server's own job: 30 days, batches of 2,000, looking every second so it starts within the loaded window.
  const server = await startServer({
    root,
    cwd: cwd.dir,
    url: schema.url,
    workers: 1,
    env: { GRIDAUTHZ_DECISIONS_RETENTION_DAYS: '30', GRIDAUTHZ_DECISIONS_RETENTION_BATCH_SIZE: '1000', GRIDAUTHZ_DECISIONS_RETENTION_INTERVAL_SECONDS: '1' },
  });
  const db = await schema.client();
  try {
    const pki = devPki(cwd.dir);
    const queries = DIALECTS.map((d) => buildQuery(root, pki, d));
    for (const q of queries) await postOnce(server.pdpPort, pki, q);
    const requests = queries.map((q) => ({ method: 'POST', path: '/', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: q.soapAction }, body: q.body }));
    const base = { url: `https://127.0.0.1:${server.pdpPort}`, connections, requests, tlsOptions: { ca: pki.ca, cert: pki.pilot.cert, key: pki.pilot.key, servername: 'localhost' } };
    await autocannon({ ...base, duration: 3 }); // warm-up, and real records of all three dialects

    // Row size over real records (the warm-up's): data only, then table + indexes + TOAST per row.
    const size = async () => {
      const [r] = (await db.query(`SELECT count(*)::bigint AS n, avg(pg_column_size(d.*))::float AS row_bytes, pg_total_relation_size('decision_record')::bigint AS total,
                                          pg_relation_size('decision_record')::bigint AS heap FROM decision_record d`)).rows;
      return { n: Number(r.n), rowBytes: r.row_bytes, total: Number(r.total), heap: Number(r.heap) };
    };
    const baseline = await autocannon({ ...base, duration: durationS });
    const live = await size();

    // Expired records: copies of real ones (each dialect's), 400 days old, so the job has a backlog to work on.
    // Inserted and measured in one transaction: the job (every second) must not delete before the size is taken.
    // Templates first: one real record of each dialect.
    await db.query('BEGIN');
    await db.query(
      `CREATE TEMP TABLE template ON COMMIT DROP AS
         SELECT row_number() OVER () - 1 AS k, r.* FROM (
           SELECT DISTINCT ON (dialect) * FROM decision_record ORDER BY dialect, decided_at DESC) AS r`,
    );
    await db.query(
      `INSERT INTO decision_record (id, decided_at, caller_dn, host, subject_dn, fqans, resource, action, dialect, decision, status, username, uid, gid,
                                    gids, reasons, environment, latency_ms, source_address, source_port, caller_dn_key, caller_serial, caller_issuer,
                                    caller_host, host_dn, host_dn_key, pep_issuer, subject_dn_key)
       SELECT gen_random_uuid(), now() - interval '400 days' - g * interval '10 ms', caller_dn, host, subject_dn, fqans, resource, action, dialect,
              decision, status, username, uid, gid, gids, reasons, environment, latency_ms, source_address, source_port, caller_dn_key, caller_serial,
              caller_issuer, caller_host, host_dn, host_dn_key, pep_issuer, subject_dn_key
       FROM generate_series(1, $1::int) AS g JOIN template t ON t.k = g % (SELECT count(*) FROM template)`,
      [expired],
    );
    const filled = await size();
    await db.query('COMMIT');
    await db.query('ANALYZE decision_record');
    const old = async () => Number((await db.query(`SELECT count(*) AS n FROM decision_record WHERE decided_at < now() - interval '30 days'`)).rows[0].n);
    const before = await old();
    const t0 = Date.now();
    const loaded = await autocannon({ ...base, duration: durationS });
    const seconds = (Date.now() - t0) / 1000;
    const deletedDuringLoad = before - (await old());
    // Let the job finish the backlog alone, for its unloaded rate.
    const t1 = Date.now();
    while ((await old()) > 0 && Date.now() - t1 < 120_000) await sleep(250);
    const aloneSeconds = (Date.now() - t1) / 1000;
    const deletedAlone = before - deletedDuringLoad - (await old());

    const perDay = (rate) => rate * 86_400;
    const bytesPerRow = filled.total / filled.n;
    const rows = [
      ['ce load, no expired records', fmt(baseline['2xx'] / baseline.duration, 0), fmt(baseline.latency.p50, 0), fmt(baseline.latency.p99, 0), '-', `${baseline.non2xx} / ${baseline.errors + baseline.timeouts}`],
      [`ce load, job deleting ${expired.toLocaleString('en')} expired`, fmt(loaded['2xx'] / loaded.duration, 0), fmt(loaded.latency.p50, 0), fmt(loaded.latency.p99, 0), fmt(deletedDuringLoad / seconds, 0), `${loaded.non2xx} / ${loaded.errors + loaded.timeouts}`],
      ['no load (rest of the backlog)', '-', '-', '-', aloneSeconds > 0 ? fmt(deletedAlone / aloneSeconds, 0) : '-', '-'],
    ];
    const sizes = [
      ['real records (warm-up + baseline)', live.n.toLocaleString('en'), fmt(live.rowBytes, 0), fmt(live.total / live.n, 0)],
      [`filled (+${expired.toLocaleString('en')} copies)`, filled.n.toLocaleString('en'), fmt(filled.rowBytes, 0), fmt(bytesPerRow, 0)],
    ];
    const rate = baseline['2xx'] / baseline.duration;
    return {
      title: 'retention: decision-record size, and the retention job deleting while the ce load runs (issue 16)',
      table: `${table(['phase', 'decisions/s', 'p50 ms', 'p99 ms', 'records deleted/s', 'non-2xx / errors'], rows)}\n\n${table(['decision_record', 'rows', 'avg row data bytes (pg_column_size)', 'bytes/row incl. indexes (pg_total_relation_size / rows)'], sizes)}`,
      notes: [
        `Load: as the ce scenario (autocannon, ${connections} keep-alive mTLS connections, authz-interop → grid-wn → emi), \`serve --workers 1\` on a fresh PostgreSQL schema, ${durationS} s per phase. The server's own retention job runs (decisions.retentionDays 30, retentionBatchSize 1000, retentionIntervalSeconds 1); the expired records are copies of the warm-up's real records dated 400 days back.`,
        `Disk: at this box's ce rate (${fmt(rate, 0)}/s) ${fmt(perDay(rate) / 1e6, 1)} M records/day ≈ ${fmt((perDay(rate) * bytesPerRow * 30) / 2 ** 30, 0)} GiB per 30 days; at the 5,000/s target ${fmt(perDay(5000) / 1e6, 0)} M/day ≈ ${fmt((perDay(5000) * bytesPerRow * 30) / 2 ** 30, 0)} GiB per 30 days (${fmt(bytesPerRow, 0)} B/record incl. indexes).`,
        `Load average before/after: \`${uptime()}\`.`,
      ].join('\n\n'),
    };
  } finally {
    await db.end();
    await server.stop();
    await schema.drop();
    cwd.remove();
  }
}
