// A compute element's steady stream: keep-alive mutual-TLS connections, dialects rotating per request
// (authz-interop, grid-wn, emi), against `serve --workers 1` and `--workers 2` on PostgreSQL.
// Targets: ≥ 5,000 decisions/s and p99 < 25 ms with 2 workers; workers2/workers1 ≥ 1.6× (issue 9).
// Issue 21: each server beside its control in the same run, in its own process (bench/fastify-xmldom-baseline.mjs:
// bare Fastify, the same TLS options, one xmldom parse per query, the same answer bytes): gridauthz ≥ 100 % of it;
// and the latency at 80 % of the measured peak (p99 < 25 ms).
// Options: --duration <s> (default 20) --connections <n> (default 32) --cpu-prof <dir> --no-control (skip the
// control and the paced run).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildQuery, charged, cpuMs, freePort, postOnce, createSchema, devPki, pgBackendPids, requireFrom, rssMb, safeCpuMs, sleep, startControl, startServer, tempDir, uptime } from '../harness.mjs';
import { fmt, table } from '../stats.mjs';

export const DIALECTS = ['authz-interop', 'grid-wn', 'emi'];
const opt = (args, name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

export async function ceRun({ root, workers, durationMs, connections, prof, control = false }) {
  const autocannon = requireFrom(root)('node_modules/autocannon');
  const { decodeXacmlResponse } = requireFrom(root)('dist/libs/protocols');
  const schema = await createSchema(root);
  const cwd = tempDir('gridauthz-bench-ce-');
  if (prof) mkdirSync(prof, { recursive: true });
  const server = await startServer({ root, cwd: cwd.dir, url: schema.url, workers, nodeArgs: prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [] });
  try {
    const pki = devPki(cwd.dir);
    const queries = DIALECTS.map((d) => ({ dialect: d, q: buildQuery(root, pki, d) }));
    // What each dialect decides, decoded in full once (the load itself only counts HTTP 200s).
    const decisions = {};
    for (const { dialect, q } of queries) {
      const body = await postOnce(server.pdpPort, pki, q);
      const d = decodeXacmlResponse(body, q.expect);
      decisions[dialect] = d.ok ? d.value.decision : `undecodable (${d.error.code})`;
    }
    const requests = queries.map(({ q }) => ({ method: 'POST', path: '/', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: q.soapAction }, body: q.body }));
    const base = { url: `https://127.0.0.1:${server.pdpPort}`, connections, requests, tlsOptions: { ca: pki.ca, cert: pki.pilot.cert, key: pki.pilot.key, servername: 'localhost' } };
    await autocannon({ ...base, duration: 3 }); // warm-up: leases held, JIT and caches warm
    const pids = server.pids();
    const workerPids = server.workerPids();
    const rss = Object.fromEntries(workerPids.map((p) => [p, []]));
    const died = new Set();
    const sampler = setInterval(() => {
      for (const p of workerPids) {
        try {
          rss[p].push(rssMb(p));
        } catch {
          died.add(p); // a worker exited mid-run: report it, with the server's stderr
        }
      }
    }, 500);
    const pgPids = await pgBackendPids(root, pids);
    const pg0 = pgPids.map(safeCpuMs);
    const cpu0 = pids.map(cpuMs);
    const gen0 = process.cpuUsage();
    const loadBefore = uptime();
    const r = await autocannon({ ...base, duration: durationMs / 1000 });
    clearInterval(sampler);
    const gen = process.cpuUsage(gen0);
    const serverMs = pids.map(safeCpuMs).reduce((s, v, i) => s + (Number.isFinite(v) ? v - cpu0[i] : 0), 0);
    const pgMs = pgPids.map(safeCpuMs).reduce((s, v, i) => s + (Number.isFinite(v) ? v - pg0[i] : 0), 0);
    const okCount = r['2xx'];
    const secs = r.duration;
    let paced;
    let ctl;
    if (control) {
      // Latency at 80 % of the peak just measured: autocannon paces the whole load to that many requests per second.
      const rate = Math.max(1, Math.round((0.8 * okCount) / secs));
      const p = await autocannon({ ...base, duration: durationMs / 2000, overallRate: rate });
      paced = { target: rate, rate: p['2xx'] / p.duration, p50: p.latency.p50, p99: p.latency.p99, max: p.latency.max, non2xx: p.non2xx, errors: p.errors + p.timeouts };
      // The control, same connections and queries, answering what gridauthz answered to each.
      const answers = [];
      for (const { q } of queries) answers.push({ query: q.body, answer: await postOnce(server.pdpPort, pki, q) });
      const c = await startControl({ root, pkiDir: pki.dir, workers, answers, dir: cwd.dir, mode: 'xml' });
      try {
        const cbase = { ...base, url: `https://127.0.0.1:${c.port}` };
        const check = await autocannon({ ...cbase, duration: 3 }); // warm-up, and every answer a 200
        if (check.non2xx > 0 || check['2xx'] === 0) throw new Error(`control answered ${check.non2xx} non-2xx of ${check['2xx'] + check.non2xx}`);
        const cgen0 = process.cpuUsage();
        const { r: cr, ms } = await charged(c.pids(), () => autocannon({ ...cbase, duration: durationMs / 1000 }));
        const cgen = process.cpuUsage(cgen0);
        ctl = { rate: cr['2xx'] / cr.duration, p50: cr.latency.p50, p99: cr.latency.p99, serverPer: ms / cr['2xx'], non2xx: cr.non2xx, errors: cr.errors + cr.timeouts, genCore: (cgen.user + cgen.system) / 1000 / (cr.duration * 1000) };
      } finally {
        await c.stop();
      }
    }
    return {
      paced,
      control: ctl,
      workers,
      rate: okCount / secs,
      p50: r.latency.p50,
      p99: r.latency.p99,
      max: r.latency.max,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
      serverPer: serverMs / okCount,
      pgPer: pgMs / okCount,
      pgBackends: pgPids.length,
      serverCores: serverMs / (secs * 1000),
      genCore: (gen.user + gen.system) / 1000 / (secs * 1000),
      rss: workerPids.map((p) => ({ pid: p, max: Math.max(...rss[p]), last: rss[p].at(-1), died: died.has(p) })),
      died: [...died],
      replacements: server.workerPids().filter((p) => !workerPids.includes(p)),
      stderr: died.size > 0 ? server.stderr() : '',
      decisions,
      loadBefore,
      loadAfter: uptime(),
      bodies: queries.map(({ dialect, q }) => `${dialect} ${q.body.length} B`).join(', '),
    };
  } finally {
    await server.stop();
    await schema.drop();
    cwd.remove();
  }
}


export async function run({ root, args }) {
  const durationMs = Number(opt(args, 'duration', 20)) * 1000;
  const connections = Number(opt(args, 'connections', 32));
  const prof = opt(args, 'cpu-prof', undefined);
  const results = [];
  for (const workers of [1, 2]) {
    results.push(await ceRun({ root, workers, durationMs, connections, prof: prof && `${prof}/workers${workers}`, control: !args.includes('--no-control') }));
    await sleep(1000);
  }
  const [w1, w2] = results;
  const scale = w2.rate / w1.rate;
  const rows = [];
  for (const r of results) {
    rows.push([
      `serve --workers ${r.workers}`,
      fmt(r.rate, 0),
      fmt(r.p50, 0),
      fmt(r.p99, 0),
      fmt(r.serverPer, 2),
      `${fmt(r.pgPer, 2)} (${r.pgBackends} backends)`,
      fmt(r.serverCores, 2),
      `${fmt(r.genCore * 100, 0)} %`,
      `${r.non2xx} / ${r.errors}`,
      r.workers === 2 ? `≥ 5,000/s: **${r.rate >= 5000 ? 'met' : 'missed'}**; p99 < 25 ms: **${r.p99 < 25 ? 'met' : 'missed'}**` : '',
    ]);
    if (r.paced) {
      rows.push([
        `serve --workers ${r.workers}, paced at 80 % of its peak (${fmt(r.paced.target, 0)}/s)`,
        fmt(r.paced.rate, 0),
        fmt(r.paced.p50, 0),
        fmt(r.paced.p99, 0),
        '',
        '',
        '',
        '',
        `${r.paced.non2xx} / ${r.paced.errors}`,
        `p99 < 25 ms at 80 % of peak: **${r.paced.p99 < 25 ? 'met' : 'missed'}**`,
      ]);
    }
    if (r.control) {
      rows.push([
        `control: bare Fastify + xmldom, same TLS options, ${r.workers} worker(s)`,
        fmt(r.control.rate, 0),
        fmt(r.control.p50, 0),
        fmt(r.control.p99, 0),
        fmt(r.control.serverPer, 2),
        '—',
        '',
        `${fmt(r.control.genCore * 100, 0)} %`,
        `${r.control.non2xx} / ${r.control.errors}`,
        '',
      ]);
      const rateRatio = r.rate / r.control.rate;
      const cpuRatio = r.control.serverPer / (r.serverPer + r.pgPer);
      rows.push([
        `**gridauthz / control, --workers ${r.workers}**`,
        `**${fmt(rateRatio * 100, 0)} %**`,
        '',
        '',
        `CPU: control ÷ gridauthz (server + PostgreSQL) = **${fmt(cpuRatio * 100, 0)} %**`,
        '',
        '',
        '',
        '',
        `≥ 100 % (rate): **${rateRatio >= 1 ? 'met' : 'missed'}**`,
      ]);
    }
  }
  rows.push([`**workers2 / workers1**`, `**${fmt(scale, 2)}×**`, '', '', '', '', '', '', '', `≥ 1.6×: **${scale >= 1.6 ? 'met' : 'missed'}**`]);
  // Machine-readable figures for bench/compare.mjs (higher: bigger is better; lower: smaller is better).
  const figures = {};
  for (const r of results) {
    const w = `w${r.workers}`;
    figures[`${w} decisions/s`] = { value: r.rate, better: 'higher' };
    figures[`${w} p99 ms`] = { value: r.p99, better: 'lower' };
    figures[`${w} CPU ms/decision (server + PostgreSQL)`] = { value: r.serverPer + r.pgPer, better: 'lower' };
    if (r.paced) figures[`${w} p99 ms at 80 % of peak`] = { value: r.paced.p99, better: 'lower' };
    if (r.control) {
      figures[`${w} gridauthz / control rate`] = { value: r.rate / r.control.rate, better: 'higher' };
      figures[`${w} control CPU ÷ gridauthz CPU`] = { value: r.control.serverPer / (r.serverPer + r.pgPer), better: 'higher' };
    }
  }
  return {
    title: 'ce: keep-alive, 32 connections, mixed dialects, --workers 1 vs 2 on PostgreSQL, each beside its control (issues 9, 21)',
    table: table(['server', 'decisions/s', 'p50 ms', 'p99 ms', 'server CPU ms / decision', 'PostgreSQL CPU ms / decision', 'server cores busy', 'autocannon CPU', 'non-2xx / errors', 'target'], rows),
    figures,
    notes: [
      `Load: autocannon 8 in-process, ${connections} keep-alive mutual-TLS connections (pilot-voms proxy chain), each connection cycling authz-interop → grid-wn → emi queries carrying alice-voms (${w1.bodies}); ${durationMs / 1000} s per server after a 3 s warm-up; a fresh PostgreSQL schema per server. Decisions on the dev site: ${Object.entries(w1.decisions).map(([d, v]) => `${d} ${v}`).join(', ')} (EMI carries no action-id by default, and the dev policy names none for it).`,
      `Control (issue 21): bench/fastify-xmldom-baseline.mjs in its own process with as many cluster workers, started after the gridauthz server stopped taking load: Fastify with gridauthz's PDP TLS options (mutualTlsOptions from the same build), the client's chain read once per connection as gridauthz reads it, each body parsed with xmldom, and the bytes gridauthz answered to that query sent back; same autocannon load and duration. Its CPU is its processes' (it has no database). "control ÷ gridauthz CPU" compares CPU per request, which the neighbours on a shared box disturb less than the rates. The paced row runs autocannon's overallRate at 80 % of the peak just measured, for half the duration.`,
      `Server CPU from /proc/<pid>/stat (primary + workers); PostgreSQL CPU likewise, of the backends serving the server's connections (found with \`ss\` and pg_stat_activity.client_port). autocannon CPU = the bench process's own CPU as a share of one core; it runs on the same 2 cores.`,
      ...results.filter((r) => r.died.length).map((r) => `--workers ${r.workers}: **worker(s) ${r.died.join(', ')} exited during the run** (replacements: ${r.replacements.join(', ') || 'none'}); server output tail:\n\n\`\`\`\n${r.stderr.slice(-1500)}\n\`\`\``),
      ...results.map((r) => `--workers ${r.workers}: load average before \`${r.loadBefore}\`, after \`${r.loadAfter}\`.`),
    ].join('\n\n'),
  };
}
