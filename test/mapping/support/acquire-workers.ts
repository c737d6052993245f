import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export type AcquireOutcome = { key: string; username: string; created: boolean } | { key: string; error: string };

const WORKER = join(__dirname, '..', 'lease-acquire-worker.ts');
const REGISTER = join(__dirname, 'swc-register.cjs');

/**
 * Starts one worker process per key list against the same PostgreSQL schema, releases them together once all
 * are connected, and returns every worker's outcomes.
 */
export async function acquireInProcesses(url: string, poolId: string, keyLists: readonly (readonly string[])[], now: Date): Promise<AcquireOutcome[][]> {
  const children = keyLists.map((keys) =>
    spawn(process.execPath, ['-r', REGISTER, WORKER, JSON.stringify({ url, poolId, keys, now: now.toISOString() })], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  try {
    const outputs = children.map((child) => collect(child));
    await Promise.all(outputs.map((o) => o.ready));
    // Ending stdin also lets each worker exit once done (an open pipe would keep its event loop alive).
    for (const child of children) child.stdin?.end('go\n');
    return await Promise.all(outputs.map((o) => o.result));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

function collect(child: ChildProcess): { ready: Promise<void>; result: Promise<AcquireOutcome[]> } {
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) onReady();
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<AcquireOutcome[]>((resolve, reject) => {
    // 'close', not 'exit': stdout is fully read by then.
    child.once('close', (code) => {
      const line = stdout.split('\n')[1];
      if (code !== 0 || !line) reject(new Error(`acquire worker exited with ${code}: ${stderr || stdout}`));
      else resolve(JSON.parse(line) as AcquireOutcome[]);
    });
  });
  // A worker that dies before "ready" must fail the test, not leave it waiting.
  return { ready: Promise.race([ready, result.then(() => undefined)]), result };
}
