import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type Ban, isBanActive } from '@gridauthz/mapping';
import { AdminAuditRepository } from '@gridauthz/persistence';
import { ProblemException } from '../../http/problem';
import { ADMIN_CONTEXT, type AdminContext } from '../admin-context';
import { ADMIN_ERRORS } from '../auth/admin-identity';
import { BAN_ROLES, READ_ROLES, Roles } from '../auth/roles';
import { BanCreate, BanLift, BanQuery } from '../http/schemas';
import { notFound, validate } from '../http/validate';
import { actorOf, auditOf } from './actor';

interface BanView {
  readonly id: string;
  readonly kind: string;
  readonly value: string;
  /** The token issuer of a token or token-group ban. */
  readonly issuer?: string;
  readonly reason: string;
  readonly author: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly state: 'active' | 'expired' | 'lifted';
  readonly liftedAt?: string;
  readonly liftedBy?: string;
  readonly liftReason?: string;
}

const view = (ban: Ban, now: Date): BanView => ({
  id: ban.id,
  kind: ban.kind,
  value: ban.value,
  ...(ban.issuer !== undefined ? { issuer: ban.issuer } : {}),
  reason: ban.reason,
  author: ban.author,
  createdAt: ban.createdAt.toISOString(),
  expiresAt: ban.expiresAt?.toISOString() ?? null,
  state: isBanActive(ban, now) ? 'active' : 'expired',
});

/**
 * Bans. Each add or lift is one transaction with its admin_audit row. Lifting keeps the ban row and records who
 * lifted it and why in it (lifted_by, lift_reason); lifted bans are listed from the audit trail, whose rows carry
 * the whole ban before and after.
 */
@Controller('bans')
export class BansController {
  constructor(@Inject(ADMIN_CONTEXT) private readonly context: AdminContext) {}

  @Get()
  @Roles(...READ_ROLES)
  async list(@Query() query: unknown): Promise<{ bans: BanView[] }> {
    const q = validate(BanQuery, query, 'query');
    const now = this.context.clock();
    const stored = (await this.context.site().stores.bans.list()).map((b) => view(b, now));
    const lifted = q.state === 'lifted' || q.state === 'all' ? await this.lifted() : [];
    const bans = [...(q.state === 'lifted' ? [] : stored.filter((b) => q.state === 'all' || b.state === q.state)), ...lifted].filter(
      (b) => (q.kind === undefined || b.kind === q.kind) && (q.value === undefined || b.value.toLowerCase().includes(q.value.toLowerCase())),
    );
    return { bans };
  }

  @Post()
  @HttpCode(201)
  @Roles(...BAN_ROLES)
  async add(@Body() body: unknown, @Req() request: FastifyRequest): Promise<BanView> {
    const b = validate(BanCreate, body, 'body');
    const actor = actorOf(request);
    const now = this.context.clock();
    const ban = await this.context.change(auditOf(request), async (tx) => {
      const result = await tx.stores.bans.add({
        kind: b.kind,
        value: b.value,
        ...(b.issuer !== undefined ? { issuer: b.issuer } : {}),
        reason: b.reason,
        author: actor.dn,
        createdAt: now,
        ...(b.expiresAt !== undefined ? { expiresAt: new Date(b.expiresAt) } : {}),
      });
      if (!result.ok) throw new ProblemException(422, ADMIN_ERRORS.CONFIG_INVALID, 'Ban refused', result.error.detail);
      const added = view(result.value, now);
      await tx.record({ action: 'ban.add', target: added.id, after: added });
      return added;
    });
    await this.context.reload('ban');
    return ban;
  }

  @Post(':id/lift')
  @HttpCode(200)
  @Roles(...BAN_ROLES)
  async lift(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest): Promise<BanView> {
    const { reason } = validate(BanLift, body, 'body');
    const actor = actorOf(request);
    const now = this.context.clock();
    // The officer and the reason go into the ban row itself (lifted_by, lift_reason) and into the audit row, together.
    const after = await this.context.change(auditOf(request), async (tx) => {
      const ban = (await tx.stores.bans.list()).find((b) => b.id === id);
      if (!ban || !(await tx.stores.bans.lift(id, { by: actor.dn, reason }))) throw notFound(`no ban ${id} (lifted bans: GET /api/v1/bans?state=lifted)`);
      const before = view(ban, now);
      const lifted: BanView = {
        id: before.id,
        kind: before.kind,
        value: before.value,
        ...(before.issuer !== undefined ? { issuer: before.issuer } : {}),
        reason: before.reason,
        author: before.author,
        createdAt: before.createdAt,
        expiresAt: before.expiresAt,
        state: 'lifted',
        liftedAt: now.toISOString(),
        liftedBy: actor.dn,
        liftReason: reason,
      };
      await tx.record({ action: 'ban.lift', target: id, before, after: lifted });
      return lifted;
    });
    await this.context.reload('ban');
    return after;
  }

  private async lifted(): Promise<BanView[]> {
    const rows = await new AdminAuditRepository(this.context.database()).list({ action: 'ban.lift', limit: 10_000 });
    return rows.map((r) => r.after as BanView);
  }
}
