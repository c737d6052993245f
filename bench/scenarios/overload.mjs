// Overload (issue 15 finding 4): `serve --workers 2` on PostgreSQL under an open-files limit of 1,024, and a
// legitimate glexec-style client (the pilot, keep-alive or fresh connections) measured while
//   A. four greedy clients (four certificates) send maximal-size valid queries (240 KB: the payload chain plus
//      padding) and 60,000-sibling bodies as fast as they can, four connections each;
//   B. 2,100 plain TCP connections are opened and held silent, then 2,500 slow TLS connections (no client
//      certificate, a header byte every 2 s);
//   C. the lease table is held locked (LOCK TABLE ... ACCESS EXCLUSIVE) for 30 s.
// Options: --quick (short phases, 10 s lock), --duration <s> per load phase (default 20), --lock <s> (default 30).
import { execFileSync } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { Agent, request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildQuery, createSchema, devPki, loadavg, proxyFileIdentity, sleep, startServer, tempDir } from '../harness.mjs';
import { fmt, percentile, table } from '../stats.mjs';

const opt = (args, name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

/** Four user certificates of the dev CA for the greedy clients (openssl, as a site CA would issue them). */
function greedyIdentities(pki, dir) {
  const ca = pki.file(pki.manifest.ca.certFile);
  const caKey = pki.file(pki.manifest.ca.keyFile);
  const ext = join(dir, 'ext.cnf');
  execFileSync('sh', ['-c', `printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=clientAuth\\n' > ${ext}`]);
  return [1, 2, 3, 4].map((i) => {
    const key = join(dir, `greedy${i}.key`);
    const csr = join(dir, `greedy${i}.csr`);
    const cert = join(dir, `greedy${i}.pem`);
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', `/DC=org/DC=gridauthz-dev/OU=People/CN=Greedy Client ${i}`, '-out', csr], { stdio: 'ignore' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-set_serial', String(0x9000 + i), '-days', '2', '-sha256', '-extfile', ext, '-out', cert], { stdio: 'ignore' });
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  });
}

function post(port, pki, identity, agent, body, soapAction) {
  const started = performance.now();
  return new Promise((resolve) => {
    const r = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/', agent, ca: pki.ca, servername: 'localhost', cert: identity.cert, key: identity.key, headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: soapAction } },
      (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => {
          const decision = /<(?:[\w-]+:)?Decision>(\w+)</.exec(b)?.[1] ?? (res.statusCode === 200 ? 'other' : `http ${res.statusCode}`);
          resolve({ ms: performance.now() - started, status: res.statusCode, decision });
        });
      },
    );
    r.setTimeout(30_000, () => r.destroy(new Error('client timeout')));
    r.on('error', (e) => resolve({ ms: performance.now() - started, status: 0, decision: `error ${e.code ?? e.message}` }));
    r.end(body);
  });
}

/** The legitimate client: one request at a time (`gapMs` apart) until `until()`; keep-alive or fresh connections. */
async function legit(port, pki, q, until, { keepAlive, gapMs }) {
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
  const results = [];
  while (!until()) {
    results.push(await post(port, pki, pki.pilot, agent, q.body, q.soapAction));
    await sleep(gapMs);
  }
  if (agent) agent.destroy();
  return results;
}

function summary(results) {
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const decisions = {};
  for (const r of results) decisions[r.decision] = (decisions[r.decision] ?? 0) + 1;
  return { n: results.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms.at(-1), decisions: Object.entries(decisions).map(([k, v]) => `${k} ${v}`).join(', ') };
}

const readyz = (server) => fetch(`http://127.0.0.1:${server.managementPort}/readyz`).then((r) => r.status, () => 0);

export async function run({ root, args }) {
  const quick = args.includes('--quick');
  const phaseMs = Number(opt(args, 'duration', quick ? 8 : 20)) * 1000;
  const lockMs = Number(opt(args, 'lock', quick ? 10 : 30)) * 1000;
  const tmp = tempDir('gridauthz-bench-overload-');
  const schema = await createSchema(root);
  const rows = [];
  const notes = [];
  let server;
  try {
    server = await startServer({ root, cwd: tmp.dir, url: schema.url, workers: 2, nofile: 1024 });
    const pki = devPki(tmp.dir);
    const port = server.pdpPort;
    const q = buildQuery(root, pki, 'authz-interop');
    const warm = await post(port, pki, pki.pilot, false, q.body, q.soapAction);
    if (warm.decision !== 'Permit') throw new Error(`warm-up answered ${warm.decision}`);
    const gdir = join(tmp.dir, 'greedy');
    mkdirSync(gdir);
    const greedy = greedyIdentities(pki, gdir);
    const pad = 250_000 - Buffer.byteLength(q.body);
    const bigValid = `${q.body}<!--${'x'.repeat(pad)}-->`;
    const siblings = `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><a>${'<b/>'.repeat(60_000)}</a></soap:Body></soap:Envelope>`;

    // Baseline.
    let stop = Date.now() + 5000;
    const base = summary(await legit(port, pki, q, () => Date.now() > stop, { keepAlive: true, gapMs: 20 }));
    rows.push(['baseline (no load), keep-alive', base.n, fmt(base.p50, 1), fmt(base.p99, 1), fmt(base.max, 0), base.decisions, '']);

    // A. Greedy clients.
    stop = Date.now() + phaseMs;
    const greedyCounts = { n: 0, byDecision: {} };
    const greedyLoops = greedy.flatMap((identity) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      return [0, 1, 2, 3].map(async (k) => {
        while (Date.now() < stop) {
          const r = await post(port, pki, identity, agent, k % 2 === 0 ? bigValid : siblings, q.soapAction);
          greedyCounts.n += 1;
          greedyCounts.byDecision[r.decision] = (greedyCounts.byDecision[r.decision] ?? 0) + 1;
        }
        agent.destroy();
      });
    });
    await sleep(500);
    const a = summary(await legit(port, pki, q, () => Date.now() > stop, { keepAlive: true, gapMs: 20 }));
    await Promise.all(greedyLoops);
    rows.push([
      'A: 4 greedy clients × 4 connections (240 KB valid queries and 60,000-sibling bodies)',
      a.n,
      fmt(a.p50, 1),
      fmt(a.p99, 1),
      fmt(a.max, 0),
      a.decisions,
      `p99 < 1 s: **${a.p99 < 1000 ? 'met' : 'missed'}**`,
    ]);
    notes.push(`A: the greedy clients got ${greedyCounts.n} answers in ${phaseMs / 1000} s (${Object.entries(greedyCounts.byDecision).map(([k, v]) => `${k} ${v}`).join(', ')}).`);

    // B1. 2,100 silent TCP connections.
    const tcp = [];
    for (let i = 0; i < 2100; i += 1) {
      const s = netConnect(port, '127.0.0.1');
      s.on('error', () => undefined);
      tcp.push(s);
    }
    stop = Date.now() + phaseMs;
    const readyDuring = [];
    const probe = setInterval(async () => readyDuring.push(await readyz(server)), 1000);
    const b1 = summary(await legit(port, pki, q, () => Date.now() > stop, { keepAlive: false, gapMs: 100 }));
    clearInterval(probe);
    const closedByServer = tcp.filter((s) => s.destroyed || s.readyState === 'closed').length;
    for (const s of tcp) s.destroy();
    rows.push(['B1: 2,100 silent TCP connections, fresh TLS per request', b1.n, fmt(b1.p50, 1), fmt(b1.p99, 1), fmt(b1.max, 0), b1.decisions, `/readyz during: ${summarizeStatuses(readyDuring)}`]);
    notes.push(`B1: ${closedByServer} of the 2,100 silent connections had been closed by the server by the end of the phase.`);

    // B2. 2,500 slow TLS connections (no client certificate, one header byte every 2 s).
    const slow = [];
    let slowOpen = 0;
    for (let i = 0; i < 2500; i += 1) {
      const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
      s.on('error', () => undefined);
      s.on('secureConnect', () => {
        slowOpen += 1;
        const header = 'POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ';
        let k = 0;
        const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write(header[k++ % header.length])), 2000);
        s.on('close', () => clearInterval(t));
      });
      slow.push(s);
      if (i % 250 === 249) await sleep(50);
    }
    stop = Date.now() + phaseMs;
    const readyDuring2 = [];
    const probe2 = setInterval(async () => readyDuring2.push(await readyz(server)), 1000);
    const b2 = summary(await legit(port, pki, q, () => Date.now() > stop, { keepAlive: false, gapMs: 100 }));
    clearInterval(probe2);
    const slowAlive = slow.filter((s) => !s.destroyed).length;
    for (const s of slow) s.destroy();
    rows.push(['B2: 2,500 slow TLS connections (no certificate), fresh TLS per request', b2.n, fmt(b2.p50, 1), fmt(b2.p99, 1), fmt(b2.max, 0), b2.decisions, `/readyz during: ${summarizeStatuses(readyDuring2)}`]);
    notes.push(`B2: ${slowOpen} of the 2,500 slow connections completed a handshake; ${slowAlive} were still open at the end of the phase.`);

    // After the floods.
    await sleep(2000);
    stop = Date.now() + 5000;
    const after = summary(await legit(port, pki, q, () => Date.now() > stop, { keepAlive: false, gapMs: 50 }));
    rows.push(['after the floods, fresh TLS per request', after.n, fmt(after.p50, 1), fmt(after.p99, 1), fmt(after.max, 0), after.decisions, `/readyz: ${await readyz(server)}`]);

    // C. The lease table locked.
    const locker = await schema.client();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE lease IN ACCESS EXCLUSIVE MODE');
    const lockEnds = Date.now() + lockMs;
    const c = summary(await legit(port, pki, q, () => Date.now() > lockEnds, { keepAlive: true, gapMs: 500 }));
    await locker.query('ROLLBACK');
    const unlockedAt = performance.now();
    let firstPermitMs = NaN;
    for (let i = 0; i < 50; i += 1) {
      const r = await post(port, pki, pki.pilot, false, q.body, q.soapAction);
      if (r.decision === 'Permit') {
        firstPermitMs = performance.now() - unlockedAt;
        break;
      }
    }
    await locker.end();
    rows.push([`C: lease table locked for ${lockMs / 1000} s (deadline 5 s)`, c.n, fmt(c.p50, 0), fmt(c.p99, 0), fmt(c.max, 0), c.decisions, `first Permit ${fmt(firstPermitMs, 0)} ms after the unlock`]);
    notes.push(`Load average at the end \`${loadavg()}\`.`);
  } finally {
    await server?.stop();
    await schema.drop().catch(() => undefined);
    tmp.remove();
  }
  return {
    title: 'overload: greedy clients, connection floods and a locked table, serve --workers 2 at nofile 1,024 (issue 15)',
    table: table(['phase', 'legit requests', 'p50 ms', 'p99 ms', 'max ms', 'answers', 'note'], rows),
    notes: [
      'The legitimate client is the pilot (pilot-voms proxy) asking for alice-voms\'s payload (authz-interop), one request at a time: keep-alive in A and C, a fresh TLS connection per request in B. Limits at their defaults (docs/operations.md, "Overload and limits"); the server runs under `prlimit --nofile=1024:1024`.',
      ...notes,
    ].join('\n\n'),
  };
}

function summarizeStatuses(list) {
  const counts = {};
  for (const s of list) counts[s] = (counts[s] ?? 0) + 1;
  return Object.entries(counts).map(([k, v]) => `${k}×${v}`).join(', ') || 'n/a';
}
