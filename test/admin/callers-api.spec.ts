import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { decodeXacmlResponse, encodeXacmlQuery } from '@gridauthz/protocols';
import { CallerAdministration, type Database } from '@gridauthz/persistence';
import { fixturePki, proxyIdentity, readFixture, userIdentity } from '../support/fixtures';
import { adminApiArgs, certArgs } from '../support/cli-args';
import { runCliOrThrow as cli } from '../support/in-process-cli';
import { httpsCall } from '../support/https-client';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import type { TestServer } from '../support/test-server';
import { adminCall, startAdminTestServer } from './admin-support';

const operator = () => userIdentity('pilot');

const auditor = () => userIdentity('alice');

/** Callers through the admin API (docs/callers.md), and what they change for the PDP. */
describe(`callers admin API (${databaseLabel()})`, () => {
  let t: TestServer;
  let db: Database;
  const bobDn = () => fixturePki().users['bob']?.subject ?? '';

  beforeAll(async () => {
    ({ t, db } = await startAdminTestServer({ pilot: 'operator', alice: 'auditor' }));
  });
  afterAll(async () => t?.close());

  const auditRows = (action: string) => db.dataSource.query<{ actor_dn: string; target: string; before: unknown; after: unknown }[]>(`SELECT * FROM admin_audit WHERE action = $1 ORDER BY id`, [action]);
  /** Bob's own certificate asks for Alice's payload mapping, with Alice's VOMS proxy as the payload chain. */
  const bobAsksForAlice = () => askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: userIdentity('bob'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });

  it('lists the seeded callers of the dev site with their source', async () => {
    const r = await adminCall(t, { path: '/callers', identity: auditor() });
    expect(r.status).toBe(200);
    const callers = r.json['callers'] as { dn: string; role: string; source: string }[];
    expect(callers).toContainEqual(expect.objectContaining({ dn: fixturePki().host.subject, role: 'asserter', source: 'database' }));
    expect(callers).toContainEqual(expect.objectContaining({ dn: fixturePki().users['pilot']?.subject, role: 'pilot', source: 'database' }));
  });

  it('an auditor cannot add a caller, and nothing is audited', async () => {
    const r = await adminCall(t, { path: '/callers', method: 'POST', identity: auditor(), body: { dn: bobDn(), role: 'pilot' } });
    expect(r.status).toBe(403);
    expect(await auditRows('caller.add')).toHaveLength(0);
  });

  it('refuses a role that is not pilot or asserter, and a DN that does not parse', async () => {
    expect((await adminCall(t, { path: '/callers', method: 'POST', identity: operator(), body: { dn: bobDn(), role: 'admin' } })).status).toBe(400);
    const bad = await adminCall(t, { path: '/callers', method: 'POST', identity: operator(), body: { dn: 'not a dn', role: 'pilot' } });
    expect(bad.status).toBe(422);
  });

  it('an operator makes Bob a pilot (RFC 2253 form, same caller); the PDP honours it at once; removing it ends it', async () => {
    const before = await bobAsksForAlice();
    expect(before.answer?.decision).toBe('Deny');
    const rfc = Dn.parse(bobDn()).toRfc2253();
    const added = await adminCall(t, { path: '/callers', method: 'POST', identity: operator(), body: { dn: rfc, role: 'pilot', comment: 'glidein factory' } });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ role: 'pilot', comment: 'glidein factory', created: true });
    const audit = await auditRows('caller.add');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_dn: fixturePki().users['pilot']?.subject, after: expect.objectContaining({ role: 'pilot' }) });

    const after = await bobAsksForAlice();
    expect(after.answer?.decision).toBe('Permit');
    expect(after.answer?.username).toMatch(/^atlas/);

    const removed = await adminCall(t, { path: '/callers/remove', method: 'POST', identity: operator(), body: { dn: bobDn(), role: 'pilot' } });
    expect(removed.status).toBe(200);
    expect(await auditRows('caller.remove')).toHaveLength(1);
    expect((await bobAsksForAlice()).answer?.decision).toBe('Deny');
    const again = await adminCall(t, { path: '/callers/remove', method: 'POST', identity: operator(), body: { dn: bobDn() } });
    expect(again.status).toBe(404);
  });

  it('a change written to the database by another process (the CLI) reaches the server within a second', async () => {
    expect((await bobAsksForAlice()).answer?.decision).toBe('Deny');
    // What `gridauthz caller add` does: the table and its audit row, nothing told to the server.
    await new CallerAdministration(db).add(Dn.parse(bobDn()), 'pilot', 'cli test', { dn: 'cli:test', role: 'direct', credential: 'cli' });
    const started = Date.now();
    let decision: string | undefined;
    while (Date.now() - started < 1000) {
      await new Promise((r) => setTimeout(r, 100));
      decision = (await bobAsksForAlice()).answer?.decision;
      if (decision === 'Permit') break;
    }
    expect(decision).toBe('Permit');
    await new CallerAdministration(db).remove(Dn.parse(bobDn()), undefined, { dn: 'cli:test', role: 'direct', credential: 'cli' });
  });

  it('gridauthz caller add|list|remove --api go through the admin API of the running server', async () => {
    const u = fixturePki().users['pilot'];
    if (!u) throw new Error('no pilot user');
    const api = ['--api', ...adminApiArgs(t), ...certArgs('pilot')];
    const ce = '/DC=org/DC=example/CN=host/ce77.example.org';
    await cli(['caller', 'add', ce, '--role', 'asserter', '--comment', 'via api', ...api]);
    const listed = JSON.parse(await cli(['caller', 'list', '--json', ...api])) as { callers: { dn: string; role: string }[] };
    expect(listed.callers).toContainEqual(expect.objectContaining({ dn: ce, role: 'asserter' }));
    await cli(['caller', 'remove', ce, ...api]);
    const audit = await auditRows('caller.add');
    expect(audit.at(-1)).toMatchObject({ actor_dn: u.subject, target: `${ce} asserter` });
  });

  it('refuses a pilot that names a payload DN without the payload chain (authz-interop, chain stripped)', async () => {
    const proxy = fixturePki().proxies['alice-voms'];
    if (!proxy) throw new Error('no alice-voms proxy');
    const query = encodeXacmlQuery({ dialect: 'authz-interop', subjectChainPem: readFixture(proxy.file), subjectDn: proxy.identity, hostName: 'wn042.example.org', now: new Date(), idGenerator: randomUUID });
    const body = query.body.replace(/<(\w+):Attribute [^>]*AttributeId="http:\/\/authz-interop\.org\/xacml\/subject\/cert-chain"[\s\S]*?<\/\1:Attribute>/, '');
    expect(body).not.toContain('cert-chain');
    const http = await httpsCall({ url: `${t.server.pdpUrl}/`, method: 'POST', ca: t.ca, identity: proxyIdentity('pilot-voms'), body, headers: { soapaction: query.soapAction } });
    const answer = decodeXacmlResponse(http.body, query.expect);
    expect(answer.ok && answer.value.decision).toBe('Deny');
    const [last] = await db.dataSource.query<{ reasons: string[]; username: string | null }[]>(`SELECT reasons, username FROM decision_record WHERE subject_dn = $1 ORDER BY decided_at DESC LIMIT 1`, [proxy.identity]);
    expect(last?.reasons).toContain('CALLER_CHAIN_REQUIRED');
    expect(last?.username).toBeNull();
  });
});
