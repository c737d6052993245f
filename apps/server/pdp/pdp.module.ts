import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ProblemFilter } from '../http/problem';
import { CALLER_AUTHENTICATOR, type CallerAuthenticator, CLOCK, type Clock } from '../tls/caller-authenticator';
import { ClientCertificateGuard } from '../tls/client-certificate.guard';
import { StatusController } from './status.controller';

export interface PdpModuleOptions {
  readonly authenticator: CallerAuthenticator;
  readonly clock: Clock;
}

/** The mutual-TLS PDP listener: every route sits behind the client-certificate guard. */
@Module({})
export class PdpModule {
  static register(options: PdpModuleOptions): DynamicModule {
    return {
      module: PdpModule,
      controllers: [StatusController],
      providers: [
        { provide: CALLER_AUTHENTICATOR, useValue: options.authenticator },
        { provide: CLOCK, useValue: options.clock },
        { provide: APP_GUARD, useClass: ClientCertificateGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
