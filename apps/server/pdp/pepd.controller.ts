import { performance } from 'node:perf_hooks';
import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PepdCodec } from '@gridauthz/protocols';
import { AuthorizationService } from './authorization-service';
import { AUTHORIZATION_SERVICE } from './authorization.controller';
import { requestCaller } from './request-caller';

/**
 * POST /authz on the PEPd listener: what glexec's c-pep plugin, ARC and pepcli send to an Argus PEP daemon
 * (docs/pepd.md §6). The codec does the wire format; the service the limits, the decision and the record.
 */
@Controller()
export class PepdController {
  private readonly codec = new PepdCodec();

  constructor(@Inject(AUTHORIZATION_SERVICE) private readonly service: AuthorizationService) {}

  @Post('authz')
  @HttpCode(200)
  async authorize(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const contentType = request.headers['content-type'];
    const input = { path: request.url, ...(contentType !== undefined ? { contentType } : {}), body };
    // The deadline counts from the request's arrival (fastify's start time), body upload and queueing included.
    const answer = await this.service.answerWith(this.codec, input, requestCaller(request), request.log, performance.now() - reply.elapsedTime);
    await reply.status(answer.status).header('content-type', answer.contentType).header('cache-control', 'no-cache, no-store').send(answer.body);
  }
}
