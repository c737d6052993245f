import { performance } from 'node:perf_hooks';
import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthorizationService } from './authorization-service';
import { requestCaller } from './request-caller';

export const AUTHORIZATION_SERVICE = Symbol('AuthorizationService');

/**
 * POST on any path of the PDP listener: SCAS clients use the bare URL, GUMS clients
 * /gums/services/GUMSXACMLAuthorizationServicePort or GUMSAuthorizationServicePort, Argus clients /authz.
 * The service's codec list decides the protocol; for the XML family the body does, not the path (saml2-xacml2.md §2.2,
 * §10 item 1).
 */
@Controller()
export class AuthorizationController {
  constructor(@Inject(AUTHORIZATION_SERVICE) private readonly service: AuthorizationService) {}

  @Post(['/', '*'])
  @HttpCode(200)
  async authorize(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    // The guard ran first: no route is reached without an authenticated caller.
    const caller = requestCaller(request);
    // The deadline counts from the request's arrival (fastify's start time), body upload and queueing included.
    const contentType = request.headers['content-type'];
    const path = request.url.split('?')[0] ?? '/';
    const answer = await this.service.answer(body, caller, request.log, performance.now() - reply.elapsedTime, path, contentType);
    await reply
      .status(answer.status)
      .header('content-type', answer.contentType)
      .header('cache-control', 'no-cache, no-store')
      .header('pragma', 'no-cache')
      .send(answer.body);
  }
}
