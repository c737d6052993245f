import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';

/** Kubernetes probes: /healthz says the process is alive, /readyz that it can decide (503 until then). */
@Controller()
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[]) {}

  @Get('healthz')
  healthz(): { status: string } {
    return { status: 'alive' };
  }

  @Get('readyz')
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          return { name: c.name, ...(await c.check()) };
        } catch (err) {
          return { name: c.name, ok: false, detail: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    await reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: results });
  }
}
