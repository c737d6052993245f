import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Dn } from '@gridauthz/domain';
import { TokenAdministration, tokenIssuerView, type TokenIssuerView } from '@gridauthz/persistence';
import { ProblemException } from '../../http/problem';
import { ADMIN_CONTEXT, type AdminContext } from '../admin-context';
import { ADMIN_ERRORS } from '../auth/admin-identity';
import { OPERATOR_ROLES, READ_ROLES, Roles } from '../auth/roles';
import { TokenIssuerCreate, TokenIssuerRemove, TokenLinkCreate, TokenLinkRemove } from '../http/schemas';
import { notFound, validate } from '../http/validate';
import { actorOf } from './actor';

/**
 * Token issuers added at run time and token identities linked to DNs (docs/mapping-tokens.md). Each change commits
 * with its admin_audit row; every replica reloads within a second through the 'token-issuer' / 'token-link'
 * generations. Issuers of the settings file (tokens.issuers) are listed too and win over a row for the same issuer.
 */
@Controller()
export class TokensController {
  constructor(@Inject(ADMIN_CONTEXT) private readonly context: AdminContext) {}

  @Get('issuers')
  @Roles(...READ_ROLES)
  async issuers(): Promise<{ issuers: (TokenIssuerView & { inForce: boolean })[] }> {
    const inForce = new Map(this.context.site().tokens.issuers().map((i) => [i.issuer, i.source]));
    const stored = (await new TokenAdministration(this.context.database()).issuers()).map(tokenIssuerView);
    const fromConfig = this.context
      .site()
      .tokens.issuers()
      .filter((i) => i.source === 'config')
      .map((i) => ({
        issuer: i.issuer,
        jwksFile: 'file' in i.jwks ? i.jwks.file : null,
        jwksUrl: 'url' in i.jwks ? i.jwks.url : null,
        source: 'config' as const,
        comment: 'tokens.issuers',
        createdBy: null,
        createdAt: null,
      }));
    return { issuers: [...fromConfig, ...stored].map((i) => ({
        issuer: i.issuer,
        jwksFile: i.jwksFile,
        jwksUrl: i.jwksUrl,
        source: i.source,
        comment: i.comment,
        createdBy: i.createdBy,
        createdAt: i.createdAt,
        inForce: inForce.get(i.issuer) === i.source,
      })) };
  }

  @Post('issuers')
  @HttpCode(201)
  @Roles(...OPERATOR_ROLES)
  async addIssuer(@Body() body: unknown, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const b = validate(TokenIssuerCreate, body, 'body');
    const jwks = b.jwksUrl !== undefined ? { url: b.jwksUrl } : { file: b.jwksFile as string };
    const { before, after } = await new TokenAdministration(this.context.database()).addIssuer(b.issuer, jwks, b.comment, actorOf(request), request.id);
    await this.context.reload('token-issuer');
    return {
      issuer: after.issuer,
      jwksFile: after.jwksFile,
      jwksUrl: after.jwksUrl,
      source: after.source,
      comment: after.comment,
      createdBy: after.createdBy,
      createdAt: after.createdAt,
      created: before === undefined,
    };
  }

  @Post('issuers/remove')
  @HttpCode(200)
  @Roles(...OPERATOR_ROLES)
  async removeIssuer(@Body() body: unknown, @Req() request: FastifyRequest): Promise<TokenIssuerView> {
    const b = validate(TokenIssuerRemove, body, 'body');
    const removed = await new TokenAdministration(this.context.database()).removeIssuer(b.issuer, actorOf(request), request.id);
    if (!removed) throw notFound(`${b.issuer} is not in the token_issuer table (tokens.issuers entries are changed in the configuration)`);
    await this.context.reload('token-issuer');
    return removed;
  }

  @Get('token-links')
  @Roles(...READ_ROLES)
  async links(): Promise<{ links: unknown[] }> {
    const links = await new TokenAdministration(this.context.database()).links();
    return { links: links.map((l) => ({ issuer: l.issuer, subject: l.subject, dn: l.dn, comment: l.comment, createdBy: l.createdBy, createdAt: l.createdAt.toISOString() })) };
  }

  @Post('token-links')
  @HttpCode(201)
  @Roles(...OPERATOR_ROLES)
  async link(@Body() body: unknown, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const b = validate(TokenLinkCreate, body, 'body');
    let dn: Dn;
    try {
      dn = Dn.parse(b.dn);
    } catch (err) {
      throw new ProblemException(422, ADMIN_ERRORS.CONFIG_INVALID, 'Not a DN', `"${b.dn}" is not a DN: ${(err as Error).message}`);
    }
    const { before, after } = await new TokenAdministration(this.context.database()).link(b.issuer, b.subject, dn, b.comment, actorOf(request), request.id);
    await this.context.reload('token-link');
    return {
      issuer: after.issuer,
      subject: after.subject,
      dn: after.dn,
      comment: after.comment,
      createdBy: after.createdBy,
      createdAt: after.createdAt,
      created: before === undefined,
      ...(before ? { replaced: before } : {}),
    };
  }

  @Post('token-links/remove')
  @HttpCode(200)
  @Roles(...OPERATOR_ROLES)
  async unlink(@Body() body: unknown, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const b = validate(TokenLinkRemove, body, 'body');
    const removed = await new TokenAdministration(this.context.database()).unlink(b.issuer, b.subject, actorOf(request), request.id);
    if (!removed) throw notFound(`no link for (${b.issuer}, ${b.subject})`);
    await this.context.reload('token-link');
    return { ...removed };
  }
}
