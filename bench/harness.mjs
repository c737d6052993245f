// Shared plumbing for the server-level scenarios (not itself a scenario: it lives outside scenarios/).
// Spawns `gridauthz serve --dev` in a temp cwd against a fresh PostgreSQL schema, reads /proc for CPU and RSS.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
// USER_HZ is 100 on every Linux we run on; getconf confirms it rather than assuming.
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
export const uptime = () => execFileSync('uptime').toString().trim();

export async function freePort() {
  const s = createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}

export function requireFrom(root) {
  const require = createRequire(join(root, 'package.json'));
  return (p) => require(join(root, p));
}

/** A fresh schema; the URL pins search_path to it so every connection (and every process) lands there. */
export async function createSchema(root) {
  const { Client } = requireFrom(root)('node_modules/pg');
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    url: u.toString(),
    async client() {
      const c = new Client({ connectionString: u.toString() });
      await c.connect();
      return c;
    },
    async drop() {
      const c = new Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** utime+stime of one process in ms. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // comm may contain spaces
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
export function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
/** Cluster workers of a gridauthz primary: children whose environment carries GRIDAUTHZ_CLUSTER_WORKER=1 (the
 * supervisor sets it), so a short-lived helper child is never mistaken for a worker. */
export function clusterWorkerPids(pid) {
  return childPids(pid).filter((c) => {
    try {
      return readFileSync(`/proc/${c}/environ`, 'latin1').split('\0').includes('GRIDAUTHZ_CLUSTER_WORKER=1');
    } catch {
      return false;
    }
  });
}
export function childPids(pid) {
  const out = [];
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.push(...readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      /* thread gone */
    }
  }
  return out;
}

/**
 * `serve --dev` in `cwd` (reuses its var/pki if present). workers: undefined → single process (--workers 1).
 * Returns pids = primary plus cluster workers, all of which are charged for CPU.
 */
export async function startServer({ root, cwd, url, workers = 1, nodeArgs = [], env = {}, nofile }) {
  const [pdpPort, managementPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const serveArgs = [...nodeArgs, join(root, 'bin', 'gridauthz.js'), 'serve', '--dev', '--workers', String(workers)];
  // nofile: run under that open-files limit, soft and hard (prlimit execs the server, so the pid stays the server's).
  const [command, args] = nofile ? ['prlimit', [`--nofile=${nofile}:${nofile}`, process.execPath, ...serveArgs]] : [process.execPath, serveArgs];
  const child = spawn(command, args, {
    cwd,
    env: {
      ...process.env,
      DATABASE_URL: url,
      GRIDAUTHZ_PDP_PORT: String(pdpPort),
      GRIDAUTHZ_MANAGEMENT_PORT: String(managementPort),
      GRIDAUTHZ_ADMIN_PORT: String(adminPort),
      GRIDAUTHZ_ADMIN_HOST: '127.0.0.1',
      GRIDAUTHZ_DATA_DIR: join(cwd, 'var', 'db'),
      GRIDAUTHZ_LOG_FORMAT: 'json',
      // warn: an info line per decision would benchmark the logger and the pipe, not the PDP.
      GRIDAUTHZ_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr = (stderr + c.toString()).slice(-4000)));
  // pino logs (warn and above) go to stdout: keep both streams' tail for the report when something dies.
  child.stdout.on('data', (c) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise((ok) => child.once('exit', (code, sig) => ok(code ?? sig)));
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${stderr}`);
    if (await fetch(`http://127.0.0.1:${managementPort}/readyz`).then((r) => r.ok, () => false)) break;
    if (Date.now() - started > 90_000) throw new Error(`server not ready after 90 s: ${stderr}`);
    await sleep(200);
  }
  // With workers > 1, wait until every worker is forked and ready (readyz may answer from the first one).
  if (workers > 1) while (clusterWorkerPids(child.pid).length < workers) await sleep(100);
  return {
    child,
    pdpPort,
    managementPort,
    adminPort,
    pids: () => (workers > 1 ? [child.pid, ...clusterWorkerPids(child.pid)] : [child.pid]),
    workerPids: () => (workers > 1 ? clusterWorkerPids(child.pid) : [child.pid]),
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * A dev site for one scenario: a fresh schema, a temp working directory and `serve --dev` in it (startServer's
 * options), with the dev PKI it wrote. `prepare(dir)`, if given, runs before the server starts: it writes what the
 * server is to read (keys, policy files) into the working directory and returns environment to add. stop() stops the
 * server, drops the schema and removes the directory; a site that fails to start undoes what it did.
 */
export async function startDevSite({ root, prefix, prepare, env = {}, ...serverOptions }) {
  const schema = await createSchema(root);
  const cwd = tempDir(prefix);
  let server;
  try {
    const prepared = prepare ? await prepare(cwd.dir) : {};
    server = await startServer({ root, cwd: cwd.dir, url: schema.url, ...serverOptions, env: { ...env, ...prepared } });
    const pki = devPki(cwd.dir);
    return {
      server,
      schema,
      dir: cwd.dir,
      pki,
      async stop() {
        await server.stop();
        await schema.drop();
        cwd.remove();
      },
    };
  } catch (err) {
    await server?.stop();
    await schema.drop().catch(() => undefined);
    cwd.remove();
    throw err;
  }
}

/** voms-proxy-init file layout (proxy cert, key, chain) → TLS identity, as test/support/fixtures does (the built PEM module). */
export function proxyFileIdentity(text) {
  const pem = requireFrom(join(dirname(fileURLToPath(import.meta.url)), '..'))('dist/libs/credentials');
  const blocks = pem.pemTexts(text);
  const key = blocks.find((b) => pem.isPrivateKeyLabel(b.label));
  return { cert: blocks.filter((b) => pem.isCertificateLabel(b.label)).map((b) => `${b.text}\n`).join(''), key: key && `${key.text}\n` };
}

/** The dev PKI written by `serve --dev` into cwd/var/pki. */
export function devPki(cwd) {
  const dir = join(cwd, 'var', 'pki');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const file = (rel) => join(dir, rel);
  return {
    dir,
    manifest,
    file,
    ca: readFileSync(file(manifest.ca.certFile), 'utf8'),
    pilot: proxyFileIdentity(readFileSync(file(manifest.proxies['pilot-voms'].file), 'utf8')),
    payload: { pem: readFileSync(file(manifest.proxies['alice-voms'].file), 'utf8'), identity: manifest.proxies['alice-voms'].identity },
  };
}

/** One glexec-style query (the pilot asks for alice's payload) in the given dialect. */
export function buildQuery(root, pki, dialect) {
  const req = requireFrom(root);
  const { encodeXacmlQuery } = req('dist/libs/protocols');
  const { Dn } = req('dist/libs/domain');
  return encodeXacmlQuery({
    dialect,
    subjectChainPem: pki.payload.pem,
    subjectDn: Dn.parse(pki.payload.identity),
    pilotJob: { dn: Dn.parse(pki.manifest.users.pilot.subject) },
    hostDn: Dn.parse(pki.manifest.host.subject),
    now: new Date(),
    idGenerator: randomUUID,
  });
}

export function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  return { dir: d, remove: () => rmSync(d, { recursive: true, force: true }) };
}

/**
 * PostgreSQL backend pids serving the given client processes: their TCP connections to :5432 (from `ss`)
 * matched to pg_stat_activity.client_port. The database's CPU is part of a decision's cost on a shared box.
 */
export async function pgBackendPids(root, clientPids) {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', '( dport = :5432 )']).toString();
  const ports = [];
  for (const line of out.split('\n')) {
    const pid = /pid=(\d+)/.exec(line)?.[1];
    const local = line.trim().split(/\s+/)[2] ?? '';
    if (pid && clientPids.includes(Number(pid))) ports.push(Number(local.slice(local.lastIndexOf(':') + 1)));
  }
  if (ports.length === 0) return [];
  const { Client } = requireFrom(root)('node_modules/pg');
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  const { rows } = await c.query(`SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])`, [ports]);
  await c.end();
  return rows.map((r) => r.pid);
}
export const safeCpuMs = (pid) => {
  try {
    return cpuMs(pid);
  } catch {
    return NaN; // backend gone (pool shrank)
  }
};

/** One POST on a fresh mutual-TLS connection as the pilot: { status, body } (probes, warm-ups, sanity checks). */
export async function postAsPilot(port, pki, { path, headers, body }) {
  const { request } = await import('node:https');
  return new Promise((ok, ko) => {
    const r = request({ host: '127.0.0.1', port, method: 'POST', path, agent: false, ca: pki.ca, servername: 'localhost', cert: pki.pilot.cert, key: pki.pilot.key, headers }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => ok({ status: res.statusCode, body: b }));
    });
    r.on('error', ko);
    r.end(body);
  });
}

/** One SAML2-XACML2 query (buildQuery's) as the pilot, answer body as text. */
export async function postOnce(port, pki, q) {
  const answer = await postAsPilot(port, pki, { path: '/', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: q.soapAction }, body: q.body });
  return answer.body;
}

/**
 * A scenario's control (issue 21) in its own process: bench/fastify-xmldom-baseline.mjs, bare Fastify with gridauthz's
 * TLS options in a cluster of `workers`, making the protocol's first parse (`mode`: xml, base64 or json) and
 * answering `answers` ([{query, answer}], the bytes gridauthz answered to each query).
 */
export async function startControl({ root, pkiDir, workers, answers, dir, mode = 'xml' }) {
  const file = join(dir, 'control-answers.json');
  writeFileSync(file, JSON.stringify(answers));
  const script = fileURLToPath(new URL('./fastify-xmldom-baseline.mjs', import.meta.url));
  return startClusterProcess({ name: 'control', workers, args: (port) => [script, root, String(port), String(workers), file, mode], env: { PKI_DIR: pkiDir } });
}

/**
 * A control server of our own in its own Node process (a cluster primary forking `workers` workers that listen on
 * the port `args(port)` gives them), started and stopped alike for every scenario: ready once every worker is forked
 * and the port accepts connections.
 */
export async function startClusterProcess({ name, workers, args, env = {} }) {
  const port = await freePort();
  const child = spawn(process.execPath, args(port), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise((ok) => child.once('exit', ok));
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null || Date.now() - t0 > 15_000) throw new Error(`${name} did not start: ${stderr}`);
    const up = await new Promise((ok) => {
      const c = connect(port, '127.0.0.1', () => (c.destroy(), ok(true)));
      c.on('error', () => ok(false));
    });
    if (up && childPids(child.pid).length >= workers) break;
    await sleep(100);
  }
  await sleep(300); // every worker listening
  return {
    port,
    pids: () => [child.pid, ...childPids(child.pid)],
    async stop() {
      child.kill('SIGTERM');
      for (const p of childPids(child.pid)) process.kill(p, 'SIGTERM');
      await exited;
    },
  };
}

/** CPU (ms) that `pids` spend while `fn` runs; pids that vanish count what they had. */
export async function charged(pids, fn) {
  const before = pids.map(safeCpuMs);
  const r = await fn();
  const ms = pids.map(safeCpuMs).reduce((s, v, i) => s + (Number.isFinite(v) && Number.isFinite(before[i]) ? v - before[i] : 0), 0);
  return { r, ms };
}
