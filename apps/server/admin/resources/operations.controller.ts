import { Body, Controller, Delete, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { checkAskedTokenIdentity } from '@gridauthz/credentials';
import { Dn, Fqan } from '@gridauthz/domain';
import { AdminAuditRepository, type AdminRole, deleteGroup, deletePilotRole, deletePool, type DeleteOutcome } from '@gridauthz/persistence';
import { ProblemException } from '../../http/problem';
import { whatIfMapping, type WhatIfAnswer, type WhatIfSubject } from '../../site/what-if';
import { ADMIN_CONTEXT, type AdminContext } from '../admin-context';
import { ADMIN_ERRORS } from '../auth/admin-identity';
import { BAN_ROLES, OPERATOR_ROLES, READ_ROLES, Roles } from '../auth/roles';
import { DeleteQuery, PrincipalPut, PrincipalRemove, WhatIfBody } from '../http/schemas';
import { notFound, validate } from '../http/validate';
import { actorOf } from './actor';

/**
 * Everyday verbs of issue 17.8 that had no route: deleting pools, groups and pilot roles (each audited in its own
 * transaction), the what-if mapping, and admin principals for sites where nobody has a shell on the database.
 */
@Controller()
export class OperationsController {
  constructor(@Inject(ADMIN_CONTEXT) private readonly context: AdminContext) {}

  @Delete('pools/:id')
  @Roles(...OPERATOR_ROLES)
  async deletePool(@Param('id') id: string, @Query() query: unknown, @Req() request: FastifyRequest): Promise<{ deleted: unknown }> {
    const { force } = validate(DeleteQuery, query, 'query');
    return this.deleted(await deletePool(this.context.database(), id, { force: force === 'true', actor: actorOf(request), requestId: request.id }));
  }

  @Delete('groups/:name')
  @Roles(...OPERATOR_ROLES)
  async deleteGroup(@Param('name') name: string, @Req() request: FastifyRequest): Promise<{ deleted: unknown }> {
    return this.deleted(await deleteGroup(this.context.database(), name, { actor: actorOf(request), requestId: request.id }));
  }

  @Delete('pilot-roles/:id')
  @Roles(...OPERATOR_ROLES)
  async deletePilotRole(@Param('id') id: string, @Req() request: FastifyRequest): Promise<{ deleted: unknown }> {
    return this.deleted(await deletePilotRole(this.context.database(), id, { actor: actorOf(request), requestId: request.id }));
  }

  /** What a decision would map (DN, FQANs) or a token identity to now; leases nothing, so any reader may ask. */
  @Post('mapping/what-if')
  @HttpCode(200)
  @Roles(...READ_ROLES)
  async whatIf(@Body() body: unknown): Promise<WhatIfAnswer> {
    const b = validate(WhatIfBody, body, 'body');
    let subject: WhatIfSubject;
    if (b.issuer !== undefined) {
      const checked = checkAskedTokenIdentity({ issuer: b.issuer, subject: b.subject ?? '', groups: b.groups ?? [] });
      if (!checked.ok) throw new ProblemException(400, ADMIN_ERRORS.REQUEST_INVALID, 'Invalid request', `body.${checked.field}: ${checked.detail}`);
      subject = { token: checked.value };
    } else {
      try {
        subject = { dn: Dn.parse(b.dn ?? ''), fqans: (b.fqans ?? []).map((f) => Fqan.parse(f)) };
      } catch (err) {
        throw new ProblemException(400, ADMIN_ERRORS.REQUEST_INVALID, 'Invalid request', (err as Error).message);
      }
    }
    const site = this.context.site();
    const compiled = site.configuration.mapping();
    if (!compiled) throw new ProblemException(503, ADMIN_ERRORS.NOT_READY, 'Service not ready', 'no mapping configuration loaded');
    // The links this server's decisions apply now, so the answer is the one a decision would give.
    return whatIfMapping(this.context.database(), compiled, subject, this.context.clock(), b.purpose ?? 'pilot-or-user', site.tokens.tokenLinks());
  }

  @Post('principals')
  @HttpCode(200)
  @Roles(...BAN_ROLES)
  async putPrincipal(@Body() body: unknown, @Req() request: FastifyRequest): Promise<{ dn: string; role: AdminRole; before: AdminRole | null }> {
    const b = validate(PrincipalPut, body, 'body');
    const dn = parseDn(b.dn);
    const actor = actorOf(request);
    const db = this.context.database();
    const principals = this.context.principals();
    if (!principals) throw new ProblemException(503, ADMIN_ERRORS.NOT_READY, 'Service not ready', 'the database is not connected yet');
    const { before, after } = await principals.put(dn, b.role, actor.dn);
    await new AdminAuditRepository(db).record({ actor, action: before ? 'principal.change' : 'principal.add', target: dn, before: before ? { role: before.role } : undefined, after: { role: after.role }, requestId: request.id });
    return { dn, role: after.role, before: before?.role ?? null };
  }

  @Post('principals/remove')
  @HttpCode(200)
  @Roles(...BAN_ROLES)
  async removePrincipal(@Body() body: unknown, @Req() request: FastifyRequest): Promise<{ removed: string }> {
    const dn = parseDn(validate(PrincipalRemove, body, 'body').dn);
    const actor = actorOf(request);
    // An officer locking every officer out would leave the API with nobody to undo it.
    if (dn === actor.dn) throw new ProblemException(409, ADMIN_ERRORS.CONFIG_INVALID, 'Refused', 'you cannot remove yourself; another security officer can');
    const principals = this.context.principals();
    if (!principals) throw new ProblemException(503, ADMIN_ERRORS.NOT_READY, 'Service not ready', 'the database is not connected yet');
    const removed = await principals.remove(dn);
    if (!removed) throw notFound(`${dn} is not an admin principal`);
    await new AdminAuditRepository(this.context.database()).record({ actor, action: 'principal.remove', target: dn, before: { role: removed.role }, requestId: request.id });
    return { removed: dn };
  }

  private async deleted(outcome: DeleteOutcome): Promise<{ deleted: unknown }> {
    if (!outcome.ok) {
      if (outcome.status === 404) throw notFound(outcome.reason);
      throw new ProblemException(409, ADMIN_ERRORS.CONFIG_INVALID, 'Refused', outcome.reason);
    }
    await this.context.reload('mapping');
    return { deleted: outcome.before };
  }
}

function parseDn(text: string): string {
  try {
    return Dn.parse(text).toSlash();
  } catch (err) {
    throw new ProblemException(400, ADMIN_ERRORS.REQUEST_INVALID, 'Invalid request', `"${text}" is not a DN: ${(err as Error).message}`);
  }
}

