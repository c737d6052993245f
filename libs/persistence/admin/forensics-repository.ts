import { isIP } from 'node:net';
import { hostOfDn, normalHost } from '@gridauthz/decision';
import { Dn } from '@gridauthz/domain';
import type { Database } from '../database/database';
import { toDate } from '../mapping/sql-scope';

export interface DecisionRecordFilter {
  /** Subject DN, matched structurally (Dn.canonicalKey); records older than the provenance migration by slash form. */
  readonly subjectDn?: Dn;
  /** One of the subject's FQANs (long form). */
  readonly fqan?: string;
  readonly uid?: number;
  readonly username?: string;
  /** A host name, a host or caller certificate DN, or a source address (see HostQuery). */
  readonly host?: HostQuery;
  /** The TLS caller's DN, matched structurally. */
  readonly callerDn?: Dn;
  readonly decision?: 'Permit' | 'Deny' | 'NotApplicable' | 'Indeterminate';
  readonly from?: Date;
  readonly to?: Date;
  readonly limit?: number;
  /** Opaque cursor from a previous page's nextCursor: records after it in the same order. */
  readonly cursor?: string;
}

/**
 * What `--host` may name (docs/forensics.md): an IP address (the source address of the TCP connection), a DN (a host
 * or caller certificate: matched by structure, and by the host name in its CN), or a host name (the host the client
 * named, or the host in the caller's own certificate).
 */
export type HostQuery =
  | { readonly kind: 'address'; readonly address: string }
  | { readonly kind: 'dn'; readonly dn: Dn; readonly name: string | undefined }
  | { readonly kind: 'name'; readonly name: string };

/** Reads `--host`: an IP literal, a DN (slash or RFC 2253 form), or a host name; throws on an unparsable DN. */
export function parseHostQuery(text: string): HostQuery {
  const trimmed = text.trim();
  const bare = trimmed.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) return { kind: 'address', address: normalAddress(bare) };
  if (trimmed.startsWith('/') || trimmed.includes('=')) {
    const dn = Dn.parse(trimmed);
    return { kind: 'dn', dn, name: hostOfDn(dn) };
  }
  return { kind: 'name', name: normalHost(trimmed) };
}

/** Source addresses as recorded: IPv4-mapped IPv6 as IPv4, IPv6 lower case. */
export function normalAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

/** SQL condition for a host query; appends its parameters to `params`. */
function hostCondition(host: HostQuery, params: unknown[]): string {
  const p = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  switch (host.kind) {
    case 'address':
      return `source_address = ${p(host.address)}`;
    case 'dn': {
      const key = p(host.dn.canonicalKey());
      const byKey = `caller_dn_key = ${key} OR host_dn_key = ${key}`;
      if (host.name === undefined) return `(${byKey})`;
      const name = p(host.name);
      return `(${byKey} OR host = ${name} OR caller_host = ${name})`;
    }
    case 'name': {
      const name = p(host.name);
      return `(host = ${name} OR caller_host = ${name})`;
    }
  }
}

export interface DecisionRecordView {
  readonly id: string;
  readonly decidedAt: Date;
  readonly dialect: string;
  readonly callerDn: string;
  readonly callerSerial: string | null;
  readonly callerIssuer: string | null;
  readonly callerHost: string | null;
  readonly sourceAddress: string | null;
  readonly sourcePort: number | null;
  readonly host: string | null;
  readonly hostDn: string | null;
  readonly pepIssuer: string | null;
  readonly subjectDn: string | null;
  /** The subject's token identity, when its credential was a bearer token (docs/mapping-tokens.md). */
  readonly tokenIssuer: string | null;
  readonly tokenSubject: string | null;
  readonly fqans: readonly string[];
  readonly resource: string | null;
  readonly action: string | null;
  readonly decision: string;
  readonly status: string;
  readonly username: string | null;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly gids: readonly number[];
  readonly reasons: unknown;
}

export interface DecisionPage {
  readonly records: DecisionRecordView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface LeaseHistoryEntry {
  readonly pool: string;
  readonly username: string;
  readonly uid: number;
  readonly subjectKey: string;
  readonly subjectDn: string | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly releasedAt: Date | null;
  readonly releasedBy: string | null;
  readonly releaseReason: string | null;
}

export interface WhoRanAnswer {
  /** The subject of the nearest Permit record, the best answer to "who". */
  readonly dn: string | null;
  /** Its token identity, when that record's credential was a bearer token. */
  readonly token: { readonly issuer: string; readonly subject: string } | null;
  readonly fqans: readonly string[];
  readonly username: string | null;
  /** The candidates: Permit records for the account (on the host, when one is given) inside the window, nearest to `at` first. */
  readonly records: readonly DecisionRecordView[];
  /** Every lease the account ever had (released ones included), newest first. */
  readonly leases: readonly LeaseHistoryEntry[];
  /** Leases whose lifetime covers `at` (created before it, released after it or not at all). */
  readonly leasesAtTime: readonly LeaseHistoryEntry[];
}

interface DecisionRow {
  id: string;
  decided_at: Date;
  cursor_at: string;
  dialect: string;
  caller_dn: string;
  caller_serial: string | null;
  caller_issuer: string | null;
  caller_host: string | null;
  source_address: string | null;
  source_port: number | null;
  host: string | null;
  host_dn: string | null;
  pep_issuer: string | null;
  subject_dn: string | null;
  token_issuer: string | null;
  token_subject: string | null;
  fqans: string[];
  resource: string | null;
  action: string | null;
  decision: string;
  status: string;
  username: string | null;
  uid: number | null;
  gid: number | null;
  gids: number[];
  reasons: unknown;
}

/** A lease history row as both the forensic and the admin lease queries select it (LEASE_HISTORY_COLUMNS). */
export interface LeaseRow {
  pool: string;
  username: string;
  uid: number;
  subject_key: string;
  subject_dn: string | null;
  created_at: Date;
  last_used_at: Date;
  released_at: Date | null;
  released_by: string | null;
  release_reason: string | null;
}

const toRecord = (r: DecisionRow): DecisionRecordView => ({
  id: r.id,
  decidedAt: toDate(r.decided_at, 'decided_at'),
  dialect: r.dialect,
  callerDn: r.caller_dn,
  callerSerial: r.caller_serial,
  callerIssuer: r.caller_issuer,
  callerHost: r.caller_host,
  sourceAddress: r.source_address,
  sourcePort: r.source_port,
  host: r.host,
  hostDn: r.host_dn,
  pepIssuer: r.pep_issuer,
  subjectDn: r.subject_dn,
  tokenIssuer: r.token_issuer,
  tokenSubject: r.token_subject,
  fqans: r.fqans,
  resource: r.resource,
  action: r.action,
  decision: r.decision,
  status: r.status,
  username: r.username,
  uid: r.uid,
  gid: r.gid,
  gids: r.gids,
  reasons: r.reasons,
});

/** The columns of LeaseRow, over lease l joined with pool_account a and pool p. */
export const LEASE_HISTORY_COLUMNS = `p.name AS pool, a.username, a.uid, l.subject_key, l.subject_dn, l.created_at, l.last_used_at, l.released_at, l.released_by, l.release_reason`;

export const toLease = (r: LeaseRow): LeaseHistoryEntry => ({
  pool: r.pool,
  username: r.username,
  uid: r.uid,
  subjectKey: r.subject_key,
  subjectDn: r.subject_dn,
  createdAt: toDate(r.created_at, 'created_at'),
  lastUsedAt: toDate(r.last_used_at, 'last_used_at'),
  releasedAt: r.released_at,
  releasedBy: r.released_by,
  releaseReason: r.release_reason,
});

const DECISION_COLUMNS = `id, decided_at, decided_at::text AS cursor_at, dialect, caller_dn, caller_serial, caller_issuer, caller_host,
  source_address, source_port, host, host_dn, pep_issuer, subject_dn, token_issuer, token_subject, fqans, resource, action, decision, status, username, uid, gid,
  gids, reasons`;

/** Thrown for a cursor this service did not make. */
export class BadCursorError extends Error {}

/** The cursor names the last record of a page: its time (exact, as PostgreSQL printed it) and id. */
function encodeCursor(row: DecisionRow): string {
  return Buffer.from(JSON.stringify([row.cursor_at, row.id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)?$/.test(value[0]) &&
      typeof value[1] === 'string' &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value[1])
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // fall through
  }
  throw new BadCursorError('not a cursor of this listing (pass nextCursor from a previous page unchanged)');
}

/** Read-only questions over decision_record and lease history (the indexes of both migrations serve them). */
export class ForensicsRepository {
  constructor(private readonly db: Database) {}

  /** One page of records, newest first; `nextCursor` continues after its last record. */
  async decisions(filter: DecisionRecordFilter): Promise<DecisionPage> {
    const params: unknown[] = [];
    const p = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (filter.subjectDn) {
      // Records written before the provenance migration have no key: those are found by their slash form.
      where.push(`(subject_dn_key = ${p(filter.subjectDn.canonicalKey())} OR (subject_dn_key IS NULL AND subject_dn = ${p(filter.subjectDn.toSlash())}))`);
    }
    if (filter.fqan !== undefined) where.push(`${p(filter.fqan)} = ANY(fqans)`);
    if (filter.uid !== undefined) where.push(`uid = ${p(filter.uid)}`);
    if (filter.username !== undefined) where.push(`username = ${p(filter.username)}`);
    if (filter.host) where.push(hostCondition(filter.host, params));
    if (filter.callerDn) where.push(`caller_dn_key = ${p(filter.callerDn.canonicalKey())}`);
    if (filter.decision !== undefined) where.push(`decision = ${p(filter.decision)}`);
    if (filter.from) where.push(`decided_at >= ${p(filter.from)}`);
    if (filter.to) where.push(`decided_at <= ${p(filter.to)}`);
    if (filter.cursor !== undefined) {
      const [at, id] = decodeCursor(filter.cursor);
      where.push(`(decided_at, id) < (${p(at)}::timestamptz, ${p(id)}::uuid)`);
    }
    const limit = filter.limit ?? 100;
    const rows = await this.db.dataSource.query<DecisionRow[]>(
      `SELECT ${DECISION_COLUMNS} FROM decision_record
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY decided_at DESC, id DESC
       LIMIT ${p(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { records: page.map(toRecord), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  /** Every lease (released ones included) of the account with this uid, or of this username; newest first. */
  async leaseHistory(account: { uid?: number; username?: string }): Promise<LeaseHistoryEntry[]> {
    const rows = await this.db.dataSource.query<LeaseRow[]>(
      `SELECT ${LEASE_HISTORY_COLUMNS}
       FROM lease l JOIN pool_account a ON a.id = l.account_id JOIN pool p ON p.id = l.pool_id
       WHERE ($1::integer IS NULL OR a.uid = $1) AND ($2::text IS NULL OR a.username = $2)
       ORDER BY l.created_at DESC, l.id DESC`,
      [account.uid ?? null, account.username ?? null],
    );
    return rows.map(toLease);
  }

  /**
   * "Who ran as uid X (or account N) at time T, on host Y if given?" Permit records for that account within ±window
   * of T, nearest first, on every host unless one is named; the nearest one names the DN. The account's lease history
   * corroborates it (a lease covering T).
   */
  async whoRan(question: { uid?: number; username?: string; host?: HostQuery; at: Date; windowSeconds: number; limit?: number }): Promise<WhoRanAnswer> {
    if (question.uid === undefined && question.username === undefined) throw new Error('whoRan needs a uid or a username');
    const from = new Date(question.at.getTime() - question.windowSeconds * 1000);
    const to = new Date(question.at.getTime() + question.windowSeconds * 1000);
    const params: unknown[] = [from, to, question.at];
    const where = [`decision = 'Permit'`, `decided_at BETWEEN $1 AND $2`];
    if (question.uid !== undefined) {
      params.push(question.uid);
      where.push(`uid = $${params.length}`);
    }
    if (question.username !== undefined) {
      params.push(question.username);
      where.push(`username = $${params.length}`);
    }
    if (question.host) where.push(hostCondition(question.host, params));
    params.push(question.limit ?? 50);
    const rows = await this.db.dataSource.query<DecisionRow[]>(
      `SELECT ${DECISION_COLUMNS} FROM decision_record
       WHERE ${where.join(' AND ')}
       ORDER BY abs(extract(epoch FROM decided_at - $3::timestamptz)), decided_at DESC, id
       LIMIT $${params.length}`,
      params,
    );
    const records = rows.map(toRecord);
    const leases = await this.leaseHistory({ uid: question.uid, username: question.username });
    const t = question.at.getTime();
    const leasesAtTime = leases.filter((l) => l.createdAt.getTime() <= t && (l.releasedAt === null || l.releasedAt.getTime() >= t));
    const nearest = records[0];
    return {
      dn: nearest?.subjectDn ?? leasesAtTime[0]?.subjectDn ?? null,
      token: nearest?.tokenIssuer && nearest.tokenSubject !== null ? { issuer: nearest.tokenIssuer, subject: nearest.tokenSubject } : null,
      fqans: nearest?.fqans ?? [],
      username: nearest?.username ?? leases[0]?.username ?? null,
      records,
      leases,
      leasesAtTime,
    };
  }
}
