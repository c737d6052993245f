import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Dn } from '@gridauthz/domain';
import { CallerAdministration } from '@gridauthz/persistence';
import { ProblemException } from '../../http/problem';
import { ADMIN_CONTEXT, type AdminContext } from '../admin-context';
import { ADMIN_ERRORS } from '../auth/admin-identity';
import { OPERATOR_ROLES, READ_ROLES, Roles } from '../auth/roles';
import { CallerAdd, CallerRemove } from '../http/schemas';
import { notFound, validate } from '../http/validate';
import { actorOf } from './actor';

interface CallerListItem {
  readonly dn: string;
  readonly role: string;
  /** database (caller add, import), config (pdp.callers, pdp.trustedAsserters) or legacy (payload_caller). */
  readonly source: string;
  readonly comment: string;
  readonly createdBy: string | null;
  readonly createdAt: string | null;
}

function parseDn(text: string): Dn {
  try {
    return Dn.parse(text);
  } catch (err) {
    throw new ProblemException(422, ADMIN_ERRORS.CONFIG_INVALID, 'Not a DN', `"${text}" is not a DN: ${(err as Error).message}`);
  }
}

/**
 * Who may ask what (docs/callers.md): pilots and trusted asserters. Writes go to the caller table with their
 * admin_audit row in one transaction; every replica reloads within a second through the 'caller' generation.
 */
@Controller('callers')
export class CallersController {
  constructor(@Inject(ADMIN_CONTEXT) private readonly context: AdminContext) {}

  @Get()
  @Roles(...READ_ROLES)
  async list(): Promise<{ callers: CallerListItem[] }> {
    const stored = (await new CallerAdministration(this.context.database()).list()).map((c) => ({
      dn: c.dn,
      role: c.role,
      source: 'database',
      comment: c.comment,
      createdBy: c.createdBy,
      createdAt: c.createdAt.toISOString(),
    }));
    const others = this.context
      .site()
      .configuration.callers()
      .entries.filter((e) => e.source !== 'database')
      .map((e) => ({ dn: e.dn.toSlash(), role: e.role, source: e.source, comment: e.comment ?? '', createdBy: null, createdAt: null }));
    return { callers: [...stored, ...others] };
  }

  @Post()
  @HttpCode(201)
  @Roles(...OPERATOR_ROLES)
  async add(@Body() body: unknown, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const b = validate(CallerAdd, body, 'body');
    const { before, after } = await new CallerAdministration(this.context.database()).add(parseDn(b.dn), b.role, b.comment, actorOf(request), request.id);
    await this.context.reload('caller');
    return { dn: after.dn, role: after.role, comment: after.comment, createdBy: after.createdBy, createdAt: after.createdAt, created: before === undefined };
  }

  @Post('remove')
  @HttpCode(200)
  @Roles(...OPERATOR_ROLES)
  async remove(@Body() body: unknown, @Req() request: FastifyRequest): Promise<{ removed: unknown[] }> {
    const b = validate(CallerRemove, body, 'body');
    const dn = parseDn(b.dn);
    const removed = await new CallerAdministration(this.context.database()).remove(dn, b.role, actorOf(request), request.id);
    if (removed.length === 0) throw notFound(`${dn.toSlash()} has ${b.role ? `no role ${b.role}` : 'no role'} in the caller table`);
    await this.context.reload('caller');
    return { removed };
  }
}
