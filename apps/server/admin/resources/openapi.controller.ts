import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/roles';
import { openApiDocument } from '../http/openapi';

/** The OpenAPI document needs no credentials (it describes, it does not reveal). */
@Controller()
export class OpenApiController {
  private readonly document = openApiDocument();

  @Get('openapi.json')
  @Public()
  openapi(): Record<string, unknown> {
    return this.document;
  }
}
