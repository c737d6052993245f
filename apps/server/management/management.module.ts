import { type DynamicModule, Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';
import { MetricsController, PROMETHEUS_REGISTRY } from './metrics.controller';
import type { Registry } from 'prom-client';

/** The plain-HTTP management listener (loopback by default): probes now, /metrics later. */
@Module({})
export class ManagementModule {
  static register(checks: readonly ReadinessCheck[], registry: Registry): DynamicModule {
    return {
      module: ManagementModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: READINESS_CHECKS, useValue: checks },
        { provide: PROMETHEUS_REGISTRY, useValue: registry },
      ],
    };
  }
}
