// The Argus PEPd endpoint (docs/pepd.md §6): what glexec's c-pep plugin and pepcli send, POST /authz with the
// base64 Hessian of a Request whose key-info is alice's VOMS proxy chain, on the PEPd listener (pepd.enabled) of
// `serve --workers N` on PostgreSQL. Two loads beside the ce scenario's: keep-alive (autocannon, a CE-like steady
// stream) and one full mutual-TLS handshake per decision (as c-pep on a worker node does per glexec call).
// Options: --duration <s> (default 15) --connections <n> (keep-alive, default 32) --concurrency <n> (full
// handshake, default 12) --threads <n> (generator threads for the handshakes, default 2) --workers <n> (default 2).
import { charged, freePort, pgBackendPids, postAsPilot, requireFrom, safeCpuMs, startControl, startDevSite, uptime } from '../harness.mjs';
import { fullHandshakeLoad } from '../tls-load.mjs';
import { fmt, percentile, table } from '../stats.mjs';

const opt = (args, name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

/** One request as pepcli -k <proxy> -r …/wn -a …/execute sends it (the C client's layout). */
function pepcliBody(root, pki) {
  const { encodePepdRequest, PepIds } = requireFrom(root)('dist/libs/protocols');
  const certs = pki.payload.pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g).join('');
  return encodePepdRequest({
    subjects: [{ attributes: [{ id: PepIds.keyInfo, dataType: PepIds.dtString, values: [certs] }] }],
    resources: [{ attributes: [{ id: PepIds.resourceId, values: ['http://authz-interop.org/xacml/resource/resource-type/wn'] }] }],
    action: { attributes: [{ id: PepIds.actionId, values: ['http://glite.org/xacml/action/execute'] }] },
    environment: { attributes: [{ id: PepIds.profileId, dataType: PepIds.dtAnyUri, values: ['http://glite.org/xacml/profile/grid-wn/1.0'] }] },
  });
}

export async function run({ root, args }) {
  const durationMs = Number(opt(args, 'duration', 15)) * 1000;
  const connections = Number(opt(args, 'connections', 32));
  const concurrency = Number(opt(args, 'concurrency', 12));
  const threads = Number(opt(args, 'threads', 2));
  const workers = Number(opt(args, 'workers', 2));
  const autocannon = requireFrom(root)('node_modules/autocannon');
  const { decodePepdResponse } = requireFrom(root)('dist/libs/protocols');
  const pepdPort = await freePort();
  const site = await startDevSite({ root, prefix: 'gridauthz-bench-pepd-', workers, env: { GRIDAUTHZ_PEPD_ENABLED: 'true', GRIDAUTHZ_PEPD_PORT: String(pepdPort), GRIDAUTHZ_PEPD_HOST: '127.0.0.1' } });
  const { server, pki } = site;
  try {
    const body = pepcliBody(root, pki);
    // The decision, decoded in full once: the loads count HTTP 200s (a PEPd answer is base64, no substring to check).
    const first = await postAsPilot(pepdPort, pki, { path: '/authz', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const decoded = first.status === 200 ? decodePepdResponse(first.body) : { ok: false, error: { code: `HTTP ${first.status}`, detail: first.body } };
    const decision = decoded.ok ? decoded.value[0]?.decision : `undecodable (${decoded.error.code}: ${decoded.error.detail})`;
    const account = decoded.ok ? decoded.value[0]?.obligations[0]?.attributeAssignments.find((a) => a.attributeId.endsWith('/user-id'))?.value : undefined;
    const pids = server.pids();
    const measure = async (load) => {
      const pg = await pgBackendPids(root, pids);
      const all = [...pids, ...pg];
      const before = all.map(safeCpuMs);
      const loadBefore = uptime();
      const r = await load();
      const serverMs = all.map(safeCpuMs).reduce((s, v, i) => s + (Number.isFinite(v) ? v - before[i] : 0), 0);
      return { ...r, serverMs, loadBefore, loadAfter: uptime() };
    };
    const tlsOptions = { ca: pki.ca, cert: pki.pilot.cert, key: pki.pilot.key, servername: 'localhost' };
    const base = { url: `https://127.0.0.1:${pepdPort}`, connections, requests: [{ method: 'POST', path: '/authz', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }], tlsOptions };
    await autocannon({ ...base, duration: 3 }); // warm-up: lease held, JIT and caches warm
    const keepAlive = await measure(async () => {
      const r = await autocannon({ ...base, duration: durationMs / 1000 });
      return { ok: r['2xx'], secs: r.duration, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts };
    });
    const handshake = await measure(async () => {
      const r = await fullHandshakeLoad({ port: pepdPort, ...tlsOptions, body, path: '/authz', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, concurrency, threads, durationMs });
      return { ok: r.ok, secs: r.elapsedMs / 1000, p50: percentile(r.latenciesMs, 50), p99: percentile(r.latenciesMs, 99), bad: r.errors, firstError: r.firstError };
    });
    // The control (issue 21), in its own process after gridauthz's loads: bare Fastify with the same TLS options, the
    // body base64-decoded (PEPd's first step before its Hessian) and gridauthz's answer bytes sent back; same loads.
    const control = await startControl({ root, pkiDir: pki.dir, workers, answers: [{ query: body, answer: first.body }], dir: site.dir, mode: 'base64' });
    let controlKeepAlive;
    let controlHandshake;
    try {
      const cbase = { ...base, url: `https://127.0.0.1:${control.port}` };
      const check = await autocannon({ ...cbase, duration: 2 }); // warm-up, and every answer a 200
      if (check.non2xx > 0 || check['2xx'] === 0) throw new Error(`control answered ${check.non2xx} non-2xx of ${check['2xx'] + check.non2xx}`);
      const ka = await charged(control.pids(), () => autocannon({ ...cbase, duration: durationMs / 1000 }));
      controlKeepAlive = { ok: ka.r['2xx'], secs: ka.r.duration, p50: ka.r.latency.p50, p99: ka.r.latency.p99, bad: ka.r.non2xx + ka.r.errors + ka.r.timeouts, serverMs: ka.ms, loadBefore: '', loadAfter: uptime() };
      const hs = await charged(control.pids(), () => fullHandshakeLoad({ port: control.port, ...tlsOptions, body, path: '/authz', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, concurrency, threads, durationMs }));
      controlHandshake = { ok: hs.r.ok, secs: hs.r.elapsedMs / 1000, p50: percentile(hs.r.latenciesMs, 50), p99: percentile(hs.r.latenciesMs, 99), bad: hs.r.errors, serverMs: hs.ms, loadBefore: '', loadAfter: uptime() };
    } finally {
      await control.stop();
    }
    const row = (label, r) => [label, fmt(r.ok / r.secs, 0), fmt(r.p50, 1), fmt(r.p99, 1), fmt(r.serverMs / r.ok, 2), String(r.bad), r.loadBefore ? `\`${r.loadBefore}\` → \`${r.loadAfter}\`` : `→ \`${r.loadAfter}\``];
    const ratioRow = (label, g, c) => [`**${label}: gridauthz / control**`, `**${fmt((100 * (g.ok / g.secs)) / (c.ok / c.secs), 0)} %**`, '', '', `CPU: control ÷ gridauthz = **${fmt((100 * (c.serverMs / c.ok)) / (g.serverMs / g.ok), 0)} %**`, '', ''];
    return {
      title: `pepd: POST /authz (base64 Hessian, key-info = alice's VOMS proxy), serve --workers ${workers} on PostgreSQL`,
      table: table(['load', 'decisions/s', 'p50 ms', 'p99 ms', 'server + PostgreSQL CPU ms / decision', 'non-2xx / errors', 'load average before → after'], [
        row(`keep-alive, ${connections} connections`, keepAlive),
        row(`control (bare Fastify + base64), keep-alive`, controlKeepAlive),
        ratioRow('keep-alive', keepAlive, controlKeepAlive),
        row(`full handshake per decision, ${concurrency} loops`, handshake),
        row(`control (bare Fastify + base64), full handshake`, controlHandshake),
        ratioRow('full handshake', handshake, controlHandshake),
      ]),
      figures: {
        'keep-alive decisions/s': { value: keepAlive.ok / keepAlive.secs, better: 'higher' },
        'keep-alive CPU ms/decision (server + PostgreSQL)': { value: keepAlive.serverMs / keepAlive.ok, better: 'lower' },
        'full-handshake decisions/s': { value: handshake.ok / handshake.secs, better: 'higher' },
        'full-handshake CPU ms/decision (server + PostgreSQL)': { value: handshake.serverMs / handshake.ok, better: 'lower' },
        'keep-alive control CPU ÷ gridauthz CPU': { value: controlKeepAlive.serverMs / controlKeepAlive.ok / (keepAlive.serverMs / keepAlive.ok), better: 'higher' },
      },
      notes: [
        `Request: ${body.length} B of base64 as pepcli sends it (grid-wn profile, resource-type/wn, execute); decided ${decision}${account ? ` as ${account}` : ''}. Caller: the pilot-voms proxy chain, a pilot on the dev site. ${durationMs / 1000} s per load after a 3 s keep-alive warm-up; a fresh PostgreSQL schema.`,
        `Control (issue 21): bench/fastify-xmldom-baseline.mjs in base64 mode, in its own process with as many cluster workers, run after gridauthz's loads: Fastify with gridauthz's TLS options, the client's chain read once per connection, the body base64-decoded, gridauthz's answer bytes sent back; its CPU is its own processes' (it has no database).`,
        `Keep-alive: autocannon 8 in-process. Full handshake: bench/tls-load.mjs, ${threads} generator threads, a new TLS connection (no resumption) per request. Both generators run on the same cores as the server; CPU per decision counts the server processes and their PostgreSQL backends.`,
        ...(handshake.firstError ? [`First handshake-load error: ${handshake.firstError}`] : []),
      ].join('\n\n'),
    };
  } finally {
    await site.stop();
  }
}
