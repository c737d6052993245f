import cluster from 'node:cluster';
import { join, resolve } from 'node:path';
import { Database } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../../migrations';
import { cpuBudget } from '../../server/cluster/cpu-budget';
import { runSupervisor, WORKER_STARTED } from '../../server/cluster/supervisor';
import { EXIT, probeListeners, StartupFailure } from '../../server/startup-failure';
import { AdminAuditRepository, AdminPrincipalRepository } from '@gridauthz/persistence';
import { Dn } from '@gridauthz/domain';
import { limitHeapGrowth } from '../../server/memory/heap-growth';
import type { Command } from 'commander';
import { ensureDevPki, loadDevPkiManifest } from '@gridauthz/dev-pki';
import { checkServeFiles, ConfigError, type Config } from '../../server/config';
import { startServer } from '../../server/bootstrap';
import { devMappingConfig } from '../../server/site/dev-site';
import { createLogger } from '../../server/logging/logger';
import { openTrust } from '../../server/trust';
import { CliError } from '../cli-error';
import { addConfigOption, configFor, type ConfigFlags } from './config-options';

interface ServeFlags extends ConfigFlags {
  dev?: boolean;
  migrate?: boolean;
  workers?: string;
}

/** The checkout (or installed package) root: policies/ ships there. */
const PACKAGE_ROOT = resolve(__dirname, '..', '..', '..', '..');

export function registerServe(program: Command): void {
  addConfigOption(
    program
      .command('serve')
      .description('run the PDP (mutual TLS) and management listeners')
      .option('--dev', 'development mode: a generated PKI in ./var/pki, the embedded database in ./var/db, PDP on 127.0.0.1, migrations applied')
      .option('--migrate', 'apply pending database migrations at start-up')
      .option('--workers <n>', 'worker processes sharing the listeners (default: server.workers, auto = the CPUs this process may use with PostgreSQL, 1 with the embedded database)'),
  ).action(async (flags: ServeFlags) => {
    const varDir = resolve('var');
    const pkiDir = join(varDir, 'pki');
    const config = configFor(
      flags,
      flags.dev
        ? {
            overrideDefaults: {
              'pdp.host': '127.0.0.1',
              'tls.certFile': join(pkiDir, 'hostcert.pem'),
              'tls.keyFile': join(pkiDir, 'hostkey.pem'),
              'trust.caDir': join(pkiDir, 'certificates'),
              'trust.vomsDir': join(pkiDir, 'vomsdir'),
              'database.dataDir': join(varDir, 'db'),
              'policy.dir': join(PACKAGE_ROOT, 'policies'),
            },
          }
        : {},
    );
    const log = createLogger(config);
    limitHeapGrowth();
    const workers = workerCount(flags.workers, config);
    const pki = flags.dev && !cluster.isWorker ? await ensureDevPki({ dir: pkiDir }) : flags.dev ? await loadDevPkiManifest(pkiDir) : undefined;
    try {
      checkServeFiles(config);
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(`invalid configuration: ${err.problems.join('; ')}`, EXIT.config, true);
      throw err;
    }
    if (workers > 1 && cluster.isPrimary) {
      try {
        await probeListeners([
          { listener: 'PDP', key: 'pdp.port', host: config.pdp.host, port: config.pdp.port },
          ...(config.pepd?.enabled ? [{ listener: 'PEPd', key: 'pepd.port', host: config.pepd.host, port: config.pepd.port }] : []),
          { listener: 'management', key: 'management.port', host: config.management.host, port: config.management.port },
          ...(config.admin.enabled ? [{ listener: 'admin API', key: 'admin.port', host: config.admin.host, port: config.admin.port }] : []),
        ]);
      } catch (err) {
        throw startupError(err, log);
      }
      // Migrate once, here, before any worker opens the database.
      if (flags.dev || flags.migrate) {
        let db: Database;
        try {
          db = await Database.open({ url: config.database.url, dataDir: config.database.dataDir, migrations: MIGRATIONS, log });
        } catch (err) {
          throw new CliError(`cannot open the database to migrate it: ${(err as Error).message}`, EXIT.database, true);
        }
        try {
          const applied = await db.migrate();
          if (applied.length > 0) log.info({ applied }, 'migrations applied');
        } finally {
          await db.close();
        }
      }
      const code = await runSupervisor({ workers, log });
      if (code !== 0) process.exit(code);
      process.exitCode = code;
      return;
    }

    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      const trust = await openTrust(config, log);
      server = await startServer({
        config,
        log,
        trust,
        migrate: Boolean(flags.dev || flags.migrate) && !cluster.isWorker,
        ...(pki ? { seedMapping: devMappingConfig({ hostDn: pki.host.subject, pilotDn: pki.users['pilot']?.subject ?? pki.host.subject }) } : {}),
      });
    } catch (err) {
      throw startupError(err, log);
    }
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));

    try {
      await server.ready;
    } catch (err) {
      log.fatal({ err: { message: (err as Error).message } }, 'start-up failed; stopping');
      await server.close().catch(() => undefined);
      throw startupError(err, log);
    }
    if (cluster.isWorker) process.send?.({ type: WORKER_STARTED });
    const officer = pki?.users['officer'];
    if (flags.dev && officer && !cluster.isWorker) await seedDevAdmin(server, officer.subject, log);
    if (flags.dev && !cluster.isWorker) process.stdout.write(devBanner(config, server.pdpUrl, server.managementUrl, server.adminUrl, pkiDir));
  });
}

/** One line and a documented exit code for anything that stops the start-up (README "Exit codes"). */
function startupError(err: unknown, log: import('pino').Logger): CliError {
  if (err instanceof StartupFailure) return new CliError(err.message, err.exitCode, true);
  if (err instanceof ConfigError) return new CliError(`invalid configuration: ${err.problems.join('; ')}`, EXIT.config, true);
  if (err instanceof CliError) return new CliError(err.message, err.exitCode, true);
  log.fatal({ err }, 'unexpected start-up failure');
  return new CliError(`unexpected start-up failure: ${(err as Error).message ?? String(err)} (stack trace in the log)`, EXIT.internal, true);
}

/**
 * The development site's first security officer: the dev PKI's officer certificate, added when the site has no
 * admin principal yet (so a later `admin principal remove` is not undone by a restart of a used site... unless it
 * leaves none). Recorded in admin_audit like any principal change.
 */
async function seedDevAdmin(server: Awaited<ReturnType<typeof startServer>>, subject: string, log: import('pino').Logger): Promise<void> {
  const db = server.database();
  if (!db) return;
  const principals = new AdminPrincipalRepository(db);
  if ((await principals.list()).length > 0) return;
  const dn = Dn.parse(subject).toSlash();
  await principals.put(dn, 'security-officer', 'serve --dev');
  await new AdminAuditRepository(db).record({
    actor: { dn: 'serve --dev', role: 'system', credential: 'direct' },
    action: 'principal.add',
    target: dn,
    after: { dn, role: 'security-officer' },
  });
  log.info({ dn, role: 'security-officer' }, 'seeded the development admin principal');
}

/**
 * --workers, else server.workers. auto: the CPUs this process may use (cgroup quota included) with PostgreSQL; one
 * with the embedded database (one process only).
 */
function workerCount(flag: string | undefined, config: Config): number {
  if (flag === undefined) {
    const configured = config.server.workers;
    if (configured === 'auto') return config.database.url ? cpuBudget() : 1;
    if (configured > 1 && !config.database.url) {
      throw new CliError('server.workers above 1 needs PostgreSQL (set DATABASE_URL): the embedded database serves one process', 78);
    }
    return configured;
  }
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new CliError(`--workers: expected a whole number 1-256, got "${flag}"`, 2);
  if (n > 1 && !config.database.url) {
    throw new CliError('--workers above 1 needs PostgreSQL (set DATABASE_URL): the embedded database serves one process', 78);
  }
  return n;
}

function devBanner(config: Config, pdpUrl: string, managementUrl: string, adminUrl: string | undefined, pkiDir: string): string {
  const rel = (p: string): string => (p.startsWith(`${process.cwd()}/`) ? p.slice(process.cwd().length + 1) : p);
  const user = join(pkiDir, 'users', 'alice');
  const officer = join(pkiDir, 'users', 'officer');
  const adminLines = adminUrl
    ? [
        `  admin API   ${adminUrl}   (mutual TLS; the dev officer ${rel(officer)}/usercert.pem is a security-officer)`,
        '',
        'Act as the development security officer, e.g. list the pools:',
        `  gridauthz pool list --url ${adminUrl} --capath ${rel(config.trust.caDir)} --cert ${rel(join(officer, 'usercert.pem'))} --key ${rel(join(officer, 'userkey.pem'))}`,
      ]
    : [];
  return [
    '',
    `gridauthz (development mode) is serving:`,
    `  PDP         ${pdpUrl}   (mutual TLS; CA directory ${rel(config.trust.caDir)})`,
    `  management  ${managementUrl}/healthz  ${managementUrl}/readyz`,
    ...adminLines,
    '',
    'Reach the PDP as the development user alice:',
    `  curl --capath ${rel(config.trust.caDir)} --cert ${rel(join(user, 'usercert.pem'))} --key ${rel(join(user, 'userkey.pem'))} ${pdpUrl}/status`,
    '',
  ].join('\n');
}
