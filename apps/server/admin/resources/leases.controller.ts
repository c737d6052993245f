import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Dn } from '@gridauthz/domain';
import { type LeaseHistoryEntry, runLeaseExpiry } from '@gridauthz/persistence';
import { parseDuration } from '../../config/settings';
import { ProblemException } from '../../http/problem';
import { ADMIN_CONTEXT, type AdminContext } from '../admin-context';
import { ADMIN_ERRORS } from '../auth/admin-identity';
import { OPERATOR_ROLES, READ_ROLES, Roles } from '../auth/roles';
import { LeaseExpire, LeaseQuery, LeaseRelease } from '../http/schemas';
import { notFound, validate } from '../http/validate';
import { actorOf } from './actor';

/**
 * Leases. Release guarantee: the released account is quarantined until now + admin.releaseCooldownSeconds
 * (default 24 h) in the same transaction as the release, and the claim query skips quarantined accounts, so a
 * payload of the previous owner that is still queued or running never shares the uid with a new owner.
 */
@Controller('leases')
export class LeasesController {
  constructor(@Inject(ADMIN_CONTEXT) private readonly context: AdminContext) {}

  @Get()
  @Roles(...READ_ROLES)
  async list(@Query() query: unknown): Promise<{ leases: LeaseHistoryEntry[] }> {
    const q = validate(LeaseQuery, query, 'query');
    const leases = await this.context.leases().list({
      pool: q.pool,
      subjectDn: q.subject !== undefined ? slashDn(q.subject) : undefined,
      subjectKey: q.subjectKey,
      username: q.username,
      limit: q.limit,
      history: q.history === 'true',
    });
    return { leases };
  }

  @Post('release')
  @HttpCode(200)
  @Roles(...OPERATOR_ROLES)
  async release(@Body() body: unknown, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const r = validate(LeaseRelease, body, 'body');
    const common = {
      reason: r.reason,
      coolDownSeconds: this.context.settings.releaseCooldownSeconds,
      now: this.context.clock(),
      actor: actorOf(request),
      requestId: request.id,
    };
    if (r.subjectKey !== undefined && r.pool !== undefined) {
      const outcome = await this.context.leases().release({ pool: r.pool, subjectKey: r.subjectKey, ...common });
      if (!outcome) throw notFound(`no live lease for ${r.subjectKey} in pool ${r.pool}`);
      return { released: outcome.lease, availableAfter: outcome.availableAfter.toISOString() };
    }
    const outcomes = await this.context.leases().releaseMatching({
      pool: r.pool,
      username: r.username,
      subject: r.subject !== undefined ? parseDn(r.subject) : undefined,
      group: r.group,
      ...common,
    });
    const who = r.username !== undefined ? `account ${r.username}` : `subject ${r.subject ?? ''}${r.group !== undefined ? ` with primary group ${r.group}` : ''}`;
    if (outcomes.length === 0) throw notFound(`no live lease for ${who}${r.pool !== undefined ? ` in pool ${r.pool}` : ''}`);
    return {
      released: outcomes.map((o) => o.lease),
      availableAfter: outcomes.map((o) => o.availableAfter.toISOString()).reduce((a, b) => (a > b ? a : b)),
    };
  }

  /** Lease expiry now (docs/lease-expiry.md); the same run the scheduled job makes, audited even if nothing expired. */
  @Post('expire')
  @HttpCode(200)
  @Roles(...OPERATOR_ROLES)
  async expire(@Body() body: unknown, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const r = validate(LeaseExpire, body ?? {}, 'body');
    const idleMs = r.idle !== undefined ? parseDuration(r.idle) : this.context.leaseExpiry.idleMs;
    if (idleMs === undefined) {
      throw new ProblemException(400, ADMIN_ERRORS.REQUEST_INVALID, 'Invalid request', 'lease expiry is off (mapping.leaseExpiry.idle); give idle, e.g. 240h');
    }
    if (idleMs < 3_600_000) throw new ProblemException(400, ADMIN_ERRORS.REQUEST_INVALID, 'Invalid request', 'body.idle: at least 1h');
    const outcome = await runLeaseExpiry(this.context.database(), {
      idleMs,
      now: this.context.clock(),
      coolDownSeconds: this.context.settings.releaseCooldownSeconds,
      actor: actorOf(request),
      dryRun: r.dryRun,
      auditEmptyRun: true,
      requestId: request.id,
    });
    if (outcome.skipped) throw new ProblemException(409, ADMIN_ERRORS.LEASE_EXPIRY_RUNNING, 'Expiry running', 'lease expiry is running on another replica; try again');
    return {
      dryRun: outcome.dryRun,
      cutoff: outcome.cutoff.toISOString(),
      ...(outcome.dryRun ? { wouldRelease: outcome.leases } : { released: outcome.leases, availableAfter: outcome.availableAfter.toISOString() }),
    };
  }
}

function parseDn(text: string): Dn {
  try {
    return Dn.parse(text);
  } catch {
    throw new ProblemException(400, ADMIN_ERRORS.REQUEST_INVALID, 'Invalid request', `body.subject: "${text}" is not a DN`);
  }
}

/** Either DN form is accepted; leases are keyed by our slash rendering, which no other name shares (docs/identities.md). */
function slashDn(text: string): string {
  try {
    return Dn.parse(text).toSlash();
  } catch {
    throw new ProblemException(400, ADMIN_ERRORS.REQUEST_INVALID, 'Invalid request', `query.subject: "${text}" is not a DN`);
  }
}
