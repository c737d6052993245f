// Two server processes (each `serve --dev --workers 1`) on one PostgreSQL schema. A security officer bans a DN
// through process A's admin API (POST /api/v1/bans, mutual TLS); we time from the 201 answer (the ban is committed)
// to the first Deny for that DN from process B, polled back-to-back over a keep-alive mTLS connection. Then the ban
// is lifted through the API and the time to the first Permit again is taken too. Target: ban visible < 1 s.
// Options: --trials <n> (default 7).
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { buildQuery, createSchema, devPki, requireFrom, sleep, startServer, tempDir, uptime } from '../harness.mjs';
import { fmt, percentile, table } from '../stats.mjs';

const opt = (args, name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

export async function run({ root, args }) {
  const trials = Number(opt(args, 'trials', 7));
  const { decodeXacmlResponse } = requireFrom(root)('dist/libs/protocols');
  const schema = await createSchema(root);
  const cwd = tempDir('gridauthz-bench-ban-');
  // Same cwd: both processes serve the same dev PKI; A migrates and seeds first, then B starts.
  const a = await startServer({ root, cwd: cwd.dir, url: schema.url, workers: 1 });
  const b = await startServer({ root, cwd: cwd.dir, url: schema.url, workers: 1 });
  const sql = await schema.client();
  const loadBefore = uptime();
  try {
    const pki = devPki(cwd.dir);
    const dn = pki.payload.identity; // slash form, as bans store it
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca, cert: pki.pilot.cert, key: pki.pilot.key, servername: 'localhost' });
    const ask = (port) => {
      const q = buildQuery(root, pki, 'authz-interop');
      return new Promise((ok, ko) => {
        const r = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: q.soapAction } }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => {
            const d = decodeXacmlResponse(body, q.expect);
            ok(d.ok ? d.value.decision : `undecodable ${d.error.code}`);
          });
        });
        r.on('error', ko);
        r.end(q.body);
      });
    };
    // Polls until `want`; returns ms from t0 to the answer's arrival and the poll's own round trip (the resolution).
    const until = async (port, want, t0, limitMs = 10_000) => {
      for (;;) {
        const sent = performance.now();
        const got = await ask(port);
        const now = performance.now();
        if (got === want) return { ms: now - t0, rtt: now - sent };
        if (now - t0 > limitMs) throw new Error(`no ${want} after ${limitMs} ms (last answer ${got})`);
      }
    };
    // The first admin is bootstrapped with the documented command (docs/admin-api.md), as a site does; it then acts
    // through the API with its own proxy (the pilot's), like a security officer with a voms-proxy.
    execFileSync(process.execPath, [join(root, 'bin', 'gridauthz.js'), 'admin', 'principal', 'add', '--role', 'security-officer', pki.manifest.users.pilot.subject], { cwd: cwd.dir, env: { ...process.env, DATABASE_URL: schema.url }, stdio: ['ignore', 'ignore', 'pipe'] });
    const adminAgent = new Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca, cert: pki.pilot.cert, key: pki.pilot.key, servername: 'localhost' });
    const admin = (method, path, body) =>
      new Promise((ok, ko) => {
        const payload = JSON.stringify(body);
        const r = request({ host: '127.0.0.1', port: a.adminPort, method, path, agent: adminAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => ok({ status: res.statusCode, body: text ? JSON.parse(text) : undefined }));
        });
        r.on('error', ko);
        r.end(payload);
      });
    for (const port of [a.pdpPort, b.pdpPort]) if ((await ask(port)) !== 'Permit') throw new Error('no Permit before the ban');
    const ban = [];
    const lift = [];
    const rtts = [];
    for (let i = 0; i < trials; i += 1) {
      // A random phase against the 250 ms poll, so the trials sample the whole poll interval.
      await sleep(300 + Math.random() * 250);
      const banned = await admin('POST', '/api/v1/bans', { kind: 'dn', value: dn, reason: 'bench ban-propagation' });
      const t0 = performance.now(); // the API answers 201 once the ban has committed
      if (banned.status !== 201) throw new Error(`POST /bans answered ${banned.status}: ${JSON.stringify(banned.body)}`);
      const r = await until(b.pdpPort, 'Deny', t0);
      ban.push(r.ms);
      rtts.push(r.rtt);
      await sleep(300 + Math.random() * 250);
      const lifted = await admin('POST', `/api/v1/bans/${banned.body.id}/lift`, { reason: 'bench ban-propagation done' });
      const t1 = performance.now();
      if (lifted.status >= 300) throw new Error(`POST /bans/${banned.body.id}/lift answered ${lifted.status}: ${JSON.stringify(lifted.body)}`);
      lift.push((await until(b.pdpPort, 'Permit', t1)).ms);
    }
    agent.destroy();
    adminAgent.destroy();
    const s = (xs) => [...xs].sort((x, y) => x - y);
    const row = (what, xs, target) => [what, String(xs.length), fmt(s(xs)[0], 0), fmt(percentile(s(xs), 50), 0), fmt(s(xs).at(-1), 0), target];
    const maxBan = Math.max(...ban);
    return {
      // Machine-readable figures for bench/compare.mjs.
      figures: {
        'ban → Deny max ms': { value: maxBan, better: 'lower' },
        'ban → Deny median ms': { value: percentile(s(ban), 50), better: 'lower' },
        'lift → Permit median ms': { value: percentile(s(lift), 50), better: 'lower' },
      },
      title: 'ban-propagation: DN ban through the admin API of process A → first Deny from process B (issue 10)',
      table: table(['event', 'trials', 'min ms', 'median ms', 'max ms', 'target'], [
        row('ban → first Deny on process B', ban, `< 1,000 ms: **${maxBan < 1000 ? 'met' : 'missed'}** (max)`),
        row('lift → first Permit on process B', lift, ''),
      ]),
      notes: [
        `Two \`serve --dev --workers 1\` processes on one fresh PostgreSQL schema (same dev PKI). The ban is \`POST /api/v1/bans {kind: 'dn', value: alice's slash DN}\` on process A's admin listener (mutual TLS, the pilot's proxy as a security officer's credential); A commits it and answers 201, the \`ban_generation_tg\` trigger bumps \`config_generation\`, which every process polls every 250 ms. The lift is \`POST /api/v1/bans/{id}/lift\`. Process B is asked back-to-back over one keep-alive mTLS connection (authz-interop, alice-voms payload); a figure is the arrival time of the first Deny after the commit, so it over-states by at most one poll round trip (median ${fmt(percentile(s(rtts), 50), 1)} ms, max ${fmt(Math.max(...rtts), 1)} ms). Trials start at a random phase of the poll.`,
        `Load average before \`${loadBefore}\`, after \`${uptime()}\`.`,
      ].join('\n\n'),
    };
  } finally {
    await sql.end();
    await b.stop();
    await a.stop();
    await schema.drop();
    cwd.remove();
  }
}
