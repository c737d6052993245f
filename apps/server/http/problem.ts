import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { encodeSoapFault } from '@gridauthz/protocols';

/** An RFC 9457 problem with a stable machine-readable code. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
  ) {
    super({ code, title, detail }, status);
  }
}

/** Renders every error as application/problem+json; unexpected errors say nothing of their internals. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let body: Record<string, unknown> = { code: 'INTERNAL_ERROR', title: 'Internal server error', detail: 'the request could not be completed' };
    const tooLarge =
      (exception as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' || (exception instanceof HttpException && exception.getStatus() === 413);
    if (tooLarge) {
      // Refused before parsing (saml2-xacml2.md §2.1): SOAP clients get a fault they understand.
      request.log.warn({ status: 413 }, 'request body over the limit; refused before decoding');
      // AuthZEN PEPs read an error message string (docs/authzen.md §5), not a SOAP fault.
      if (/^\/access\/v1\/evaluations?(\?|$)/.test(request.url)) {
        void reply.status(413).header('content-type', 'text/plain; charset=utf-8').send('PROTO_BODY_TOO_LARGE: request body exceeds the size limit');
        return;
      }
      void reply.status(413).header('content-type', 'text/xml; charset=UTF-8').send(encodeSoapFault('Client', 'request body exceeds the size limit'));
      return;
    }
    if (exception instanceof ProblemException) {
      status = exception.getStatus();
      body = { code: exception.code, title: exception.title, detail: exception.detail };
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      body = { code: `HTTP_${status}`, title: exception.message, detail: exception.message };
    } else {
      request.log.error({ err: exception }, 'unhandled error');
    }
    void reply
      .status(status)
      .header('content-type', 'application/problem+json')
      .send({ type: 'about:blank', status, ...body, instance: request.url, requestId: request.id });
  }
}
