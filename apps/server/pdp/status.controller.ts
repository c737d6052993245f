import { Controller, Get, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { SERVICE_VERSION } from '../version';

/**
 * GET /status on the PDP listener: tells an authenticated caller who the service thinks it is. Sites use it
 * to check their client set-up (certificate, proxy, CA) before pointing glexec or a CE at the service.
 */
@Controller()
export class StatusController {
  @Get('status')
  status(@Req() request: FastifyRequest): Record<string, unknown> {
    const caller = request.caller;
    return {
      service: 'gridauthz',
      version: SERVICE_VERSION,
      caller: caller && {
        dn: caller.dn.toSlash(),
        dnRfc2253: caller.dn.toRfc2253(),
        viaProxy: caller.viaProxy,
        limited: caller.limited,
        chainLength: caller.chainLength,
        notAfter: caller.notAfter.toISOString(),
      },
    };
  }
}
