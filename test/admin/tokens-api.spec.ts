import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@gridauthz/persistence';
import { userIdentity } from '../support/fixtures';
import { databaseLabel } from '../support/test-database';
import type { TestServer } from '../support/test-server';
import { adminCall, startAdminTestServer } from './admin-support';

const officer = () => userIdentity('bob');
const operator = () => userIdentity('pilot');
const auditor = () => userIdentity('alice');
const ATLAS = 'https://atlas-auth.web.cern.ch/';

/** Token bans, run-time issuers and token links through the admin API (docs/admin-api.md, docs/mapping-tokens.md). */
describe(`token admin API (${databaseLabel()})`, () => {
  let t: TestServer;
  let db: Database;
  beforeAll(async () => {
    ({ t, db } = await startAdminTestServer({ bob: 'security-officer', pilot: 'operator', alice: 'auditor' }, { tokens: { audiences: ['https://ce.example.org'], acceptAnyAudience: false, issuers: [] } }));
  });
  afterAll(async () => t?.close());
  const audit = (prefix: string) => db.dataSource.query<{ action: string; target: string }[]>(`SELECT action, target FROM admin_audit WHERE action LIKE $1 ORDER BY id`, [`${prefix}%`]);

  it('bans an (issuer, subject) with its issuer kept apart from the subject, and refuses a token ban without an issuer', async () => {
    const r = await adminCall(t, { path: '/bans', method: 'POST', identity: officer(), body: { kind: 'token', issuer: ATLAS, value: 'u-1', reason: 'incident 5' } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ kind: 'token', issuer: ATLAS, value: 'u-1', state: 'active' });
    const listed = await adminCall(t, { path: '/bans?kind=token', identity: auditor() });
    expect(listed.json['bans']).toEqual([expect.objectContaining({ kind: 'token', issuer: ATLAS, value: 'u-1' })]);
    const bare = await adminCall(t, { path: '/bans', method: 'POST', identity: officer(), body: { kind: 'token', value: 'u-2', reason: 'x' } });
    expect(bare.status).toBe(422);
  });

  it('adds, lists and removes a run-time issuer; an operator may, an auditor may not; audited', async () => {
    expect((await adminCall(t, { path: '/issuers', method: 'POST', identity: auditor(), body: { issuer: ATLAS, jwksUrl: 'https://atlas-auth.web.cern.ch/jwk' } })).status).toBe(403);
    expect((await adminCall(t, { path: '/issuers', method: 'POST', identity: operator(), body: { issuer: ATLAS, jwksUrl: 'http://atlas-auth.web.cern.ch/jwk' } })).status).toBe(400);
    const added = await adminCall(t, { path: '/issuers', method: 'POST', identity: operator(), body: { issuer: ATLAS, jwksUrl: 'https://atlas-auth.web.cern.ch/jwk' } });
    expect(added.status).toBe(201);
    const listed = await adminCall(t, { path: '/issuers', identity: auditor() });
    expect(listed.json['issuers']).toEqual([expect.objectContaining({ issuer: ATLAS, source: 'database', inForce: true })]);
    expect((await adminCall(t, { path: '/issuers/remove', method: 'POST', identity: operator(), body: { issuer: ATLAS } })).status).toBe(200);
    expect((await adminCall(t, { path: '/issuers/remove', method: 'POST', identity: operator(), body: { issuer: ATLAS } })).status).toBe(404);
    expect((await audit('issuer.')).map((a) => a.action)).toEqual(['issuer.add', 'issuer.remove']);
  });

  it('links a token identity to a DN and removes the link, audited', async () => {
    const body = { issuer: ATLAS, subject: 'alice-sub', dn: 'CN=Alice,DC=example,DC=org' };
    const added = await adminCall(t, { path: '/token-links', method: 'POST', identity: operator(), body });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ issuer: ATLAS, subject: 'alice-sub', dn: '/DC=org/DC=example/CN=Alice', created: true });
    expect((await adminCall(t, { path: '/token-links', method: 'POST', identity: operator(), body: { ...body, dn: 'not a dn' } })).status).toBe(422);
    expect((await adminCall(t, { path: '/token-links', identity: auditor() })).json['links']).toHaveLength(1);
    expect((await adminCall(t, { path: '/token-links/remove', method: 'POST', identity: operator(), body: { issuer: ATLAS, subject: 'alice-sub' } })).status).toBe(200);
    expect((await audit('token-link.')).map((a) => [a.action, a.target])).toEqual([
      ['token-link.add', `${ATLAS} alice-sub`],
      ['token-link.remove', `${ATLAS} alice-sub`],
    ]);
  });
});
