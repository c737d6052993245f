import type { Account, AuthzResult, DecisionValue, Dialect } from '@gridauthz/domain';
import { faultCodeFor, ProtocolErrorCodes } from '../errors';
import type { ProtocolError, ProtocolResult } from '../errors';
import { encodeSoapFault, soapEnvelope } from '../soap/envelope';
import { attr, ncName, text } from '../xml/escape';
import type { DecodedQuery, XacmlAttribute, XacmlContext } from './decode';
import { AUTHZ_INTEROP } from './profiles/authz-interop';
import { EMI } from './profiles/emi';
import { GLITE } from './profiles/glite';
import { SAML } from './profiles/saml';
import { XSI } from './profiles/soap';
import { XACML, XACML_SAML, XS } from './profiles/xacml';
import type { NamespaceFamily } from './profiles/xacml';
import { signResponse } from './signature';
import type { ResponseSigningKey } from './signature';

export interface EncodeOptions {
  /** Our entity id, emitted as saml2:Issuer (format entity). */
  readonly issuer: string;
  readonly now: Date;
  /** Fresh IDs for Response and Assertion; made NCNames here if they are not. */
  readonly idGenerator: () => string;
}

type XacmlStatus = keyof typeof XACML.status;

interface Assignment {
  readonly id: string;
  readonly dataType: string;
  readonly value: string;
}

interface Obligation {
  readonly id: string;
  readonly assignments: readonly Assignment[];
}

/** What goes into the one xacml-context:Result, after the dialect's rules (§6, §7.3, §14) were applied. */
interface Outcome {
  readonly decision: DecisionValue;
  readonly status: XacmlStatus;
  readonly statusMessage?: string;
  readonly obligations: readonly Obligation[];
}

const p = SAML.protocolPrefix;
const a = SAML.assertionPrefix;
const ctx = XACML.contextPrefix;
const pol = XACML.policyPrefix;

/** The SOAP envelope with the saml2p:Response answering `query` (§7.1), in the query's dialect and namespace family. */
export function encodeXacmlResponse(query: DecodedQuery, result: AuthzResult, opts: EncodeOptions): string {
  return soapEnvelope(buildResponse(query, result, opts).xml);
}

/** As encodeXacmlResponse, with an enveloped signature over the saml2p:Response (off unless configured, §7.4). */
export function encodeSignedXacmlResponse(query: DecodedQuery, result: AuthzResult, opts: EncodeOptions & { signingKey: ResponseSigningKey }): ProtocolResult<string> {
  const { xml, id, hasIssuer } = buildResponse(query, result, opts);
  const signed = signResponse(xml, id, hasIssuer, opts.signingKey);
  return signed.ok ? { ok: true, value: soapEnvelope(signed.value) } : signed;
}

/**
 * How a rejected message is answered (§2.1, §4.2): a SAML VersionMismatch status with HTTP 200, anything
 * else a SOAP fault with HTTP 500 (Client for bad input, Server for our own failure).
 */
export function encodeProtocolError(error: ProtocolError, opts: EncodeOptions): { httpStatus: 200 | 500; body: string } {
  if (error.code === ProtocolErrorCodes.PROTO_VERSION_MISMATCH) {
    const id = ncName(opts.idGenerator());
    const inResponseTo = error.queryId === undefined ? '' : ` InResponseTo="${attr(error.queryId)}"`;
    const xml =
      `<${p}:Response xmlns:${p}="${SAML.protocolNs}" ID="${attr(id)}"${inResponseTo} IssueInstant="${opts.now.toISOString()}" Version="${SAML.version}">` +
      samlIssuer(opts.issuer, true) +
      `<${p}:Status><${p}:StatusCode Value="${SAML.status.versionMismatch}"/><${p}:StatusMessage>${text(error.detail)}</${p}:StatusMessage></${p}:Status>` +
      `</${p}:Response>`;
    return { httpStatus: 200, body: soapEnvelope(xml) };
  }
  return { httpStatus: 500, body: encodeSoapFault(faultCodeFor(error.code), error.detail) };
}

function buildResponse(query: DecodedQuery, result: AuthzResult, opts: EncodeOptions): { xml: string; id: string; hasIssuer: boolean } {
  const responseId = ncName(opts.idGenerator());
  const assertionId = ncName(opts.idGenerator());
  const instant = opts.now.toISOString();
  const outcome = outcomeFor(query, result);
  const inResponseTo = query.id === undefined ? '' : ` InResponseTo="${attr(query.id)}"`;
  // SCAS put an Issuer on the Response, the Argus PDP does not (§9, §11): each dialect gets its server's shape.
  const responseIssuer = query.dialect === 'authz-interop' ? samlIssuer(opts.issuer, true) : '';
  // Argus sets ResourceId to the resource-id, SCAS leaves it out (§9).
  const resourceId = query.dialect !== 'authz-interop' && query.request.resource !== undefined ? ` ResourceId="${attr(query.request.resource)}"` : '';

  const xml =
    `<${p}:Response xmlns:${p}="${SAML.protocolNs}" ID="${responseId}"${inResponseTo} IssueInstant="${instant}" Version="${SAML.version}">` +
    responseIssuer +
    `<${p}:Status><${p}:StatusCode Value="${SAML.status.success}"/></${p}:Status>` +
    `<${a}:Assertion xmlns:${a}="${SAML.assertionNs}" ID="${assertionId}" IssueInstant="${instant}" Version="${SAML.version}">` +
    samlIssuer(opts.issuer, false) +
    statementOpen(query.family) +
    `<${ctx}:Response xmlns:${ctx}="${XACML.contextNs}">` +
    `<${ctx}:Result${resourceId}>` +
    `<${ctx}:Decision>${outcome.decision}</${ctx}:Decision>` +
    `<${ctx}:Status><${ctx}:StatusCode Value="${XACML.status[outcome.status]}"/>` +
    (outcome.statusMessage === undefined ? '' : `<${ctx}:StatusMessage>${text(outcome.statusMessage)}</${ctx}:StatusMessage>`) +
    `</${ctx}:Status>` +
    obligationsXml(outcome.obligations) +
    `</${ctx}:Result></${ctx}:Response>` +
    (query.returnContext ? requestEcho(query.context) : '') +
    `</${a}:Statement></${a}:Assertion></${p}:Response>`;
  return { xml, id: responseId, hasIssuer: responseIssuer !== '' };
}

/** The Issuer declares saml2 itself when it sits on the Response (saml2 is declared first on the Assertion). */
function samlIssuer(issuer: string, declare: boolean): string {
  const ns = declare ? ` xmlns:${a}="${SAML.assertionNs}"` : '';
  return `<${a}:Issuer${ns} Format="${SAML.nameIdFormatEntity}">${text(issuer)}</${a}:Issuer>`;
}

/** xsi and xacml-saml declared on the Statement itself: OSG Java re-parses the Assertion subtree alone (§3, §7.2). */
function statementOpen(family: NamespaceFamily): string {
  const ns = XACML_SAML[family].assertionNs;
  return (
    `<${a}:Statement xmlns:${XSI.prefix}="${XSI.ns}" xmlns:${XACML_SAML.assertionPrefix}="${ns}" ` +
    `${XSI.prefix}:type="${XACML_SAML.assertionPrefix}:${XACML_SAML.statementType}">`
  );
}

function obligationsXml(obligations: readonly Obligation[]): string {
  if (obligations.length === 0) return '';
  const body = obligations
    .map((o) => {
      const assignments = o.assignments
        .map((x) => `<${pol}:AttributeAssignment AttributeId="${attr(x.id)}" DataType="${attr(x.dataType)}">${text(x.value)}</${pol}:AttributeAssignment>`)
        .join('');
      return assignments === ''
        ? `<${pol}:Obligation ObligationId="${attr(o.id)}" FulfillOn="Permit"/>`
        : `<${pol}:Obligation ObligationId="${attr(o.id)}" FulfillOn="Permit">${assignments}</${pol}:Obligation>`;
    })
    .join('');
  return `<${pol}:Obligations xmlns:${pol}="${XACML.policyNs}">${body}</${pol}:Obligations>`;
}

/**
 * The ReturnContext echo, after the Response as the schema orders it (§7.2), rebuilt from what was received
 * with canonical prefixes. Subject and Resource are mandatory in the schema, so an empty one stands in for a
 * query that had none.
 */
function requestEcho(context: XacmlContext): string {
  const attributes = (list: readonly XacmlAttribute[]): string =>
    list
      .map((x) => {
        const issuer = x.issuer === undefined ? '' : ` Issuer="${attr(x.issuer)}"`;
        const values = x.values.map((v) => `<${ctx}:AttributeValue>${text(v)}</${ctx}:AttributeValue>`).join('');
        return `<${ctx}:Attribute AttributeId="${attr(x.id)}" DataType="${attr(x.dataType)}"${issuer}>${values}</${ctx}:Attribute>`;
      })
      .join('');
  const subjects = context.subjects.length > 0 ? context.subjects : [{ attributes: [] }];
  const resources = context.resources.length > 0 ? context.resources : [{ attributes: [] }];
  return (
    `<${ctx}:Request xmlns:${ctx}="${XACML.contextNs}">` +
    subjects
      .map((s) => {
        const category = 'category' in s && s.category !== undefined ? ` SubjectCategory="${attr(s.category)}"` : '';
        return `<${ctx}:Subject${category}>${attributes(s.attributes)}</${ctx}:Subject>`;
      })
      .join('') +
    resources.map((r) => `<${ctx}:Resource>${attributes(r.attributes)}</${ctx}:Resource>`).join('') +
    `<${ctx}:Action>${attributes(context.action)}</${ctx}:Action>` +
    `<${ctx}:Environment>${attributes(context.environment)}</${ctx}:Environment>` +
    `</${ctx}:Request>`
  );
}

function outcomeFor(query: DecodedQuery, result: AuthzResult): Outcome {
  const message = result.statusMessage === undefined ? {} : { statusMessage: result.statusMessage };
  // XACML: Indeterminate always carries an error status.
  const indeterminateStatus: XacmlStatus = result.status === 'ok' ? 'processing-error' : result.status;
  switch (dialectFamily(query.dialect)) {
    case 'authz-interop':
      return authzInteropOutcome(query.request.obligationsSupported, result, message);
    case 'glite':
      return mappingOutcome(result, indeterminateStatus, message, GLITE);
    case 'emi':
      return mappingOutcome(result, indeterminateStatus, message, {
        obligation: { localEnvironmentMap: EMI.obligation.mapLocalUser, posix: EMI.obligation.posix },
        attribute: EMI.attribute,
      });
    case 'xacml':
      // §4.4 item 4: decision only.
      return result.decision === 'Indeterminate'
        ? { decision: 'Indeterminate', status: indeterminateStatus, ...message, obligations: [] }
        : { decision: result.decision, status: result.status, ...message, obligations: [] };
  }
}

function dialectFamily(dialect: Dialect): 'authz-interop' | 'glite' | 'emi' | 'xacml' {
  switch (dialect) {
    case 'authz-interop':
      return 'authz-interop';
    case 'grid-wn':
    case 'grid-ce':
      return 'glite';
    case 'emi':
      return 'emi';
    case 'xacml':
    case 'prima':
    case 'pepd':
      return 'xacml';
  }
}

/**
 * SCAS/GUMS dialect (§6.1, §7.3, §14): numbers, only what the PEP advertised (the OSG client throws on
 * anything else), never NotApplicable, errors always processing-error (the OSG client reports exactly that).
 */
function authzInteropOutcome(supported: readonly string[], result: AuthzResult, message: { statusMessage?: string }): Outcome {
  const ob = AUTHZ_INTEROP.obligation;
  const wanted = supported.length > 0 ? supported : [ob.uidgid, ob.secondaryGids, ob.username];
  const want = (id: string): boolean => wanted.includes(id);
  const mapping = [ob.uidgid, ob.secondaryGids, ob.username, ob.account].filter(want);

  if (result.decision === 'Indeterminate') return { decision: 'Indeterminate', status: 'processing-error', ...message, obligations: [] };
  if (result.decision === 'Deny' || result.decision === 'NotApplicable') {
    // The OSG client dereferences Obligations even on Deny (§14.2): answer as GUMS did, with an empty username.
    const obligations = want(ob.username) ? [{ id: ob.username, assignments: [{ id: AUTHZ_INTEROP.attribute.username, dataType: XS.string, value: '' }] }] : [];
    return { decision: 'Deny', status: 'ok', ...(result.decision === 'Deny' ? message : {}), obligations };
  }
  const account = result.account;
  if (account === undefined) {
    // A Permit the PEP cannot enforce would leave LCMAPS without a uid (§8.1): say so rather than pretend.
    if (mapping.length > 0) {
      return { decision: 'Indeterminate', status: 'processing-error', statusMessage: 'permitted, but no local account was mapped', obligations: [] };
    }
    return { decision: 'Permit', status: result.status, ...message, obligations: [] };
  }
  return { decision: 'Permit', status: result.status, ...message, obligations: authzInteropObligations(account, want) };
}

function authzInteropObligations(account: Account, want: (id: string) => boolean): Obligation[] {
  const ob = AUTHZ_INTEROP.obligation;
  const at = AUTHZ_INTEROP.attribute;
  const obligations: Obligation[] = [];
  if (want(ob.uidgid)) {
    obligations.push({
      id: ob.uidgid,
      assignments: [
        { id: at.posixUid, dataType: XS.integer, value: String(account.uid) },
        { id: at.posixGid, dataType: XS.integer, value: String(account.gid) },
      ],
    });
  }
  const secondary = [...new Set(account.secondaryGids)].slice(0, AUTHZ_INTEROP.maxSecondaryGids);
  if (want(ob.secondaryGids) && secondary.length > 0) {
    obligations.push({ id: ob.secondaryGids, assignments: secondary.map((gid) => ({ id: at.posixGid, dataType: XS.integer, value: String(gid) })) });
  }
  if (want(ob.username)) {
    obligations.push({ id: ob.username, assignments: [{ id: at.username, dataType: XS.string, value: account.username }] });
  }
  if (want(ob.account) && account.groupName !== undefined) {
    obligations.push({
      id: ob.account,
      assignments: [
        { id: at.username, dataType: XS.string, value: account.username },
        { id: at.primaryGroupname, dataType: XS.string, value: account.groupName },
      ],
    });
  }
  return obligations;
}

interface MappingVocabulary {
  readonly obligation: { readonly localEnvironmentMap: string; readonly posix: string };
  readonly attribute: { readonly userId: string; readonly groupIdPrimary: string; readonly groupId: string };
}

/**
 * gLite and EMI (§6.2, §6.3): names, resolved by the PEP host. With a mapped account, the posix obligation
 * (central mapping); a Permit without one carries the trigger obligation so a PEPd maps locally.
 */
function mappingOutcome(result: AuthzResult, indeterminateStatus: XacmlStatus, message: { statusMessage?: string }, vocabulary: MappingVocabulary): Outcome {
  if (result.decision === 'Indeterminate') return { decision: 'Indeterminate', status: indeterminateStatus, ...message, obligations: [] };
  if (result.decision !== 'Permit') return { decision: result.decision, status: result.status, ...message, obligations: [] };
  const account = result.account;
  if (account === undefined) {
    return { decision: 'Permit', status: result.status, ...message, obligations: [{ id: vocabulary.obligation.localEnvironmentMap, assignments: [] }] };
  }
  const at = vocabulary.attribute;
  const assignments: Assignment[] = [{ id: at.userId, dataType: XS.string, value: account.username }];
  if (account.groupName !== undefined) assignments.push({ id: at.groupIdPrimary, dataType: XS.string, value: account.groupName });
  // group-id lists the primary group too (Argus bug fix #64340).
  const groups = [...new Set([...(account.groupName === undefined ? [] : [account.groupName]), ...(account.secondaryGroupNames ?? [])])];
  for (const group of groups) assignments.push({ id: at.groupId, dataType: XS.string, value: group });
  return { decision: 'Permit', status: result.status, ...message, obligations: [{ id: vocabulary.obligation.posix, assignments }] };
}

