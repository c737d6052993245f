import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseLabel } from '../support/test-database';
import type { TestServer } from '../support/test-server';
import { userIdentity } from '../support/fixtures';
import { adminCall, startAdminTestServer } from './admin-support';
import { checkOpenApiDocument } from './openapi-structure';

describe(`admin API OpenAPI document (${databaseLabel()})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    ({ t } = await startAdminTestServer({ alice: 'auditor' }));
  });
  afterAll(async () => t?.close());

  const fetchDoc = async () => {
    const r = await adminCall(t, { path: '/openapi.json' });
    expect(r.status).toBe(200);
    return r.json;
  };

  it('is served without credentials and passes the OpenAPI 3.1 structural check', async () => {
    const doc = await fetchDoc();
    expect(doc['openapi']).toBe('3.1.0');
    expect(checkOpenApiDocument(doc)).toEqual([]);
  });

  it('the structural check catches what it claims to', () => {
    const broken = {
      openapi: '3.0.0',
      info: { title: 'x' },
      paths: { '/a/{id}': { get: { operationId: 'a', responses: {} } }, '/b': { post: { operationId: 'a', responses: { '200': {} }, requestBody: { content: { 'application/json': { schema: { type: 'nonsense' } } } } } } },
      components: { responses: { x: { $ref: '#/components/schemas/Missing' } } },
    };
    const problems = checkOpenApiDocument(broken).join('\n');
    expect(problems).toMatch(/openapi/);
    expect(problems).toMatch(/version/);
    expect(problems).toMatch(/path parameter id not declared/);
    expect(problems).toMatch(/duplicate operationId/);
    expect(problems).toMatch(/invalid JSON Schema/);
    expect(problems).toMatch(/unresolvable \$ref/);
  });

  it('every route in the document answers (not 404, not 500), with a problem+json body on refusals', async () => {
    const doc = await fetchDoc();
    const examples: Record<string, string> = { id: 'atlas', name: 'atlas' };
    const queries: Record<string, string> = { '/audit/who': '?uid=61001&host=wn042.example.org&at=2026-11-20T14:05Z' };
    const token = await adminCall(t, { path: '/tokens', method: 'POST', identity: userIdentity('alice'), body: { label: 'route check' } });
    const versions = (await adminCall(t, { path: '/policies', identity: userIdentity('alice') })).json['versions'] as { id: string }[];
    let checked = 0;
    for (const [template, item] of Object.entries(doc['paths'] as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) {
        let path = template.replace(/\{(\w+)\}/g, (_m, name: string) => examples[name] ?? 'x');
        if (template === '/policies/{id}' || template === '/policies/{id}/activate') path = `/policies/${versions[0]?.id}`;
        if (template === '/policies/{id}/activate') path += '/activate';
        if (template === '/tokens/{id}') path = `/tokens/${String(token.json['id'])}`;
        if (template === '/rules/{id}') path = '/rules/dev:dteam';
        path += queries[template] ?? '';
        // An auditor reads everything; writes are refused by role after routing, which proves the route exists.
        const r = await adminCall(t, { path, method: method.toUpperCase(), identity: userIdentity('alice'), ...(method === 'post' || method === 'put' ? { body: {} } : {}) });
        const where = `${method.toUpperCase()} ${path} -> ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`;
        expect(r.status, where).not.toBe(404);
        expect(r.status, where).toBeLessThan(500);
        if (r.status >= 400) expect(r.contentType, where).toContain('application/problem+json');
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(30);
  });
});
