import { createHash } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { lintPolicy } from '@gridauthz/policy';
import type { PolicyVersion } from '@gridauthz/persistence';
import { ProblemException } from '../../http/problem';
import { ADMIN_CONTEXT, type AdminContext } from '../admin-context';
import { ADMIN_ERRORS } from '../auth/admin-identity';
import { OPERATOR_ROLES, READ_ROLES, Roles } from '../auth/roles';
import { PolicyRollback, PolicyText, PolicyUpload } from '../http/schemas';
import { notFound, validate } from '../http/validate';
import { actorOf, auditOf } from './actor';

interface Diagnostic {
  readonly line: number;
  readonly column: number;
  readonly severity: string;
  readonly code: string;
  readonly message: string;
}

const summary = (v: PolicyVersion) => ({
  id: v.id,
  sha256: v.sha256,
  author: v.author,
  comment: v.comment,
  createdAt: v.createdAt.toISOString(),
  active: v.active,
  activatedAt: v.activatedAt?.toISOString() ?? null,
});

function check(text: string): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const all = lintPolicy(text, 'upload').map((d) => ({ line: d.line, column: d.column, severity: d.severity, code: d.code, message: d.message }));
  return { errors: all.filter((d) => d.severity === 'error'), warnings: all.filter((d) => d.severity !== 'error') };
}

/** Site policy versions: upload (validated, with line-numbered errors), activate, roll back. */
@Controller('policies')
export class PoliciesController {
  constructor(@Inject(ADMIN_CONTEXT) private readonly context: AdminContext) {}

  @Get()
  @Roles(...READ_ROLES)
  async list(): Promise<{ versions: ReturnType<typeof summary>[] }> {
    return { versions: (await this.context.site().stores.policies.list()).map(summary) };
  }

  @Get(':id')
  @Roles(...READ_ROLES)
  async get(@Param('id') id: string): Promise<ReturnType<typeof summary> & { text: string }> {
    const version = (await this.context.site().stores.policies.list()).find((v) => v.id === id);
    if (!version) throw notFound(`no policy version ${id}`);
    return Object.assign(summary(version), { text: version.text });
  }

  @Post('validate')
  @HttpCode(200)
  @Roles(...READ_ROLES)
  validate(@Body() body: unknown): { valid: boolean; errors: Diagnostic[]; warnings: Diagnostic[] } {
    const { text } = validate(PolicyText, body, 'body');
    const result = check(text);
    return { valid: result.errors.length === 0, ...result };
  }

  /** Stores a new version (inactive unless `activate`); a policy that does not compile is refused with its errors. */
  @Post()
  @HttpCode(201)
  @Roles(...OPERATOR_ROLES)
  async upload(@Body() body: unknown, @Req() request: FastifyRequest): Promise<ReturnType<typeof summary> & { warnings: Diagnostic[] }> {
    const u = validate(PolicyUpload, body, 'body');
    const result = check(u.text);
    if (result.errors.length > 0) {
      throw new ProblemException(422, ADMIN_ERRORS.POLICY_INVALID, 'Policy does not compile', result.errors.map((e) => `line ${e.line}:${e.column}: ${e.message}`).join('; '));
    }
    const actor = actorOf(request);
    const sha256 = createHash('sha256').update(u.text).digest('hex');
    const id = await this.context.change(auditOf(request), async (tx) => {
      const m = tx.manager;
      if (u.activate) await m.query(`UPDATE policy_version SET active = false WHERE active`);
      const rows = await m.query<{ id: string }[]>(
        `INSERT INTO policy_version (text, sha256, author, comment, active, activated_at) VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 THEN now() END) RETURNING id`,
        [u.text, sha256, actor.dn, u.comment, u.activate],
      );
      const newId = String(rows[0]?.id);
      await tx.record({ action: u.activate ? 'policy.upload-activate' : 'policy.upload', target: newId, after: { sha256, comment: u.comment } });
      return newId;
    });
    if (u.activate) await this.context.reload('policy');
    const version = (await this.context.site().stores.policies.list()).find((v) => v.id === id);
    if (!version) throw new Error(`policy version ${id} vanished after insert`);
    return Object.assign(summary(version), { warnings: result.warnings });
  }

  @Post(':id/activate')
  @HttpCode(200)
  @Roles(...OPERATOR_ROLES)
  async activate(@Param('id') id: string, @Req() request: FastifyRequest): Promise<ReturnType<typeof summary>> {
    return this.switchTo(id, request, 'policy.activate');
  }

  /** Re-activates the version that was active most recently before the current one. */
  @Post('rollback')
  @HttpCode(200)
  @Roles(...OPERATOR_ROLES)
  async rollback(@Body() body: unknown, @Req() request: FastifyRequest): Promise<ReturnType<typeof summary>> {
    validate(PolicyRollback, body, 'body');
    const previous = (await this.context.site().stores.policies.list())
      .filter((v) => !v.active && v.activatedAt !== undefined)
      .sort((a, b) => (b.activatedAt?.getTime() ?? 0) - (a.activatedAt?.getTime() ?? 0) || Number(b.id) - Number(a.id))[0];
    if (!previous) throw notFound('no previously active policy version to roll back to');
    return this.switchTo(previous.id, request, 'policy.rollback');
  }

  private async switchTo(id: string, request: FastifyRequest, action: string): Promise<ReturnType<typeof summary>> {
    if (!/^\d{1,18}$/.test(id)) throw notFound(`no policy version ${id}`);
    const policies = this.context.site().stores.policies;
    await this.context.change(auditOf(request), async (tx) => {
      const before = await tx.stores.policies.active();
      if (!(await tx.stores.policies.activate(id))) throw notFound(`no policy version ${id}`);
      await tx.record({ action, target: id, before: before ? summary(before) : undefined, after: { id } });
    });
    await this.context.reload('policy');
    const now = await policies.active();
    if (!now) throw new Error('no active policy after activation');
    return summary(now);
  }
}
