// Full-handshake load generator: every request opens a NEW TLS connection (no session resumption, no
// keep-alive), presents the client certificate chain, sends one HTTP/1.1 POST with Connection: close and reads
// the answer to EOF. `concurrency` loops are spread over `threads` worker_threads (one thread per loop group) so
// the generator's own handshake cost can use more than one core when needed.
import { connect } from 'node:tls';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

/** Runs the load; returns { ok, errors, firstError, latenciesMs (sorted), elapsedMs, cpuMs (this process, all threads) }. */
export async function fullHandshakeLoad({ host = '127.0.0.1', port, ca, cert, key, body, path = '/', headers = {}, concurrency, threads = 1, durationMs, expect }) {
  const perThread = Array.from({ length: threads }, (_, i) => Math.floor(concurrency / threads) + (i < concurrency % threads ? 1 : 0));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const results = await Promise.all(
    perThread.map(
      (loops) =>
        new Promise((ok, ko) => {
          const w = new Worker(fileURLToPath(import.meta.url), { workerData: { host, port, ca, cert, key, body, path, headers, loops, durationMs, expect } });
          w.once('message', ok);
          w.once('error', ko);
        }),
    ),
  );
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const lat = new Float64Array(results.reduce((n, r) => n + r.latencies.length, 0));
  let o = 0;
  for (const r of results) {
    lat.set(r.latencies, o);
    o += r.latencies.length;
  }
  lat.sort();
  return {
    ok: results.reduce((n, r) => n + r.ok, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
    latenciesMs: lat,
    elapsedMs: results.reduce((m, r) => Math.max(m, r.elapsedMs), 0) || elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

function one({ host, port, ca, cert, key, request, expect }) {
  return new Promise((resolve) => {
    const chunks = [];
    const s = connect({ host, port, ca, cert, key, servername: 'localhost' }, () => s.write(request));
    s.on('data', (c) => chunks.push(c));
    s.on('error', (e) => resolve(e.code ?? e.message));
    s.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      if (!text.startsWith('HTTP/1.1 200')) resolve(`status ${text.slice(9, 12)}`);
      // Connection: close — the server ends the stream after its answer (no half-close from us: TLS has none).
      // A substring, not a full XML decode: the generator's CPU must go to handshakes (a full decode of the
      // first answer is done by the scenario before the run).
      else if (expect && !text.includes(expect)) resolve(`answer lacks ${expect}`);
      else resolve(null);
    });
  });
}

if (!isMainThread) {
  const { host, port, ca, cert, key, body, path, headers, loops, durationMs, expect } = workerData;
  const head = [`POST ${path} HTTP/1.1`, `Host: localhost:${port}`, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  const request = Buffer.concat([Buffer.from(head), Buffer.from(body)]);
  const latencies = [];
  let ok = 0;
  let errors = 0;
  let firstError;
  const t0 = performance.now();
  const end = t0 + durationMs;
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const err = await one({ host, port, ca, cert, key, request, expect });
      if (err) {
        errors += 1;
        firstError ??= err;
      } else {
        ok += 1;
        latencies.push(performance.now() - t);
      }
    }
  };
  await Promise.all(Array.from({ length: loops }, loop));
  parentPort.postMessage({ ok, errors, firstError, latencies: Float64Array.from(latencies), elapsedMs: performance.now() - t0 });
}
