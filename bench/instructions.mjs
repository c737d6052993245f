// Instructions per keep-alive ce decision (authz-interop, grid-wn, emi rotating) of a `serve --workers 1` server run
// under valgrind's callgrind, counted only while a fixed number of decisions is made after a warm-up: a figure that,
// unlike CPU time, does not move with what else the two cores are doing (BENCHMARKS.md, "Issue 18"). The server's
// PostgreSQL backends are not counted. Needs valgrind (Debian package). About 100 s per run.
// Usage: node bench/instructions.mjs <root of a built tree> [warm-up decisions, 2000] [counted decisions, 3000]
//   e.g. alternate `node bench/instructions.mjs .` and `node bench/instructions.mjs /tmp/gridauthz-compare-<sha>`.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
const [root, warmN, amountN] = [resolve(process.argv[2] ?? '.'), Number(process.argv[3] ?? 2000), Number(process.argv[4] ?? 3000)];
const h = await import(new URL('./harness.mjs', import.meta.url).href);
const autocannon = h.requireFrom(root)('node_modules/autocannon');
const schema = await h.createSchema(root);
const cwd = h.tempDir('cg-');
const [pdp, mgmt, admin] = [await h.freePort(), await h.freePort(), await h.freePort()];
const out = join(cwd.dir, 'callgrind.out');
const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath, join(root, 'bin', 'gridauthz.js'), 'serve', '--dev', '--workers', '1'], {
  cwd: cwd.dir, stdio: ['ignore', 'ignore', 'pipe'],
  env: { ...process.env, DATABASE_URL: schema.url, GRIDAUTHZ_PDP_PORT: String(pdp), GRIDAUTHZ_MANAGEMENT_PORT: String(mgmt), GRIDAUTHZ_ADMIN_PORT: String(admin), GRIDAUTHZ_ADMIN_HOST: '127.0.0.1', GRIDAUTHZ_DATA_DIR: join(cwd.dir, 'var', 'db'), GRIDAUTHZ_LOG_FORMAT: 'json', GRIDAUTHZ_LOG_LEVEL: 'warn' },
});
let err = ''; child.stderr.on('data', (c) => (err = (err + c).slice(-3000)));
try {
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(err);
    if (await fetch(`http://127.0.0.1:${mgmt}/readyz`).then((r) => r.ok, () => false)) break;
    if (Date.now() - t0 > 600_000) throw new Error('not ready');
    await h.sleep(1000);
  }
  const pki = h.devPki(cwd.dir);
  const qs = ['authz-interop', 'grid-wn', 'emi'].map((d) => h.buildQuery(root, pki, d));
  const requests = qs.map((q) => ({ method: 'POST', path: '/', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: q.soapAction }, body: q.body }));
  const base = { url: `https://127.0.0.1:${pdp}`, connections: 8, requests, timeout: 120, tlsOptions: { ca: pki.ca, cert: pki.pilot.cert, key: pki.pilot.key, servername: 'localhost' } };
  const w = await autocannon({ ...base, amount: warmN });
  execFileSync('callgrind_control', ['-i', 'on', String(child.pid)]);
  const r = await autocannon({ ...base, amount: amountN });
  execFileSync('callgrind_control', ['-i', 'off', String(child.pid)]);
  execFileSync('callgrind_control', ['-d', String(child.pid)]);
  await h.sleep(2000);
  const files = readdirSync(cwd.dir).filter((f) => f.startsWith('callgrind.out'));
  let total = 0;
  for (const f of files) { const txt = readFileSync(join(cwd.dir, f), 'utf8'); const m = txt.match(/^totals:\s+(\d+)/m); if (m) total += Number(m[1]); }
  if (r.non2xx > 0 || r['2xx'] !== amountN) throw new Error(`${r.non2xx} non-2xx answers of ${amountN}`);
  console.log(JSON.stringify({ root, warmUp: w['2xx'], counted: r['2xx'], instructionsPerDecision: Math.round(total / r['2xx']), seconds: Math.round((Date.now() - t0) / 1000) }));
} finally { child.kill('SIGTERM'); await new Promise((ok) => child.once('exit', ok)); await schema.drop(); cwd.remove(); }
