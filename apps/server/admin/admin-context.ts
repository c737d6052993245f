import type { Logger } from 'pino';
import { AdminPrincipalRepository, type AuditContext, audited, type AuditedTransaction, type Database, ForensicsRepository, LeaseAdministration } from '@gridauthz/persistence';
import type { Config } from '../config';
import { ProblemException } from '../http/problem';
import type { SiteRuntime, TransactionStores } from '../site/site-runtime';
import type { Clock } from '../tls/caller-authenticator';
import { ADMIN_ERRORS } from './auth/admin-identity';

export const ADMIN_CONTEXT = Symbol('AdminContext');

/**
 * What the admin controllers reach: the database and the site runtime (both appear only once the server is ready,
 * hence getters), the clock and the admin settings.
 */
export class AdminContext {
  constructor(
    private readonly getDatabase: () => Database | undefined,
    private readonly getSite: () => SiteRuntime | undefined,
    readonly clock: Clock,
    readonly settings: Config['admin'],
    readonly log: Logger,
    /** mapping.leaseExpiry, the default of an admin-requested expiry run. */
    readonly leaseExpiry: Config['mapping']['leaseExpiry'] = { idleMs: undefined, intervalMs: 3_600_000 },
  ) {}

  database(): Database {
    const db = this.getDatabase();
    if (!db) throw new ProblemException(503, ADMIN_ERRORS.NOT_READY, 'Service not ready', 'the database is not connected yet');
    return db;
  }

  site(): SiteRuntime {
    const site = this.getSite();
    if (!site) throw new ProblemException(503, ADMIN_ERRORS.NOT_READY, 'Service not ready', 'the site configuration is not loaded yet');
    return site;
  }

  /**
   * One admin change: `work` writes through `tx.stores` (bound to the transaction) and records its audit row(s) with
   * `tx.record`; both commit together or not at all. Reload the site after it returns, not inside.
   */
  change<T>(context: AuditContext, work: (tx: AuditedTransaction & { stores: TransactionStores; principals: AdminPrincipalRepository }) => Promise<T>): Promise<T> {
    const db = this.database();
    const site = this.site();
    return audited(db, context, (tx) => work({ manager: tx.manager, actor: tx.actor, record: tx.record, stores: site.storesIn(tx.manager), principals: new AdminPrincipalRepository(tx.manager) }));
  }

  principals(): AdminPrincipalRepository | undefined {
    const db = this.getDatabase();
    return db ? new AdminPrincipalRepository(db) : undefined;
  }

  forensics(): ForensicsRepository {
    return new ForensicsRepository(this.database());
  }

  leases(): LeaseAdministration {
    return new LeaseAdministration(this.database());
  }

  /**
   * Makes this process decide with the change at once. The ban and mapping placeholders (in-memory) do not bump
   * the database change feed, so the topic is reloaded directly; refresh() then catches anything the feed saw.
   */
  async reload(topic: 'ban' | 'mapping' | 'policy' | 'caller' | 'token-link' | 'token-issuer'): Promise<void> {
    const site = this.site();
    // Token links and issuers live in the database and bump the change feed: refresh() reloads them.
    if (topic !== 'token-link' && topic !== 'token-issuer') await site.configuration.reload([topic]);
    await site.refresh();
  }
}
