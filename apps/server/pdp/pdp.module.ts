import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ProblemFilter } from '../http/problem';
import { CALLER_AUTHENTICATOR, type CallerAuthenticator, CLOCK, type Clock } from '../tls/caller-authenticator';
import { ClientCertificateGuard } from '../tls/client-certificate.guard';
import { AUTHORIZATION_SERVICE, AuthorizationController } from './authorization.controller';
import type { AuthorizationService } from './authorization-service';
import { PepdController } from './pepd.controller';
import { StatusController } from './status.controller';
import { AuthzenController, PDP_PUBLIC_URL } from './authzen.controller';
import { METRICS, type MetricsSink } from '../metrics/service-metrics';

export interface PdpModuleOptions {
  readonly authenticator: CallerAuthenticator;
  readonly clock: Clock;
  readonly authorization: AuthorizationService;
  readonly metrics: MetricsSink;
}

export interface PdpListenerOptions extends PdpModuleOptions {
  /** The PDP's base URL as PEPs reach it (pdp.publicUrl), read when a request asks for it: known once listening. */
  readonly publicUrl: () => string;
}

const providers = (options: PdpModuleOptions) => [
  { provide: CALLER_AUTHENTICATOR, useValue: options.authenticator },
  { provide: CLOCK, useValue: options.clock },
  { provide: AUTHORIZATION_SERVICE, useValue: options.authorization },
  { provide: METRICS, useValue: options.metrics },
  { provide: APP_GUARD, useClass: ClientCertificateGuard },
  { provide: APP_FILTER, useClass: ProblemFilter },
];

/** The mutual-TLS PDP listener: every route sits behind the client-certificate guard. */
@Module({})
export class PdpModule {
  static register(options: PdpListenerOptions): DynamicModule {
    return {
      module: PdpModule,
      // StatusController first: its GET /status must not be shadowed by the catch-all POST route.
      controllers: [StatusController, AuthzenController, AuthorizationController],
      providers: [...providers(options), { provide: PDP_PUBLIC_URL, useValue: options.publicUrl }],
    };
  }
}

/** The mutual-TLS PEPd listener (docs/pepd.md §6): POST /authz and GET /status, behind the same guard and callers. */
@Module({})
export class PepdModule {
  static register(options: PdpModuleOptions): DynamicModule {
    return { module: PepdModule, controllers: [StatusController, PepdController], providers: providers(options) };
  }
}
