import type { Account, AuthzQuery, AuthzResult } from '@gridauthz/domain';
import { XS } from '../../../profiles/xacml';
import { allAttributes, valuesOf } from '../../context';
import { fulfilledOn, isAccountObligation, passedThrough } from '../dialect';
import type { RenderedObligation, RenderedResult, XacmlDialect } from '../dialect';
import { AUTHZ_INTEROP } from './profile';

const ob = AUTHZ_INTEROP.obligation;
const at = AUTHZ_INTEROP.attribute;
const pilot = AUTHZ_INTEROP.environment.pilotJob;

/**
 * SCAS/GUMS dialect (saml2-xacml2.md §5.2, §6.1): any attribute under http://authz-interop.org/xacml/ (§4.4 item 3).
 * Answers in numbers, only what the PEP advertised in pep-oblig-supported (§6.1; the OSG Java client fails on any
 * other, §8.2, §14 item 3), never NotApplicable, errors always processing-error (§7.3).
 */
export const authzInterop: XacmlDialect = {
  name: 'authz-interop',
  precedence: 3,
  detect: (context) => allAttributes(context).some((a) => a.id.startsWith(AUTHZ_INTEROP.prefix)),
  accountExpected: true,
  resourceNamesHost: false,
  responseIssuer: true,
  resultResourceId: false,
  extract: {
    subjectDn: [AUTHZ_INTEROP.subject.x509Id],
    eecIssuer: [AUTHZ_INTEROP.subject.x509Issuer],
    chain: [AUTHZ_INTEROP.subject.certChain],
    vo: [AUTHZ_INTEROP.subject.vo],
    fqans: (subject) => [{ attribute: AUTHZ_INTEROP.subject.vomsFqan, values: valuesOf(subject, AUTHZ_INTEROP.subject.vomsFqan) }],
    primaryFqans: (subject) => [{ attribute: AUTHZ_INTEROP.subject.vomsPrimaryFqan, values: valuesOf(subject, AUTHZ_INTEROP.subject.vomsPrimaryFqan) }],
    fqanIssuer: (subject) => {
      const issuer = subject.find((a) => a.id === AUTHZ_INTEROP.subject.vomsPrimaryFqan)?.issuer?.trim();
      return issuer === undefined || issuer === '' || issuer === AUTHZ_INTEROP.issuerNone ? undefined : issuer;
    },
    hostDn: [AUTHZ_INTEROP.resource.x509Id],
    hostName: [AUTHZ_INTEROP.resource.dnsHostName],
    // pep-oblig-supported may name an obligation by its last path segment (§5.2).
    obligationsSupported: (environment) =>
      valuesOf(environment, AUTHZ_INTEROP.environment.pepObligSupported)
        .map((value) => (value.includes(':') ? value : `${AUTHZ_INTEROP.obligationPrefix}${value}`))
        .filter((value, index, list) => list.indexOf(value) === index),
    pilotJob: (context, read) => {
      const env = context.environment;
      const dnId = [pilot.x509Id, pilot.x509IdMisspelt].find((candidate) => valuesOf(env, candidate).length > 0);
      const dn = dnId === undefined ? undefined : read.dn(dnId, valuesOf(env, dnId)[0]);
      const issuerDn = read.dn(pilot.x509Issuer, valuesOf(env, pilot.x509Issuer)[0]);
      const vo = valuesOf(env, pilot.vo)[0];
      const fqans = read.fqans(pilot.vomsFqan, valuesOf(env, pilot.vomsFqan));
      const primaryFqan = read.fqans(pilot.vomsPrimaryFqan, valuesOf(env, pilot.vomsPrimaryFqan))[0];
      return { dn, issuerDn, vo, fqans: fqans.length === 0 ? undefined : fqans, primaryFqan };
    },
    refuse: (context, _subject, ambiguous) => {
      // One pilot job at most: glexec's caller names one.
      const pilotDns = valuesOf(context.environment, pilot.x509Id, pilot.x509IdMisspelt);
      if (new Set(pilotDns).size > 1) ambiguous(pilot.x509Id, `the request names ${pilotDns.length} pilot jobs`);
    },
  },
  render: renderAuthzInterop,
};

function renderAuthzInterop(result: AuthzResult, query: AuthzQuery): RenderedResult {
  const message = result.statusMessage === undefined ? {} : { statusMessage: result.statusMessage };
  const supported = query.obligationsSupported;
  const wanted = supported.length > 0 ? supported : [ob.uidgid, ob.secondaryGids, ob.username];
  const want = (id: string): boolean => wanted.includes(id);
  const mapping: readonly string[] = [ob.uidgid, ob.secondaryGids, ob.username, ob.account].filter(want);

  if (result.decision === 'Indeterminate') return { decision: 'Indeterminate', status: 'processing-error', ...message, obligations: [] };
  if (result.decision === 'Deny' || result.decision === 'NotApplicable') {
    // The OSG client dereferences Obligations even on Deny (§14 item 2): answer as GUMS did, with an empty username.
    const obligations: RenderedObligation[] = want(ob.username) ? [{ id: ob.username, fulfillOn: 'Permit', assignments: [{ id: at.username, dataType: XS.string, value: '' }] }] : [];
    return { decision: 'Deny', status: 'ok', ...(result.decision === 'Deny' ? message : {}), obligations };
  }
  const account = result.account;
  if (account === undefined && mapping.length > 0) {
    // A Permit the PEP cannot enforce would leave LCMAPS without a uid (§8.1): say so rather than pretend.
    return { decision: 'Indeterminate', status: 'processing-error', statusMessage: 'permitted, but no local account was mapped', obligations: [] };
  }
  // The policy's other obligations, where the PEP advertised them (§6.1): pep-oblig-supported is the PEP's whole list.
  const others = result.obligations
    .filter(fulfilledOn(result))
    .filter((o) => !isAccountObligation(o) && supported.includes(o.id) && !mapping.includes(o.id))
    .map(passedThrough);
  const accountObligations = account === undefined ? [] : numbers(account, want);
  return { decision: 'Permit', status: result.status, ...message, obligations: [...accountObligations, ...others] };
}

/** §6.1: uidgid, secondary-gids (at most 32), username, and GUMS's account only when advertised. */
function numbers(account: Account, want: (id: string) => boolean): RenderedObligation[] {
  const obligations: RenderedObligation[] = [];
  if (want(ob.uidgid)) {
    obligations.push({
      id: ob.uidgid,
      fulfillOn: 'Permit',
      assignments: [
        { id: at.posixUid, dataType: XS.integer, value: String(account.uid) },
        { id: at.posixGid, dataType: XS.integer, value: String(account.gid) },
      ],
    });
  }
  const secondary = [...new Set(account.secondaryGids)].slice(0, AUTHZ_INTEROP.maxSecondaryGids);
  if (want(ob.secondaryGids) && secondary.length > 0) {
    obligations.push({ id: ob.secondaryGids, fulfillOn: 'Permit', assignments: secondary.map((gid) => ({ id: at.posixGid, dataType: XS.integer, value: String(gid) })) });
  }
  if (want(ob.username)) obligations.push({ id: ob.username, fulfillOn: 'Permit', assignments: [{ id: at.username, dataType: XS.string, value: account.username }] });
  if (want(ob.account) && account.groupName !== undefined) {
    obligations.push({
      id: ob.account,
      fulfillOn: 'Permit',
      assignments: [
        { id: at.username, dataType: XS.string, value: account.username },
        { id: at.primaryGroupname, dataType: XS.string, value: account.groupName },
      ],
    });
  }
  return obligations;
}
