import type { AuthzResult } from '@gridauthz/domain';
import { faultCodeFor, ProtocolErrorCodes } from '../errors';
import type { ProtocolError, ProtocolResult } from '../errors';
import { SAML } from '../profiles/saml';
import { XSI } from '../profiles/soap';
import { XACML, XACML_SAML } from '../profiles/xacml';
import type { NamespaceFamily } from '../profiles/xacml';
import { encodeSoapFault, soapEnvelope } from '../soap/envelope';
import { attr, ncName, text } from '../xml/escape';
import type { XacmlAttribute, XacmlContext } from './context';
import type { DecodedQuery } from './decode';
import { dialectNamed, XACML_DIALECTS } from './dialects';
import type { XacmlDialect } from './dialects';
import type { RenderedObligation } from './dialects/dialect';
import { signResponse } from './signature';
import type { ResponseSigningKey } from './signature';

export interface EncodeOptions {
  /** Our entity id, emitted as saml2:Issuer (format entity). */
  readonly issuer: string;
  readonly now: Date;
  /** Fresh IDs for Response and Assertion; made NCNames here if they are not. */
  readonly idGenerator: () => string;
  /** The dialect modules (default XACML_DIALECTS); the query's dialect name picks the one that renders. */
  readonly dialects?: readonly XacmlDialect[];
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
  const dialect = dialectNamed(query.dialect, opts.dialects ?? XACML_DIALECTS);
  const outcome = dialect.render(result, query.request);
  const inResponseTo = query.id === undefined ? '' : ` InResponseTo="${attr(query.id)}"`;
  // SCAS put an Issuer on the Response, the Argus PDP does not (§9, §11): each dialect gets its server's shape.
  const responseIssuer = dialect.responseIssuer ? samlIssuer(opts.issuer, true) : '';
  // Argus sets ResourceId to the resource-id, SCAS leaves it out (§9).
  const resourceId = dialect.resultResourceId && query.request.resource !== undefined ? ` ResourceId="${attr(query.request.resource)}"` : '';

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

function obligationsXml(obligations: readonly RenderedObligation[]): string {
  if (obligations.length === 0) return '';
  const body = obligations
    .map((o) => {
      const assignments = o.assignments
        .map((x) => `<${pol}:AttributeAssignment AttributeId="${attr(x.id)}" DataType="${attr(x.dataType)}">${text(x.value)}</${pol}:AttributeAssignment>`)
        .join('');
      return assignments === ''
        ? `<${pol}:Obligation ObligationId="${attr(o.id)}" FulfillOn="${o.fulfillOn}"/>`
        : `<${pol}:Obligation ObligationId="${attr(o.id)}" FulfillOn="${o.fulfillOn}">${assignments}</${pol}:Obligation>`;
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
