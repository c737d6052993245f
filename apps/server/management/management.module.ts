import { type DynamicModule, Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';

/** The plain-HTTP management listener (loopback by default): probes now, /metrics later. */
@Module({})
export class ManagementModule {
  static register(checks: readonly ReadinessCheck[]): DynamicModule {
    return {
      module: ManagementModule,
      controllers: [HealthController],
      providers: [{ provide: READINESS_CHECKS, useValue: checks }],
    };
  }
}
