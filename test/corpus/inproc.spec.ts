/**
 * Decision corpus, driver 1: every case decoded with @gridauthz/protocols and decided by the Decider in-process
 * (in-memory decision storage, the real CredentialValidator on the fixture PKI, the caller model and the site state
 * the live server gets: policies/site.spl, the dev mapping, the host as trusted asserter, the dev pilots).
 */
import { describe, expect, it } from 'vitest';
import { CredentialValidator, IgtfTrustStore } from '@gridauthz/credentials';
import { Decider, InMemoryDecisionStorage, type DecisionConfiguration } from '@gridauthz/decision';
import { Dn, silentLog, type AuthzRequest, type AuthzResult } from '@gridauthz/domain';
import { CallerModel, compileMappingConfig, DEFAULT_MAPPING_SETTINGS, type Ban } from '@gridauthz/mapping';
import { parsePolicy } from '@gridauthz/policy';
import { decodePrimaRequest, decodeXacmlQuery, encodePrimaResponse, encodeXacmlResponse, PRIMA_DEFAULT_ISSUER, primaPermitUnreadable } from '@gridauthz/protocols';
import { devMappingConfig } from '../../apps/server/site/dev-site';
import { subjectVerifier } from '../../apps/server/site/subject-verifier';
import { fixturePath, fixturePki } from '../support/fixtures';
import { databaseLabel } from '../support/test-database';
import { bansOf, callerOf, policyText, expectView, loadCorpus, readAnswer, requestOf, type ClientView, type CorpusCase } from './corpus';

/** As config prima.resource in test/support/test-server.ts: PRIMA questions are decided under the CE resource type. */
const PRIMA_RESOURCE = 'http://authz-interop.org/xacml/resource/resource-type/ce';

async function inProcessSite(policyFiles: readonly string[]) {
  const pki = fixturePki();
  const compiled = compileMappingConfig(devMappingConfig({ hostDn: pki.host.subject, pilotDn: pki.users['pilot']?.subject ?? '' }), DEFAULT_MAPPING_SETTINGS);
  if (!compiled.ok) throw new Error(compiled.error.detail);
  const policy = parsePolicy(policyText(policyFiles), policyFiles.join(' + '));
  if (!policy.ok) throw new Error(JSON.stringify(policy.error.diagnostics));
  const store = await IgtfTrustStore.open({ caDir: fixturePath(pki.caDir), vomsDir: fixturePath(pki.vomsDir), log: silentLog });
  // The server's caller model: pdp.trustedAsserters (the host) plus the dev mapping's payload callers as pilots.
  const callers = CallerModel.of([
    { dn: Dn.parse(pki.host.subject), role: 'asserter', source: 'config' },
    ...compiled.value.payloadCallers.map((c) => ({ dn: c.parsedDn, role: 'pilot' as const, source: 'legacy' as const })),
  ]);
  let bans: readonly Ban[] = [];
  const configuration: DecisionConfiguration = { policy: () => policy.value, mapping: () => compiled.value, bans: () => bans, callers: () => callers };
  const storage = new InMemoryDecisionStorage([...compiled.value.pools.values()]);
  let n = 0;
  const newId = (): string => `_id${(n += 1)}`;
  const decider = new Decider({
    verifier: subjectVerifier(new CredentialValidator(store), { limitedProxyPayload: 'deny' }),
    configuration,
    storage,
    newId,
    monotonicMs: () => 0,
    log: silentLog,
  });
  return {
    storage,
    async run(c: CorpusCase, now: Date): Promise<{ result: AuthzResult; view: ClientView }> {
      bans = bansOf(c, now);
      const caller = callerOf(c.caller);
      const encoded = requestOf(c, now);
      if (encoded.protocol === 'xacml') {
        const decoded = decodeXacmlQuery(encoded.body);
        if (!decoded.ok) throw new Error(`${decoded.error.code}: ${decoded.error.detail}`);
        const { result } = await decider.decide({ ...decoded.value.request, caller }, now);
        return { result, view: readAnswer(encoded, encodeXacmlResponse(decoded.value, result, { issuer: 'https://gridauthz.test/pdp', now, idGenerator: newId })) };
      }
      // As apps/server/pdp/authorization-service.ts answers PRIMA: the Decider's caller stage applies the Resource rule.
      const decoded = decodePrimaRequest(encoded.body);
      if (!decoded.ok) throw new Error(`${decoded.error.code}: ${decoded.error.detail}`);
      const query = decoded.value;
      if (query.kind !== 'query') throw new Error(`PRIMA request denied: ${query.reason}`);
      const unreadable = primaPermitUnreadable(query);
      const request: AuthzRequest = {
        ...query.request,
        resource: PRIMA_RESOURCE,
        caller,
        ...(unreadable !== undefined ? { defects: [...query.request.defects, { kind: 'missing-attribute' as const, attribute: 'RespondWith/Action', detail: unreadable }] } : {}),
      };
      const { result } = await decider.decide(request, now);
      return { result, view: readAnswer(encoded, encodePrimaResponse(query, result, { issuer: PRIMA_DEFAULT_ISSUER, now, idGenerator: newId, recipient: caller.dn })) };
    },
  };
}

const corpus = loadCorpus();

describe(`decision corpus, in-process Decider (${corpus.length} cases, ${databaseLabel()})`, () => {
  const started = Date.now();
  const accounts = new Map<string, string>();
  // One site per policy set (a case file's site.policy), kept across its cases so leases persist as on a server.
  const sites = new Map<string, Awaited<ReturnType<typeof inProcessSite>>>();
  // Within the fixture credentials' validity, like the live server's clock (the PKI is made at global setup).
  const now = new Date(Date.parse(fixturePki().now) + 60_000);

  it.each(corpus.map((c) => [`${c.file} ${c.id}`, c] as const))('%s', async (_name, c) => {
    const key = c.policy.join(' + ');
    const site = sites.get(key) ?? (await inProcessSite(c.policy));
    sites.set(key, site);
    const { result, view } = await site.run(c, now);
    const context = `${c.id}: ${result.decision} ${result.reasons.join(',')} ${result.statusMessage ?? ''} ${result.account?.username ?? ''}`;
    // What the client reads, checked as the live driver checks it.
    const failures: string[] = [];
    expectView(c, view, accounts, (ok, what) => {
      if (!ok) failures.push(what);
    });
    if (c.disagreement !== undefined) expect(failures, `known disagreement no longer seen: ${c.disagreement}`).not.toEqual([]);
    else expect(failures, context).toEqual([]);
    // The Decider's own result: the account it chose and the reasons it recorded.
    if (c.expect.account === undefined) expect(result.account, context).toBeUndefined();
    if (c.expect.gid !== undefined) expect(result.account?.gid, context).toBe(c.expect.gid);
    if (c.expect.uid !== undefined) expect(result.account?.uid, context).toBe(c.expect.uid);
    for (const reason of c.expect.reasons ?? []) expect(result.reasons.some((r) => r === reason || r.startsWith(`${reason}:`)), context).toBe(true);
    expect(site.storage.records.at(-1)?.id, context).toBe(result.decisionId);
  });

  it('took', () => {
    console.log(`corpus in-process: ${corpus.length} cases in ${Date.now() - started} ms`);
    expect(corpus.length).toBeGreaterThanOrEqual(60);
  });
});
