import { type DynamicModule, Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';
import { METRICS_TEXT, MetricsController, type MetricsText } from './metrics.controller';

/** The plain-HTTP management listener (loopback by default): probes now, /metrics later. */
@Module({})
export class ManagementModule {
  static register(checks: readonly ReadinessCheck[], metrics: MetricsText): DynamicModule {
    return {
      module: ManagementModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: READINESS_CHECKS, useValue: checks },
        { provide: METRICS_TEXT, useValue: metrics },
      ],
    };
  }
}
