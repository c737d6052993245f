import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
export const METRICS_TEXT = Symbol('MetricsText');

/** The scrape body and its content type: this process's registry, or the whole cluster's via the supervisor. */
export interface MetricsText {
  readonly contentType: string;
  render(): Promise<string>;
}

/** Prometheus scrape endpoint on the management listener. */
@Controller()
export class MetricsController {
  constructor(@Inject(METRICS_TEXT) private readonly metrics: MetricsText) {}

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('content-type', this.metrics.contentType).send(await this.metrics.render());
  }
}
