// glexec on a worker node: one NEW mutual-TLS connection per decision (full handshake, the pilot's VOMS proxy
// chain as client certificate), an authz-interop query carrying alice's VOMS proxy, leases already held.
// Side by side with nginx terminating the same mutual TLS and returning a fixed 2 KB body, so the headline is
// a ratio that cancels the machine (target: gridauthz ≥ 50 % of nginx).
// Options: --duration <s> (per round, default 10) --rounds <n> (default 2, alternating) --concurrency <n>
// (default 12) --threads <n> (generator worker_threads, default 2: one thread drove nginx to only 112/s at 62 %
// of a core, two threads × 12 loops to 244/s — measured 2026-11-23, see BENCHMARKS.md) --workers <n> (gridauthz and nginx, default 2)
// --cpu-prof <dir> (profile the gridauthz processes).
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildQuery, cpuMs, postOnce, pgBackendPids, safeCpuMs, createSchema, devPki, freePort, childPids, requireFrom, sleep, startClusterProcess, startServer, tempDir, uptime } from '../harness.mjs';
import { fullHandshakeLoad } from '../tls-load.mjs';
import { fmt, percentile, table } from '../stats.mjs';

const opt = (args, name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

function ensureNginx() {
  try {
    return execFileSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx']).toString().trim().split('\n')[0];
  } catch {
    // The Debian package; nginx-light has the ssl module and nothing we do not need.
    execFileSync('sh', ['-c', 'apt-get install -y nginx-light >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y nginx-light >/dev/null)'], { stdio: 'inherit' });
    return '/usr/sbin/nginx';
  }
}

async function startNginx({ pki, workers }) {
  const bin = ensureNginx();
  const tmp = tempDir('gridauthz-bench-nginx-');
  const port = await freePort();
  const body = 'x'.repeat(2048);
  writeFileSync(
    join(tmp.dir, 'nginx.conf'),
    `daemon off;
master_process on;
user root;
worker_processes ${workers};
pid ${tmp.dir}/nginx.pid;
error_log ${tmp.dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${tmp.dir}/body;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${pki.file(pki.manifest.host.certFile)};
    ssl_certificate_key ${pki.file(pki.manifest.host.keyFile)};
    ssl_client_certificate ${pki.file(pki.manifest.ca.certFile)};
    # OpenSSL 3 rejects RFC 3820 / legacy proxies (error 40; the OPENSSL_ALLOW_PROXY_CERTS hack is gone) and
    # optional_no_ca tolerates only unknown-CA errors, so nginx flags the request 495. Its verify callback lets
    # OpenSSL go on through every check (signatures included), so the handshake work is done; error_page 495
    # then serves the same 2 KB body.
    ssl_verify_client optional_no_ca;
    error_page 495 =200 @body;
    location @body { default_type text/plain; return 200 "${body}"; }
    ssl_verify_depth 10;
    # No resumption, as for gridauthz: every connection is a full handshake.
    ssl_session_cache off;
    ssl_session_tickets off;
    keepalive_timeout 0;
    location / { default_type text/plain; return 200 "${body}"; }
  }
}
`,
  );
  const child = spawn(bin, ['-p', tmp.dir, '-c', join(tmp.dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise((ok) => child.once('exit', ok));
  const t0 = Date.now();
  while (childPids(child.pid).length < workers) {
    if (child.exitCode !== null || Date.now() - t0 > 10_000) throw new Error(`nginx did not start: ${stderr}`);
    await sleep(100);
  }
  const version = execFileSync(bin, ['-v'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString() || 'nginx';
  return {
    port,
    version,
    pids: () => [child.pid, ...childPids(child.pid)],
    async stop() {
      child.kill('SIGQUIT');
      await exited;
      tmp.remove();
    },
  };
}

function startNodeBaseline({ root, pki, workers }) {
  return startClusterProcess({
    name: 'node baseline',
    workers,
    args: (port) => [join(root, 'bench', 'node-tls-baseline.mjs'), String(port), String(workers), pki.file(pki.manifest.host.certFile), pki.file(pki.manifest.host.keyFile), pki.file(pki.manifest.ca.certFile)],
  });
}

async function measure(label, target, load) {
  // gridauthz's PostgreSQL backends are charged to it: the decision record and lease touch are its work.
  const pids = [...target.pids(), ...(target.pg ? await target.pg() : [])];
  const before = pids.map(safeCpuMs);
  const r = await fullHandshakeLoad({ ...load, port: target.port });
  const serverMs = pids.map(safeCpuMs).reduce((s, v, i) => s + (Number.isFinite(v) ? v - before[i] : 0), 0);
  if (r.errors > 0) console.error(`${label}: ${r.errors} errors, first: ${r.firstError}`);
  return { label, ...r, serverMs };
}

/**
 * CPU (ms per second) the target spends with no load at all: timers, the change-feed poll, metrics. On a shared box
 * the load generator gets few decisions through, and this fixed cost then weighs on "CPU per request" although it
 * does not grow with requests; the "net of idle" column subtracts it (issue 21).
 */
async function idleCpuRate(target, ms = 3000) {
  const pids = [...target.pids(), ...(target.pg ? await target.pg() : [])];
  const before = pids.map(safeCpuMs);
  const t0 = performance.now();
  await sleep(ms);
  const used = pids.map(safeCpuMs).reduce((s, v, i) => s + (Number.isFinite(v) && Number.isFinite(before[i]) ? v - before[i] : 0), 0);
  return used / ((performance.now() - t0) / 1000);
}

export async function run({ root, args }) {
  const duration = Number(opt(args, 'duration', 10)) * 1000;
  const rounds = Number(opt(args, 'rounds', 2));
  const concurrency = Number(opt(args, 'concurrency', 12));
  const threads = Number(opt(args, 'threads', 2));
  const workers = Number(opt(args, 'workers', 2));
  const prof = opt(args, 'cpu-prof', undefined);
  const loadBefore = uptime();

  const schema = await createSchema(root);
  const cwd = tempDir('gridauthz-bench-glexec-');
  if (prof) mkdirSync(prof, { recursive: true });
  const server = await startServer({ root, cwd: cwd.dir, url: schema.url, workers, nodeArgs: prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [] });
  const pki = devPki(cwd.dir);
  const nginx = await startNginx({ pki, workers });
  const nodeTls = await startNodeBaseline({ root, pki, workers });
  try {
    const q = buildQuery(root, pki, 'authz-interop');
    // One fully decoded answer first: the load loop only checks for the Permit substring.
    const { decodeXacmlResponse } = requireFrom(root)('dist/libs/protocols');
    const res = await postOnce(server.pdpPort, pki, q);
    const decoded = decodeXacmlResponse(res, q.expect);
    if (!decoded.ok || decoded.value.decision !== 'Permit') throw new Error(`first answer is not a Permit: ${res.slice(0, 500)}`);

    const common = { ca: pki.ca, cert: pki.pilot.cert, key: pki.pilot.key, concurrency, threads, durationMs: duration };
    const ga = { port: server.pdpPort, pids: server.pids, pg: () => pgBackendPids(root, server.pids()) };
    const gaLoad = { ...common, body: q.body, headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: q.soapAction }, expect: 'Permit' };
    const ngLoad = { ...common, body: q.body, headers: { 'Content-Type': 'text/xml; charset=utf-8' }, expect: 'xxxxxxxx' };
    // Warm-up: leases taken, credential caches and JIT warm, on both sides.
    await fullHandshakeLoad({ ...gaLoad, port: ga.port, durationMs: 3000 });
    await fullHandshakeLoad({ ...ngLoad, port: nginx.port, durationMs: 2000 });
    await fullHandshakeLoad({ ...ngLoad, port: nodeTls.port, durationMs: 2000 });

    const idle = { gridauthz: await idleCpuRate(ga), nginx: await idleCpuRate(nginx), node: await idleCpuRate(nodeTls) };
    const acc = { gridauthz: [], nginx: [], node: [] };
    for (let i = 0; i < rounds; i += 1) {
      // Alternating rounds: a change in the background load hits both sides alike.
      acc.gridauthz.push(await measure('gridauthz', ga, gaLoad));
      acc.nginx.push(await measure('nginx', nginx, ngLoad));
      acc.node.push(await measure('node', nodeTls, ngLoad));
    }
    const summary = Object.fromEntries(
      Object.entries(acc).map(([k, rs]) => {
        const lat = Float64Array.from(rs.flatMap((r) => Array.from(r.latenciesMs))).sort();
        const ok = rs.reduce((n, r) => n + r.ok, 0);
        const secs = rs.reduce((n, r) => n + r.elapsedMs, 0) / 1000;
        const errors = rs.reduce((n, r) => n + r.errors, 0);
        const serverMs = rs.reduce((n, r) => n + r.serverMs, 0);
        const genMs = rs.reduce((n, r) => n + r.cpuMs, 0);
        const netMs = Math.max(0, serverMs - idle[k] * secs);
        return [k, { ok, errors, rate: ok / secs, p50: percentile(lat, 50), p99: percentile(lat, 99), serverPer: serverMs / ok, netPer: netMs / ok, idleRate: idle[k], genPer: genMs / ok, genCore: genMs / (secs * 1000), serverCores: serverMs / (secs * 1000), firstError: rs.find((r) => r.firstError)?.firstError }];
      }),
    );
    const ratio = summary.gridauthz.rate / summary.nginx.rate;
    const rows = Object.entries(summary).map(([k, s]) => [
      k === 'gridauthz' ? `gridauthz serve --workers ${workers} (PostgreSQL)` : k === 'nginx' ? `${nginx.version.trim().replace('nginx version: ', '')}, ${workers} workers, 2 KB body` : `control: bare node:https, gridauthz's TLS options, ${workers} workers, 2 KB body`,
      fmt(s.rate, 0),
      fmt(s.p50, 1),
      fmt(s.p99, 1),
      fmt(s.serverPer, 2),
      `${fmt(s.netPer, 2)} (idle ${fmt(s.idleRate, 1)} ms/s)`,
      fmt(s.serverCores, 2),
      `${fmt(s.genPer, 2)} (${fmt(s.genCore * 100, 0)} % of a core)`,
      String(s.errors),
    ]);
    const ratioNode = summary.gridauthz.rate / summary.node.rate;
    const cpuNode = summary.node.serverPer / summary.gridauthz.serverPer;
    const cpuNginx = summary.nginx.serverPer / summary.gridauthz.serverPer;
    const netNode = summary.node.netPer / summary.gridauthz.netPer;
    const netNginx = summary.nginx.netPer / summary.gridauthz.netPer;
    rows.push([`**gridauthz / nginx**`, `**${fmt(ratio * 100, 0)} %**`, '', '', `CPU: nginx ÷ gridauthz = **${fmt(cpuNginx * 100, 0)} %**`, `**${fmt(netNginx * 100, 0)} %**`, '', '', `≥ 50 % (issue 9): **${ratio >= 0.5 ? 'met' : 'missed'}**; ≥ 75 % (issue 21): **${ratio >= 0.75 ? 'met' : 'missed'}**`]);
    rows.push([`**gridauthz / node:https control**`, `**${fmt(ratioNode * 100, 0)} %**`, '', '', `CPU: control ÷ gridauthz = **${fmt(cpuNode * 100, 0)} %**`, `**${fmt(netNode * 100, 0)} %**`, '', '', `≥ 90 % (issue 21): **${ratioNode >= 0.9 ? 'met' : 'missed'}**`]);
    // Machine-readable figures for bench/compare.mjs.
    const figures = {
      'gridauthz decisions/s': { value: summary.gridauthz.rate, better: 'higher' },
      'gridauthz CPU ms/decision (server + PostgreSQL)': { value: summary.gridauthz.serverPer, better: 'lower' },
      'gridauthz p99 ms': { value: summary.gridauthz.p99, better: 'lower' },
      'gridauthz / node control rate': { value: ratioNode, better: 'higher' },
      'node control CPU ÷ gridauthz CPU': { value: cpuNode, better: 'higher' },
      'gridauthz / nginx rate': { value: ratio, better: 'higher' },
      'nginx CPU ÷ gridauthz CPU': { value: cpuNginx, better: 'higher' },
      'gridauthz CPU ms/decision net of idle': { value: summary.gridauthz.netPer, better: 'lower' },
      'node control CPU ÷ gridauthz CPU, net of idle': { value: netNode, better: 'higher' },
    };
    return {
      figures,
      title: 'glexec: full mutual-TLS handshake per decision, gridauthz vs nginx (issue 9)',
      table: table(['server', 'decisions/s (req/s)', 'p50 ms', 'p99 ms', 'server CPU ms / req', 'net of idle ms / req', 'server cores busy', 'generator CPU ms / req', 'errors'], rows),
      notes: [
        `Load: ${concurrency} concurrent loops in ${threads} worker_thread(s) of bench/tls-load.mjs, each request a new TLS connection (no session resumption: nginx has session cache and tickets off, the client never offers a session), client certificate = pilot-voms proxy chain, body = the ${q.body.length}-byte authz-interop query with alice-voms in cert-chain; ${rounds} alternating rounds of ${duration / 1000} s per server after a warm-up (3 s gridauthz: leases taken, caches warm).`,
        `nginx: Debian package, \`ssl_verify_client optional_no_ca\` with the dev CA as client CA. OpenSSL 3 refuses proxy certificates (verify error 40) and optional_no_ca forgives only unknown-CA errors, so nginx marks the request 495; \`error_page 495 =200\` serves the same 2 KB body. The chain is still received and verified (nginx's verify callback lets OpenSSL run every check, signatures included), it is just not accepted; gridauthz validates the whole proxy chain and the payload's VOMS chain itself. nginx returns 2 KB; gridauthz answers ${res.length} bytes of SAML.`,
        `Control row: bench/node-tls-baseline.mjs, a bare node:https cluster with gridauthz's TLS options (requestCert, rejectUnauthorized false, no tickets, dev CA as \`ca\`) that reads the client's chain as gridauthz does (getPeerX509Certificate, the DER of each certificate) and returns 2 KB: what Node's TLS alone costs per handshake, so the rest of gridauthz's CPU per request is its own code and its database. It does not enter the headline ratio.`,
        `Server CPU: utime+stime from /proc/<pid>/stat of the primary, its workers and their PostgreSQL backends (gridauthz) or master and workers (nginx), before/after each round. "Net of idle" subtracts what each server spends in 3 s without any load (measured after the warm-up; gridauthz: timers, the 250 ms change-feed poll, the metrics' event-loop monitor), times the round's duration: on a shared box few handshakes get through and that fixed cost would otherwise read as cost per request. Generator CPU: process.cpuUsage() of the bench process (all threads); on 2 cores the generator competes with the server, so the concurrency is kept small.`,
        `Load average before: \`${loadBefore}\`; after: \`${uptime()}\` (the load average counts this benchmark's own server, database and generator too).`,
        ...Object.entries(summary).filter(([, s]) => s.errors > 0).map(([k, s]) => `${k}: first error \`${s.firstError}\`.`),
      ].join('\n\n'),
    };
  } finally {
    await nodeTls.stop();
    await nginx.stop();
    await server.stop();
    await schema.drop();
    cwd.remove();
  }
}

