import { performance } from 'node:perf_hooks';
import { Controller, Get, Header, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  answerPermits,
  AUTHZEN_EVALUATION_PATH,
  AUTHZEN_EVALUATIONS_PATH,
  AUTHZEN_METADATA_PATH,
  AuthzenCodec,
  authzenMetadata,
  type AuthzenMetadata,
  type CodecInput,
  type EncodedAnswer,
} from '@gridauthz/protocols';
import type { AuthenticatedCaller } from '../tls/caller-authenticator';
import { AUTHORIZATION_SERVICE } from './authorization.controller';
import { requestCaller } from './request-caller';
import type { AuthorizationService, PdpAnswer } from './authorization-service';

const encoded = (a: PdpAnswer): EncodedAnswer => ({ httpStatus: a.status, contentType: a.contentType, body: a.body });

/** Injection token: () => the PDP's base URL as PEPs reach it (pdp.publicUrl, public-url.ts). */
export const PDP_PUBLIC_URL = Symbol('PDP_PUBLIC_URL');

/** Printable ASCII, as a header value can carry it; long enough for any UUID or trace id. */
const REQUEST_ID = /^[\x20-\x7e]{1,256}$/;

/**
 * The AuthZEN Authorization API 1.0 endpoints on the PDP listener (docs/authzen.md): the client-certificate guard
 * authenticates the PEP as for every other protocol (§11.2 leaves the means to us), the codec reads the JSON,
 * and each evaluation goes through AuthorizationService.answerWith like any other message.
 */
@Controller()
export class AuthzenController {
  private readonly codec = new AuthzenCodec();

  constructor(
    @Inject(AUTHORIZATION_SERVICE) private readonly service: AuthorizationService,
    @Inject(PDP_PUBLIC_URL) private readonly publicUrl: () => string,
  ) {}

  /**
   * The PDP metadata document (spec §9; docs/authzen.md §1.1). Behind the client-certificate guard like every route
   * of this listener; its URLs come from configuration, never from the request's Host header.
   */
  @Get(AUTHZEN_METADATA_PATH)
  @Header('content-type', 'application/json')
  metadata(): AuthzenMetadata {
    return authzenMetadata(this.publicUrl());
  }

  @Post(AUTHZEN_EVALUATION_PATH)
  @HttpCode(200)
  async evaluation(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle(request, reply, async (input, caller, arrived) => encoded(await this.service.answerWith(this.codec, input, caller, request.log, arrived)));
  }

  @Post(AUTHZEN_EVALUATIONS_PATH)
  @HttpCode(200)
  async evaluations(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle(request, reply, async (input, caller, arrived) => {
      const split = this.codec.splitEvaluations(input);
      if (!split.ok) {
        request.log.warn({ protocol: 'authzen', code: split.error.code, detail: split.error.detail }, 'undecodable request');
        return this.codec.encodeError(split.error);
      }
      const [first] = split.value.inputs;
      if (split.value.request.kind === 'single' && first) return encoded(await this.service.answerWith(this.codec, first, caller, request.log, arrived));
      const semantic = split.value.request.kind === 'batch' ? split.value.request.semantic : 'execute_all';
      // One after the other, in request order: the short-circuit semantics (§7.1.2.1) stop at the first deny or
      // permit, and a user's evaluations then find the lease the first one took.
      const answers: EncodedAnswer[] = [];
      for (const one of split.value.inputs) {
        const answer = encoded(await this.service.answerWith(this.codec, one, caller, request.log, arrived));
        answers.push(answer);
        if (semantic === 'deny_on_first_deny' && !answerPermits(answer)) break;
        if (semantic === 'permit_on_first_permit' && answerPermits(answer)) break;
      }
      return this.codec.joinEvaluations(answers);
    });
  }

  private async handle(
    request: FastifyRequest,
    reply: FastifyReply,
    answer: (input: CodecInput, caller: AuthenticatedCaller, arrivedMs: number) => Promise<EncodedAnswer>,
  ): Promise<void> {
    const caller = requestCaller(request);
    // §10.1.3: the PEP's request identifier comes back unchanged. One the response header could not carry unchanged
    // is refused rather than altered.
    const requestId = request.headers['x-request-id'];
    let result: EncodedAnswer;
    if (requestId !== undefined && (typeof requestId !== 'string' || !REQUEST_ID.test(requestId))) {
      result = { httpStatus: 400, contentType: 'text/plain; charset=utf-8', body: 'PROTO_QUERY_INVALID: X-Request-ID must be one header of 1 to 256 printable ASCII characters' };
    } else {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const input: CodecInput = { path: request.url, body, ...(request.headers['content-type'] !== undefined ? { contentType: request.headers['content-type'] } : {}) };
      result = await answer(input, caller, performance.now() - reply.elapsedTime);
      if (requestId !== undefined) void reply.header('x-request-id', requestId);
    }
    await reply.status(result.httpStatus).header('content-type', result.contentType).header('cache-control', 'no-cache, no-store').send(result.body);
  }
}
