import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * No OpenAPI 3.1 meta-schema ships in node_modules, so this is a structural check written from the 3.1
 * specification: the document's required shape (ajv against the JSON Schema below), every embedded schema
 * compiled as JSON Schema 2020-12 (OpenAPI 3.1's dialect), path template parameters declared, operationIds unique
 * and every $ref resolvable.
 */
const problemOrRef = { type: 'object' };
const DOCUMENT_SHAPE = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' },
    info: { type: 'object', required: ['title', 'version'], properties: { title: { type: 'string', minLength: 1 }, version: { type: 'string', minLength: 1 } } },
    servers: { type: 'array', items: { type: 'object', required: ['url'] } },
    security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array' } } },
    paths: {
      type: 'object',
      propertyNames: { pattern: '^/' },
      additionalProperties: {
        type: 'object',
        propertyNames: { enum: ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'summary', 'description', 'parameters', 'servers'] },
        additionalProperties: {
          type: 'object',
          required: ['responses'],
          properties: {
            operationId: { type: 'string' },
            parameters: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'in', 'schema'],
                properties: { name: { type: 'string' }, in: { enum: ['path', 'query', 'header', 'cookie'] }, required: { type: 'boolean' } },
                if: { properties: { in: { const: 'path' } } },
                then: { required: ['required'], properties: { required: { const: true } } },
              },
            },
            requestBody: { type: 'object', required: ['content'] },
            responses: { type: 'object', minProperties: 1, propertyNames: { pattern: '^([1-5]\\d\\d|[1-5]XX|default)$' }, additionalProperties: problemOrRef },
          },
        },
      },
    },
    components: {
      type: 'object',
      properties: {
        securitySchemes: {
          type: 'object',
          additionalProperties: { type: 'object', required: ['type'], properties: { type: { enum: ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'] } } },
        },
      },
    },
  },
};

export function checkOpenApiDocument(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const shape = ajv.compile(DOCUMENT_SHAPE);
  if (!shape(doc)) problems.push(...(shape.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
  const schemaCompiler = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true });
  addFormats(schemaCompiler);
  const ids = new Set<string>();
  const paths = (doc['paths'] ?? {}) as Record<string, Record<string, { operationId?: string; parameters?: { name: string; in: string; schema: object }[]; requestBody?: { content: Record<string, { schema: object }> } }>>;
  for (const [path, item] of Object.entries(paths)) {
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (op.operationId !== undefined) {
        if (ids.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`);
        ids.add(op.operationId);
      }
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      for (const name of templated) if (!declared.includes(name as string)) problems.push(`${where}: path parameter ${name} not declared`);
      for (const name of declared) if (!templated.includes(name)) problems.push(`${where}: declared path parameter ${name} not in the template`);
      const schemas = [...(op.parameters ?? []).map((p) => p.schema), ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema)];
      for (const schema of schemas) {
        try {
          schemaCompiler.compile(schema);
        } catch (err) {
          problems.push(`${where}: invalid JSON Schema: ${(err as Error).message}`);
        }
      }
    }
  }
  const text = JSON.stringify(doc);
  for (const m of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
    let node: unknown = doc;
    for (const part of (m[1] as string).split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
    if (node === undefined) problems.push(`unresolvable $ref #/${m[1]}`);
  }
  return problems;
}
