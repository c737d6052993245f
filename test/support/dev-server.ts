import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { freePorts } from './free-ports';

// `gridauthz serve --dev` as `npm start` runs it on a fresh clone: the built CLI as a child, free ports, the embedded database.

const CLI = join(resolve(__dirname, '..', '..'), 'bin', 'gridauthz.js');

export interface DevServer {
  readonly child: ChildProcess;
  readonly ports: { readonly pdp: number; readonly management: number; readonly admin: number };
  /** The environment it runs with (its ports set, DATABASE_URL and GRIDAUTHZ_CONFIG removed), for CLI commands beside it. */
  readonly env: NodeJS.ProcessEnv;
  /** Date.now() just before the spawn. */
  readonly startedAt: number;
  /** What it has printed so far: stdout, stderr, and both interleaved as they arrived. */
  readonly output: { stdout: string; stderr: string; all: string };
}

/** Spawns `gridauthz serve --dev` in `cwd` with JSON logs and `extraEnv`; does not wait for it (each test waits for what it checks). */
export async function spawnDevServer(cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<DevServer> {
  // All three listeners, the admin one too: a default port would collide with any other server on this machine.
  const [pdp, management, admin] = (await freePorts(3)) as [number, number, number];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GRIDAUTHZ_PDP_PORT: String(pdp),
    GRIDAUTHZ_MANAGEMENT_PORT: String(management),
    GRIDAUTHZ_ADMIN_PORT: String(admin),
    GRIDAUTHZ_LOG_FORMAT: 'json',
    ...extraEnv,
  };
  // The embedded database, as on a fresh clone, even when the suite runs on PostgreSQL.
  delete env.DATABASE_URL;
  delete env.GRIDAUTHZ_CONFIG;
  const output = { stdout: '', stderr: '', all: '' };
  const startedAt = Date.now();
  const child = spawn(process.execPath, [CLI, 'serve', '--dev'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => {
    output.stdout += c.toString();
    output.all += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output.stderr += c.toString();
    output.all += c.toString();
  });
  return { child, ports: { pdp, management, admin }, env, startedAt, output };
}

/** SIGTERM to a dev server still running, resolved once it has exited. */
export async function stopDevServer(dev: DevServer | undefined): Promise<void> {
  const child = dev?.child;
  if (child && child.exitCode === null) {
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    await exited;
  }
}
