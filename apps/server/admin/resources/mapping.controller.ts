import { Body, Controller, Delete, Get, Inject, Param, Post, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type ConfigWrite, describeProblem, reviewMappingChange, expandPool, type MappingConfig, type MappingRule, type PilotRole, type PoolDefinition } from '@gridauthz/mapping';
import { ProblemException } from '../../http/problem';
import { ADMIN_CONTEXT, type AdminContext } from '../admin-context';
import { ADMIN_ERRORS } from '../auth/admin-identity';
import { OPERATOR_ROLES, READ_ROLES, Roles } from '../auth/roles';
import { ForceQuery, GroupPut, PilotRolePut, PoolPut, RuleAdd, RulesPut } from '../http/schemas';
import { notFound, validate } from '../http/validate';
import { auditOf, identityOf } from './actor';
import { ErrorCodes } from '@gridauthz/domain';
import type { TransactionStores } from '../../site/site-runtime';

/**
 * Pools, accounts, groups, mapping rules and pilot roles through the MappingConfigStore port. The store validates
 * each write as a whole configuration, so a rule naming an unknown pool is refused with every problem listed.
 */
@Controller()
export class MappingController {
  constructor(@Inject(ADMIN_CONTEXT) private readonly context: AdminContext) {}

  private load(): Promise<MappingConfig> {
    return this.context.site().stores.mapping.load();
  }

  @Get('pools')
  @Roles(...READ_ROLES)
  async pools(): Promise<{ pools: (PoolDefinition & { accounts: number })[] }> {
    const config = await this.load();
    return {
      pools: config.pools.map((p) => {
        const expanded = expandPool(p);
        return { id: p.id, kind: p.kind, members: p.members, accounts: expanded.ok ? expanded.value.accounts.length : 0 };
      }),
    };
  }

  @Get('pools/:id')
  @Roles(...READ_ROLES)
  async pool(@Param('id') id: string): Promise<PoolDefinition> {
    const pool = (await this.load()).pools.find((p) => p.id === id);
    if (!pool) throw notFound(`no pool ${id}`);
    return pool;
  }

  /** The pool's accounts as configured, with their lease state where the database holds them. */
  @Get('pools/:id/accounts')
  @Roles(...READ_ROLES)
  async accounts(@Param('id') id: string): Promise<{ accounts: unknown[] }> {
    const pool = (await this.load()).pools.find((p) => p.id === id);
    if (!pool) throw notFound(`no pool ${id}`);
    const expanded = expandPool(pool);
    const state = new Map((await this.context.leases().accounts(id)).map((a) => [a.username, a]));
    const accounts = (expanded.ok ? expanded.value.accounts : []).map((a) => {
      const s = state.get(a.username);
      return { poolId: a.poolId, username: a.username, uid: a.uid, gid: a.gid, held: s?.held ?? false, enabled: s?.enabled ?? true, availableAfter: s?.availableAfter?.toISOString() ?? null };
    });
    return { accounts };
  }

  @Put('pools/:id')
  @Roles(...OPERATOR_ROLES)
  async putPool(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest): Promise<PoolDefinition & { warnings: string[] }> {
    const p = validate(PoolPut, body, 'body');
    const pool: PoolDefinition = { id, kind: p.kind, members: p.members };
    const before = (await this.load()).pools.find((x) => x.id === id);
    const { warnings } = await this.write((stores) => stores.mapping.upsertPools([pool]), request, 'pool.put', id, before, pool);
    return { id: pool.id, kind: pool.kind, members: pool.members, warnings };
  }

  @Get('groups')
  @Roles(...READ_ROLES)
  async groups(): Promise<{ groups: MappingConfig['groups'] }> {
    return { groups: (await this.load()).groups };
  }

  @Put('groups/:name')
  @Roles(...OPERATOR_ROLES)
  async putGroup(@Param('name') name: string, @Body() body: unknown, @Req() request: FastifyRequest): Promise<{ name: string; gid: number; warnings: string[] }> {
    const { gid } = validate(GroupPut, body, 'body');
    const before = (await this.load()).groups.find((g) => g.name === name);
    const { warnings } = await this.write((stores) => stores.mapping.upsertGroups([{ name, gid }]), request, 'group.put', name, before, { name, gid });
    return { name, gid, warnings };
  }

  @Get('rules')
  @Roles(...READ_ROLES)
  async rules(): Promise<{ rules: MappingConfig['rules'] }> {
    return { rules: (await this.load()).rules };
  }

  /** Replaces the whole ordered rule list (order is meaning: the first matching rule wins). */
  @Put('rules')
  @Roles(...OPERATOR_ROLES)
  async putRules(@Body() body: unknown, @Req() request: FastifyRequest): Promise<{ rules: MappingRule[]; warnings: string[] }> {
    const { rules } = validate(RulesPut, body, 'body');
    const before = (await this.load()).rules;
    const { warnings } = await this.write((stores) => stores.mapping.replaceRules(rules), request, 'rule.replace', '*', before, rules);
    return { rules, warnings };
  }

  @Post('rules')
  @Roles(...OPERATOR_ROLES)
  async addRule(@Body() body: unknown, @Req() request: FastifyRequest): Promise<{ rules: MappingRule[]; warnings: string[] }> {
    const { rule, position } = validate(RuleAdd, body, 'body');
    const before = (await this.load()).rules;
    if (before.some((r) => r.id === rule.id)) throw new ProblemException(409, ADMIN_ERRORS.CONFIG_INVALID, 'Rule exists', `rule ${rule.id} exists; PUT /rules to change it`);
    const rules = [...before];
    rules.splice(Math.min(position ?? rules.length, rules.length), 0, rule);
    const { warnings } = await this.write((stores) => stores.mapping.replaceRules(rules), request, 'rule.add', rule.id, undefined, rule);
    return { rules, warnings };
  }

  @Delete('rules/:id')
  @Roles(...OPERATOR_ROLES)
  async removeRule(@Param('id') id: string, @Req() request: FastifyRequest): Promise<{ rules: MappingRule[]; warnings: string[] }> {
    const before = (await this.load()).rules;
    const removed = before.find((r) => r.id === id);
    if (!removed) throw notFound(`no rule ${id}`);
    const rules = before.filter((r) => r.id !== id);
    const { warnings } = await this.write((stores) => stores.mapping.replaceRules(rules), request, 'rule.remove', id, removed, undefined);
    return { rules, warnings };
  }

  @Get('pilot-roles')
  @Roles(...READ_ROLES)
  async pilotRoles(): Promise<{ pilotRoles: MappingConfig['pilotRoles'] }> {
    return { pilotRoles: (await this.load()).pilotRoles };
  }

  @Put('pilot-roles/:id')
  @Roles(...OPERATOR_ROLES)
  async putPilotRole(@Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest): Promise<PilotRole & { warnings: string[] }> {
    const r = validate(PilotRolePut, body, 'body');
    const role: PilotRole = { id, fqanPattern: r.fqanPattern, poolId: r.poolId };
    const before = (await this.load()).pilotRoles.find((x) => x.id === id);
    const { warnings } = await this.write((stores) => stores.mapping.upsertPilotRoles([role]), request, 'pilot-role.put', id, before, role);
    return { id: role.id, fqanPattern: role.fqanPattern, poolId: role.poolId, warnings };
  }

  /**
   * The write, its check and its audit row in one transaction; a refused write leaves neither. Every warning the
   * resulting configuration produces is logged and returned; a static mapping onto an account of a leased pool that
   * the change introduces is refused unless `?force=true` (and then audited with the warnings).
   */
  private async write(
    change: (stores: TransactionStores) => Promise<ConfigWrite>,
    request: FastifyRequest,
    action: string,
    target: string,
    before: unknown,
    after: unknown,
  ): Promise<{ warnings: string[] }> {
    const { force } = validate(ForceQuery, request.query ?? {}, 'query');
    const forced = force === 'true';
    const warnings = await this.context.change(auditOf(request), async (tx) => {
      const previous = await tx.stores.mapping.load();
      const outcome = await change(tx.stores);
      if (!outcome.ok) {
        throw new ProblemException(422, ADMIN_ERRORS.CONFIG_INVALID, 'Mapping configuration refused', outcome.error.problems.map(describeProblem).join('; '));
      }
      const review = reviewMappingChange(previous, await tx.stores.mapping.load(), tx.stores.mapping.settings, forced);
      if (review.refusals.length > 0) {
        throw new ProblemException(
          422,
          ErrorCodes.MAPPING_STATIC_ON_LEASED_POOL,
          'Static mapping onto a leased pool',
          `${review.refusals.map(describeProblem).join('; ')}: the account can be leased to someone else while this mapping uses it. Map to the pool instead, or repeat with ?force=true`,
        );
      }
      const texts = review.warnings.map(describeProblem);
      await tx.record({ action, target, before, after: texts.length > 0 ? { value: after, warnings: texts, ...(forced ? { forced } : {}) } : after });
      return texts;
    });
    for (const w of warnings) request.log.warn({ admin: identityOf(request).dn, action, target, warning: w }, 'mapping configuration warning');
    await this.context.reload('mapping');
    return { warnings };
  }
}
