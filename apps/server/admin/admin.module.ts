import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ProblemFilter } from '../http/problem';
import { CALLER_AUTHENTICATOR, type CallerAuthenticator } from '../tls/caller-authenticator';
import { ADMIN_CONTEXT, type AdminContext } from './admin-context';
import { AdminAuthGuard } from './auth/admin-auth.guard';
import { BansController } from './resources/bans.controller';
import { CallersController } from './resources/callers.controller';
import { ForensicsController } from './resources/forensics.controller';
import { LeasesController } from './resources/leases.controller';
import { MappingController } from './resources/mapping.controller';
import { OpenApiController } from './resources/openapi.controller';
import { OperationsController } from './resources/operations.controller';
import { PoliciesController } from './resources/policies.controller';
import { TokensController } from './resources/tokens.controller';

/** The admin REST API: every route behind the passport guard (certificate or bearer token) and role checks. */
@Module({})
export class AdminModule {
  static register(options: { authenticator: CallerAuthenticator; context: AdminContext }): DynamicModule {
    return {
      module: AdminModule,
      controllers: [OpenApiController, BansController, CallersController, MappingController, LeasesController, PoliciesController, ForensicsController, OperationsController, TokensController],
      providers: [
        { provide: CALLER_AUTHENTICATOR, useValue: options.authenticator },
        { provide: ADMIN_CONTEXT, useValue: options.context },
        { provide: APP_GUARD, useClass: AdminAuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
