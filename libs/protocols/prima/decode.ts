import { Dn, Fqan } from '@gridauthz/domain';
import type { AuthzQuery, RequestDefect } from '@gridauthz/domain';
import type { Element } from '@xmldom/xmldom';
import { ProtocolErrorCodes, protocolError } from '../errors';
import type { ProtocolResult } from '../errors';
import { soapBodyPayload } from '../soap/envelope';
import { attributeOf, childrenNamed, elementChildren, isElement, textOf } from '../xml/dom';
import { parseUntrustedXml } from '../xml/safe-parse';
import type { ParsedXml, XmlLimits } from '../xml/safe-parse';
import { OGSA_AUTHZ, OSG, SAML1 } from './profile';
import { resolveQName } from './qname';
import { resourceDn, resourceForPolicy } from './resource';

/** saml:NameIdentifier as received; echoed in the answer and compared with the Evidence subjects (§4). */
export interface PrimaNameIdentifier {
  /** Text verbatim (untrimmed): the Java client compares it with what it sent. */
  readonly name: string;
  readonly format?: string;
  readonly nameQualifier?: string;
}

/** saml:Subject of the query, as far as the answer echoes it (§5.1). */
export interface PrimaSubject {
  readonly nameIdentifier?: PrimaNameIdentifier;
  /** saml:SubjectConfirmation/saml:ConfirmationMethod values; empty when the query had no SubjectConfirmation. */
  readonly confirmationMethods: readonly string[];
}

export interface PrimaAction {
  readonly namespace?: string;
  readonly value: string;
}

/** The samlp:RespondWith list, resolved to namespace + local name (§4). */
export interface PrimaRespondWith {
  /** saml:AuthorizationDecisionStatement listed: without it the answer is RequestDenied (§5.4). */
  readonly decisionStatement: boolean;
  /** osg:ObligatedAuthorizationDecisionStatement listed: without it a mapped user gets Indeterminate (§5.3). */
  readonly obligatedStatement: boolean;
}

/** The Evidence assertion GUMS would map on: first matching one, first FQAN value (§4). */
export interface PrimaFqanEvidence {
  readonly fqan: string;
  /** That assertion's Issuer (the VOMS server DN), logged only. */
  readonly issuer?: string;
}

interface PrimaRequestBase {
  /** samlp:Request RequestID, echoed as InResponseTo. */
  readonly requestId: string;
  readonly issueInstant?: string;
  readonly minorVersion: string;
  readonly respondWith: PrimaRespondWith;
}

/** A request answered RequestDenied without a decision (§5.4, §6 steps 3–4): the server must not run `decide`. */
export interface PrimaRequestDenied extends PrimaRequestBase {
  readonly kind: 'request-denied';
  readonly reason: string;
}

/** An AuthorizationDecisionQuery to decide on. */
export interface PrimaQuery extends PrimaRequestBase {
  readonly kind: 'query';
  /** Resource exactly as sent; the answer echoes it byte for byte (§13 item 1). */
  readonly resource: string;
  /** Resource with `%20` decoded, as policy and caller authorization see it (§4). */
  readonly resourceForPolicy: string;
  readonly subject: PrimaSubject;
  readonly actions: readonly PrimaAction[];
  /** access_as_local_identity was among the actions; otherwise the answer is Indeterminate (§5.3). */
  readonly actionSupported: boolean;
  readonly fqanEvidence?: PrimaFqanEvidence;
  /** The protocol-neutral question (dialect 'prima') for the decide pipeline. */
  readonly request: AuthzQuery;
}

export type DecodedPrimaRequest = PrimaQuery | PrimaRequestDenied;

/**
 * True when the SOAP Body carries a SAMLRequest wrapper (any namespace, as §2 recommends accepting), so a
 * server can route any path by content. False for anything unparsable: the caller then falls through to the
 * other codec, which reports the error.
 */
export function isPrimaRequest(body: Buffer | string, limits: XmlLimits = {}): boolean {
  const parsed = parseUntrustedXml(body, limits);
  if (!parsed.ok) return false;
  const payload = soapBodyPayload(parsed.value.document);
  return payload.ok && payload.value.localName === OGSA_AUTHZ.requestWrapper;
}

/**
 * Decodes a PRIMA/GUMS SAMLRequest (§2, §4, §6). Input we cannot read as a SAML request is an error (the
 * server answers a SOAP fault, §5.4); a readable request that asks for something unsupported decodes to
 * `request-denied`, and query content problems become `request.defects` (answered Indeterminate).
 */
export function decodePrimaRequest(body: Buffer | string, limits: XmlLimits = {}): ProtocolResult<DecodedPrimaRequest> {
  const parsed = parseUntrustedXml(body, limits);
  if (!parsed.ok) return parsed;
  return decodeParsedPrimaRequest(parsed.value);
}

/** True when the parsed document's SOAP Body carries a PRIMA SAMLRequest wrapper (see isPrimaRequest). */
export function isParsedPrimaRequest(xml: ParsedXml): boolean {
  const payload = soapBodyPayload(xml.document);
  return payload.ok && payload.value.localName === OGSA_AUTHZ.requestWrapper;
}

/** `decodePrimaRequest` on a document already parsed by parseUntrustedXml (a server parses each body once). */
export function decodeParsedPrimaRequest(xml: ParsedXml): ProtocolResult<DecodedPrimaRequest> {
  const payload = soapBodyPayload(xml.document);
  if (!payload.ok) return payload;
  if (payload.value.localName !== OGSA_AUTHZ.requestWrapper) {
    return protocolError(ProtocolErrorCodes.PROTO_NOT_A_QUERY, 'SOAP Body does not contain a SAMLRequest');
  }
  // §2: the samlRequest wrapper is optional and its namespace varies, so take the first samlp:Request below.
  const requests = payload.value.getElementsByTagNameNS(SAML1.protocolNs, 'Request');
  const request = requests[0];
  if (request === undefined) return protocolError(ProtocolErrorCodes.PROTO_NOT_A_QUERY, 'SAMLRequest does not contain a samlp:Request');
  // Two requests in one wrapper: which one the client meant is a guess (issue 15 finding 3), so neither is decided.
  if (requests.length > 1) return protocolError(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS, `SAMLRequest holds ${requests.length} samlp:Request elements; exactly one is accepted`);

  const requestId = attributeOf(request, 'RequestID')?.trim();
  if (requestId === undefined || requestId === '') return protocolError(ProtocolErrorCodes.PROTO_QUERY_INVALID, 'samlp:Request has no RequestID');
  const major = attributeOf(request, 'MajorVersion')?.trim();
  const minor = attributeOf(request, 'MinorVersion')?.trim();
  if (major !== SAML1.majorVersion || minor === undefined || !(SAML1.acceptedMinorVersions as readonly string[]).includes(minor)) {
    return protocolError(ProtocolErrorCodes.PROTO_VERSION_MISMATCH, `SAML version ${major ?? '?'}.${minor ?? '?'} is not supported`, requestId);
  }
  const issueInstant = attributeOf(request, 'IssueInstant');
  const base = { requestId, ...(issueInstant === undefined ? {} : { issueInstant }), minorVersion: minor };

  const respondWith = readRespondWith(request);
  // Children in other namespaces (a ds:Signature) are no query and ignored; unknown SAML elements are errors.
  const queries = elementChildren(request).filter(
    (child) => (child.namespaceURI === SAML1.protocolNs || child.namespaceURI === SAML1.assertionNs) && !isElement(child, [SAML1.protocolNs], 'RespondWith'),
  );
  const decisionQueries = queries.filter((q) => isElement(q, [SAML1.protocolNs], 'AuthorizationDecisionQuery'));
  const otherQueries = queries.filter(
    (q) =>
      (q.namespaceURI === SAML1.protocolNs && (SAML1.otherQueries as readonly string[]).includes(q.localName ?? '')) ||
      isElement(q, [SAML1.assertionNs], SAML1.assertionIdReference),
  );
  if (queries.length !== decisionQueries.length + otherQueries.length) {
    return protocolError(ProtocolErrorCodes.PROTO_QUERY_INVALID, 'samlp:Request contains an element that is not a SAML 1.1 query', requestId);
  }
  const decisionQuery = decisionQueries[0];
  if (decisionQueries.length > 1 || (decisionQuery !== undefined && otherQueries.length > 0)) {
    return protocolError(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS, 'samlp:Request must contain exactly one query', requestId);
  }
  if (decisionQuery === undefined) {
    if (otherQueries.length === 0) return protocolError(ProtocolErrorCodes.PROTO_QUERY_INVALID, 'samlp:Request contains no query', requestId);
    return { ok: true, value: { kind: 'request-denied', ...base, respondWith, reason: `a ${otherQueries[0]?.localName ?? ''} is not supported` } };
  }

  // The whole query is read before the RespondWith check, as the original parsed it before looking (§6).
  const query = readDecisionQuery(decisionQuery, requestId);
  if (!query.ok) return query;
  if (!respondWith.decisionStatement) {
    return { ok: true, value: { kind: 'request-denied', ...base, respondWith, reason: 'RespondWith does not list saml:AuthorizationDecisionStatement' } };
  }
  const { fqans: _fqans, defects: _defects, ...parts } = query.value;
  return { ok: true, value: { kind: 'query', ...base, respondWith, ...parts, request: toAuthzQuery(requestId, respondWith, query.value) } };
}

function readRespondWith(request: Element): PrimaRespondWith {
  let decisionStatement = false;
  let obligatedStatement = false;
  for (const element of childrenNamed(request, [SAML1.protocolNs], 'RespondWith')) {
    // QName text: the prefix means whatever is declared in scope there, never a fixed spelling (§4).
    const { ns, local } = resolveQName(element, textOf(element));
    if (ns === SAML1.assertionNs && local === 'AuthorizationDecisionStatement') decisionStatement = true;
    if (ns === OSG.ns && local === OSG.obligatedStatement) obligatedStatement = true;
  }
  return { decisionStatement, obligatedStatement };
}

type QueryParts = Omit<PrimaQuery, 'kind' | 'requestId' | 'issueInstant' | 'minorVersion' | 'respondWith' | 'request'> & {
  readonly defects: readonly RequestDefect[];
  readonly fqans: readonly Fqan[];
};

function readDecisionQuery(query: Element, requestId: string): ProtocolResult<QueryParts> {
  const resource = attributeOf(query, 'Resource');
  if (resource === undefined) return protocolError(ProtocolErrorCodes.PROTO_QUERY_INVALID, 'AuthorizationDecisionQuery has no Resource', requestId);
  const subjects = childrenNamed(query, [SAML1.assertionNs], 'Subject');
  const subjectElement = subjects[0];
  if (subjectElement === undefined) return protocolError(ProtocolErrorCodes.PROTO_QUERY_INVALID, 'AuthorizationDecisionQuery has no saml:Subject', requestId);
  if (subjects.length > 1 || childrenNamed(subjectElement, [SAML1.assertionNs], 'NameIdentifier').length > 1) {
    return protocolError(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS, 'AuthorizationDecisionQuery must name exactly one subject (one saml:Subject, one NameIdentifier)', requestId);
  }
  const subject = readSubject(subjectElement);
  const actions = childrenNamed(query, [SAML1.assertionNs], 'Action').map((action): PrimaAction => {
    const namespace = attributeOf(action, 'Namespace');
    return { namespace, value: textOf(action) };
  });
  const actionSupported = actions.some((a) => a.namespace?.trim() === OSG.actionNamespace && a.value.trim() === OSG.actionAccessAsLocalIdentity);

  const defects: RequestDefect[] = [];
  const evidence = readEvidence(query, subject, defects);
  const name = subject.nameIdentifier?.name.trim() ?? '';
  if (name === '') defects.push({ kind: 'missing-attribute', attribute: 'subject', detail: 'the query Subject has no NameIdentifier' });
  if (resourceDn(resource) === undefined) defects.push({ kind: 'syntax-error', attribute: 'resource', detail: `Resource is not a host DN: "${resource}"` });
  if (!actionSupported) {
    defects.push({ kind: 'missing-attribute', attribute: 'action', detail: `no ${OSG.actionNamespace} ${OSG.actionAccessAsLocalIdentity} action requested` });
  }
  return {
    ok: true,
    value: {
      resource,
      resourceForPolicy: resourceForPolicy(resource),
      subject,
      actions,
      actionSupported,
      ...(evidence.selected === undefined ? {} : { fqanEvidence: evidence.selected }),
      fqans: evidence.fqans,
      defects,
    },
  };
}

function readSubject(subject: Element): PrimaSubject {
  const nameElement = childrenNamed(subject, [SAML1.assertionNs], 'NameIdentifier')[0];
  const confirmation = childrenNamed(subject, [SAML1.assertionNs], 'SubjectConfirmation')[0];
  const confirmationMethods = confirmation === undefined ? [] : childrenNamed(confirmation, [SAML1.assertionNs], 'ConfirmationMethod').map((m) => textOf(m).trim());
  if (nameElement === undefined) return { confirmationMethods };
  const format = attributeOf(nameElement, 'Format');
  const nameQualifier = attributeOf(nameElement, 'NameQualifier');
  return {
    nameIdentifier: {
      name: textOf(nameElement),
      ...(format === undefined ? {} : { format }),
      ...(nameQualifier === undefined ? {} : { nameQualifier }),
    },
    confirmationMethods,
  };
}

/** OpenSAML's NameIdentifier equality: name, qualifier and format, an absent attribute equal to an empty one. */
function sameName(a: PrimaNameIdentifier | undefined, b: PrimaNameIdentifier | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.name.trim() === b.name.trim() && (a.format ?? '') === (b.format ?? '') && (a.nameQualifier ?? '') === (b.nameQualifier ?? '');
}

/**
 * FQANs from the Evidence assertions about the query's subject (§4). Validity (Conditions) is deliberately not
 * checked: the Java client sends a zero-length window. `selected` is what GUMS mapped on; `fqans` has every
 * FQAN of the matching statements, that one first, so policy can see the whole bag.
 */
function readEvidence(query: Element, subject: PrimaSubject, defects: RequestDefect[]): { selected?: PrimaFqanEvidence; fqans: Fqan[] } {
  let selected: PrimaFqanEvidence | undefined;
  const fqans = new Map<string, Fqan>();
  let badFqanSeen = false;
  for (const evidence of childrenNamed(query, [SAML1.assertionNs], 'Evidence')) {
    for (const assertion of childrenNamed(evidence, [SAML1.assertionNs], 'Assertion')) {
      const issuer = attributeOf(assertion, 'Issuer');
      for (const statement of childrenNamed(assertion, [SAML1.assertionNs], 'AttributeStatement')) {
        const statementSubject = childrenNamed(statement, [SAML1.assertionNs], 'Subject')[0];
        if (statementSubject === undefined || !sameName(readSubject(statementSubject).nameIdentifier, subject.nameIdentifier)) continue;
        for (const attribute of childrenNamed(statement, [SAML1.assertionNs], 'Attribute')) {
          if (attributeOf(attribute, 'AttributeName') !== OSG.fqanAttributeName || attributeOf(attribute, 'AttributeNamespace') !== OSG.fqanAttributeNamespace) continue;
          for (const valueElement of childrenNamed(attribute, [SAML1.assertionNs], 'AttributeValue')) {
            const value = textOf(valueElement).trim();
            if (value === '') continue;
            if (selected === undefined) selected = { fqan: value, ...(issuer === undefined ? {} : { issuer }) };
            const fqan = Fqan.tryParse(value);
            if (fqan === undefined) {
              // One defect is enough to make the answer Indeterminate; a hostile list must not grow the array.
              if (!badFqanSeen) defects.push({ kind: 'syntax-error', attribute: OSG.fqanAttributeName, detail: `not an FQAN: "${value}"` });
              badFqanSeen = true;
            } else if (!fqans.has(fqan.toLong())) {
              fqans.set(fqan.toLong(), fqan);
            }
          }
        }
      }
    }
  }
  return { selected, fqans: [...fqans.values()] };
}

function toAuthzQuery(requestId: string, respondWith: PrimaRespondWith, parts: QueryParts): AuthzQuery {
  const defects = [...parts.defects];
  const name = parts.subject.nameIdentifier?.name.trim() ?? '';
  let assertedDn: Dn | undefined;
  if (name !== '') {
    try {
      assertedDn = Dn.parse(name);
    } catch (error) {
      defects.unshift({ kind: 'syntax-error', attribute: 'subject', detail: `NameIdentifier is not a DN: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  const primary = parts.fqanEvidence === undefined ? undefined : Fqan.tryParse(parts.fqanEvidence.fqan);
  const issuer = parts.fqanEvidence?.issuer?.trim();
  const hostDn = resourceDn(parts.resource);
  const requested = parts.actions[0]?.value.trim();
  const action = parts.actionSupported ? OSG.actionAccessAsLocalIdentity : requested;
  return {
    dialect: 'prima',
    // GUMS's clients (gatekeepers, GridFTP doors) switch to the account the answer names (§1).
    accountExpected: true,
    requestId,
    subject: {
      assertedDn,
      assertedFqans: parts.fqans.length === 0 ? undefined : parts.fqans,
      assertedPrimaryFqan: primary,
      assertedFqanIssuer: issuer === undefined || issuer === '' || primary === undefined ? undefined : issuer,
    },
    resource: parts.resourceForPolicy,
    ...(action === undefined || action === '' ? {} : { action }),
    ...(hostDn === undefined ? {} : { hostDn }),
    onBehalfOfHost: parts.resourceForPolicy,
    // What the PEP can carry: the obligated statement (UserId; GroupId is read by the Java client, §13 item 2).
    obligationsSupported: respondWith.obligatedStatement ? [OSG.obligationUserId, OSG.obligationGroupId] : [],
    environment: {},
    defects,
  };
}
