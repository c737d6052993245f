import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isCertificateLabel, isPrivateKeyLabel, pemTexts } from '@gridauthz/credentials';
import { Dn } from '@gridauthz/domain';
import { ADMIN_ROLES, AdminPrincipalRepository, type AdminRole, audited, localActor } from '@gridauthz/persistence';
import { CliError } from '../cli-error';
import { addConfigOption, configFor, type ConfigFlags } from './config-options';
import { openDatabase } from './open-database';

/** Flags every admin API command takes. */
export interface AdminApiFlags {
  url: string;
  cert?: string;
  key?: string;
  proxy?: string;
  capath?: string;
  token?: string;
  json?: boolean;
}

/** Adds the connection and output options of the admin API client to a command. */
export function withAdminApi(command: Command): Command {
  return command
    .option('--url <url>', 'admin API base URL (default $GRIDAUTHZ_ADMIN_URL, else https://localhost:8444)', process.env.GRIDAUTHZ_ADMIN_URL ?? 'https://localhost:8444')
    .option('--cert <file>', 'client certificate (PEM; default $X509_USER_CERT)')
    .option('--key <file>', 'private key of --cert (PEM; default $X509_USER_KEY)')
    .option('--proxy <file>', 'proxy file (certificate, key, chain); default $X509_USER_PROXY, else /tmp/x509up_u<uid>')
    .option('--capath <dir>', 'CA directory to verify the server (default $X509_CERT_DIR, else /etc/grid-security/certificates)')
    .option('--token <token>', 'bearer token instead of a certificate (default $GRIDAUTHZ_TOKEN)')
    .option('--json', 'print the JSON answer instead of a table');
}

interface ClientCredentials {
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 1);
  }
}

/** Token first (automation), then an explicit certificate, then a proxy (voms-proxy-init's file). */
function credentials(flags: AdminApiFlags): ClientCredentials {
  const token = flags.token ?? process.env.GRIDAUTHZ_TOKEN;
  if (token !== undefined && token !== '') return { token };
  const certFile = flags.cert ?? (flags.proxy === undefined ? process.env.X509_USER_CERT : undefined);
  const keyFile = flags.key ?? (flags.proxy === undefined ? process.env.X509_USER_KEY : undefined);
  if (certFile !== undefined) {
    return { cert: read(certFile, 'certificate'), key: read(keyFile ?? certFile, 'key') };
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const proxyFile = flags.proxy ?? process.env.X509_USER_PROXY ?? (uid !== undefined && existsSync(`/tmp/x509up_u${uid}`) ? `/tmp/x509up_u${uid}` : undefined);
  if (proxyFile === undefined) throw new CliError('no credentials: give --token (or GRIDAUTHZ_TOKEN), --cert and --key, or --proxy', 2);
  const blocks = pemTexts(read(proxyFile, 'proxy'));
  const key = blocks.find((b) => isPrivateKeyLabel(b.label));
  const certs = blocks.filter((b) => isCertificateLabel(b.label));
  if (!key || certs.length === 0) throw new CliError(`${proxyFile} is not a proxy file (certificate and key)`, 2);
  return { cert: `${certs.map((b) => b.text).join('\n')}\n`, key: `${key.text}\n` };
}

/** The CA certificates of an IGTF-style directory (or one PEM file). */
function caCertificates(flags: AdminApiFlags): string[] {
  const path = flags.capath ?? process.env.X509_CERT_DIR ?? '/etc/grid-security/certificates';
  if (!existsSync(path)) throw new CliError(`CA path ${path} does not exist (use --capath)`, 2);
  if (statSync(path).isFile()) return [read(path, 'CA file')];
  return readdirSync(path)
    .filter((name) => /\.(0|pem)$/.test(name))
    .map((name) => readFileSync(join(path, name), 'utf8'));
}

export interface AdminAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * One admin API call. Problems (4xx/5xx problem+json) become a CliError naming the stable code; exit 1 for a
 * refusal, 69 when the server cannot be reached.
 */
export async function callAdmin(flags: AdminApiFlags, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const creds = credentials(flags);
  const base = flags.url.replace(/\/+$/, '');
  const url = new URL(`${base}/api/v1${path}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const answer = await new Promise<AdminAnswer>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: caCertificates(flags),
        ...(creds.cert !== undefined ? { cert: creds.cert, key: creds.key } : {}),
        headers: {
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(creds.token !== undefined ? { authorization: `Bearer ${creds.token}` } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
          } catch {
            reject(new CliError(`${method} ${url.pathname}: HTTP ${res.statusCode ?? '?'} with a body that is not JSON`, 1));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', (err) => reject(new CliError(`cannot reach ${base}: ${err.message}`, 69)));
    req.end(payload);
  });
  if (answer.status >= 400) {
    const code = typeof answer.body['code'] === 'string' ? answer.body['code'] : `HTTP_${answer.status}`;
    const detail = typeof answer.body['detail'] === 'string' ? answer.body['detail'] : '';
    throw new CliError(`${code} (HTTP ${answer.status}): ${detail}`, 1);
  }
  return answer.body;
}

/** A table of the given columns, or the JSON answer with --json. */
export function output(flags: { json?: boolean }, answer: unknown, rows: readonly Record<string, unknown>[], columns: readonly string[]): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (v: unknown): string => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (values: readonly string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ');
  process.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n${cells.map(line).join('\n')}\n`);
}

/** Prints one object as `key: value` lines, or JSON. */
export function outputRecord(flags: { json?: boolean }, answer: Record<string, unknown>): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return;
  }
  for (const [k, v] of Object.entries(answer)) process.stdout.write(`${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
}

/** Prints the mapping configuration warnings of an admin answer to stderr (the answer itself goes to stdout). */
export function printWarnings(answer: Record<string, unknown>): void {
  const warnings = answer['warnings'];
  if (Array.isArray(warnings)) for (const w of warnings) process.stderr.write(`warning: ${String(w)}\n`);
}

/** Query string of the defined values. */
export function query(values: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('admin principals (direct database) and API tokens');
  const principal = admin.command('principal').description('who may use the admin API (direct database: bootstraps the first admin)');

  addConfigOption(
    principal
      .command('add')
      .description('add an admin principal, or change its role')
      .argument('<dn>', 'certificate subject DN (slash or RFC 2253 form)')
      .requiredOption('--role <role>', `one of ${ADMIN_ROLES.join(', ')}`),
  ).action(async (dnText: string, flags: ConfigFlags & { role: string }) => {
    if (!(ADMIN_ROLES as readonly string[]).includes(flags.role)) throw new CliError(`--role must be one of ${ADMIN_ROLES.join(', ')}`, 2);
    let dn: string;
    try {
      dn = Dn.parse(dnText).toSlash();
    } catch (err) {
      throw new CliError(`"${dnText}" is not a DN: ${(err as Error).message}`, 2);
    }
    const { db, target } = await openDatabase(configFor(flags));
    try {
      const actor = localActor();
      const { before, after } = await audited(db, { actor }, async (tx) => {
        const change = await new AdminPrincipalRepository(tx.manager).put(dn, flags.role as AdminRole, `cli:${userInfo().username}`);
        await tx.record({ action: change.before ? 'principal.update' : 'principal.add', target: dn, ...(change.before ? { before: change.before } : {}), after: change.after });
        return change;
      });
      process.stdout.write(before ? `${dn}: role ${before.role} → ${after.role} on ${target}\n` : `${dn} added as ${after.role} on ${target}\n`);
    } finally {
      await db.close();
    }
  });

  addConfigOption(principal.command('list').description('list admin principals').option('--json', 'JSON output')).action(async (flags: ConfigFlags & { json?: boolean }) => {
    const { db } = await openDatabase(configFor(flags));
    try {
      const list = await new AdminPrincipalRepository(db).list();
      output(flags, list, list.map((p) => ({ dn: p.dn, role: p.role, created: p.createdAt.toISOString(), by: p.createdBy })), ['dn', 'role', 'created', 'by']);
    } finally {
      await db.close();
    }
  });

  addConfigOption(principal.command('remove').description('remove an admin principal (its tokens go with it)').argument('<dn>', 'certificate subject DN')).action(
    async (dnText: string, flags: ConfigFlags) => {
      const { db } = await openDatabase(configFor(flags));
      try {
        const removed = await audited(db, { actor: localActor() }, async (tx) => {
          const gone = await new AdminPrincipalRepository(tx.manager).remove(Dn.parse(dnText));
          if (!gone) throw new CliError(`${dnText} is not an admin principal`, 1);
          await tx.record({ action: 'principal.remove', target: gone.dn, before: gone });
          return gone;
        });
        process.stdout.write(`${removed.dn} removed\n`);
      } finally {
        await db.close();
      }
    },
  );

  const token = admin.command('token').description('bearer tokens for automation (issued through the API with your certificate)');
  withAdminApi(
    token
      .command('issue')
      .description('issue a token acting in your role; it is printed once and stored only as its SHA-256')
      .option('--label <text>', 'what the token is for', '')
      .option('--ttl <seconds>', 'lifetime in seconds (60 .. 31536000)', '2592000'),
  ).action(async (flags: AdminApiFlags & { label: string; ttl: string }) => {
    const answer = await callAdmin(flags, 'POST', '/tokens', { label: flags.label, ttlSeconds: Number(flags.ttl) });
    if (flags.json) outputRecord(flags, answer);
    else process.stdout.write(`${String(answer['token'])}\n# token ${String(answer['id'])}, role ${String(answer['role'])}, expires ${String(answer['expiresAt'])}\n`);
  });
  withAdminApi(token.command('list').description('your tokens')).action(async (flags: AdminApiFlags) => {
    const answer = await callAdmin(flags, 'GET', '/tokens');
    output(flags, answer, answer['tokens'] as Record<string, unknown>[], ['id', 'label', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt']);
  });
  withAdminApi(token.command('revoke').description('revoke one of your tokens').argument('<id>', 'token id')).action(async (id: string, flags: AdminApiFlags) => {
    outputRecord(flags, await callAdmin(flags, 'DELETE', `/tokens/${encodeURIComponent(id)}`));
  });
  withAdminApi(admin.command('whoami').description('who the admin API thinks you are')).action(async (flags: AdminApiFlags) => {
    outputRecord(flags, await callAdmin(flags, 'GET', '/whoami'));
  });
}
