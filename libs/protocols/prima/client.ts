import { ErrorCodes } from '@gridauthz/domain';
import type { Dn, Failure, Fqan } from '@gridauthz/domain';
import type { Element } from '@xmldom/xmldom';
import type { ProtocolErrorCode } from '../errors';
import { SOAP11 } from '../profiles/soap';
import { soapBodyPayload, soapEnvelope } from '../soap/envelope';
import { attributeOf, childrenNamed, elementChildren, isElement, textOf } from '../xml/dom';
import { parseUntrustedXml } from '../xml/safe-parse';
import type { XmlLimits } from '../xml/safe-parse';
import { OGSA_AUTHZ, OSG, SAML1 } from './profile';
import { resolveQName } from './qname';
import { dnForUri } from './resource';
import { attr, ncName, text } from './serialise';

/** FQANs travel as Evidence with the VOMS server DN as assertion Issuer (§4), so one needs the other. */
type PrimaClientFqans =
  | { readonly fqans?: undefined; readonly fqanIssuer?: undefined }
  | { readonly fqans: readonly (Fqan | string)[]; readonly fqanIssuer: Dn | string };

export type PrimaClientRequest = {
  /** The user's end-entity DN (not a proxy's). */
  readonly subjectDn: Dn | string;
  /** The host DN the mapping is for; spaces are sent as `%20` (§4, §7.3). */
  readonly resourceDn: Dn | string;
  readonly now: Date;
  /** RequestID and Evidence AssertionIDs; made NCNames here if they are not. */
  readonly idGenerator: () => string;
} & PrimaClientFqans;

/** What the answer must echo for the client to believe it (§7.1, §13 item 1). */
export interface PrimaResponseExpectation {
  readonly requestId: string;
  readonly resource: string;
  readonly subjectName: string;
}

export interface EncodedPrimaRequest {
  readonly body: string;
  /** SOAPAction header value, with its quotes, as the Java client sends it (§1). */
  readonly soapAction: string;
  readonly expect: PrimaResponseExpectation;
}

/**
 * A PRIMA mapping request in the form the real server was verified to answer (§9): both RespondWiths, the
 * X509SubjectName format (the correct URN: servers never checked it), X509-PKI confirmation as the Java client
 * sends, one Evidence assertion per FQAN with the first FQAN first (the one GUMS maps on).
 */
export function encodePrimaRequest(request: PrimaClientRequest): EncodedPrimaRequest {
  const p = SAML1.protocolPrefix;
  const a = SAML1.assertionPrefix;
  const instant = request.now.toISOString();
  const requestId = ncName(request.idGenerator());
  const subjectName = typeof request.subjectDn === 'string' ? request.subjectDn : request.subjectDn.toSlash();
  const resource = dnForUri(request.resourceDn);
  const subject =
    `<${a}:Subject><${a}:NameIdentifier Format="${SAML1.nameIdFormatX509}">${text(subjectName)}</${a}:NameIdentifier>` +
    `<${a}:SubjectConfirmation><${a}:ConfirmationMethod>${SAML1.confirmationX509Pki}</${a}:ConfirmationMethod></${a}:SubjectConfirmation></${a}:Subject>`;
  const fqans = request.fqans ?? [];
  const issuer = request.fqanIssuer === undefined ? '' : typeof request.fqanIssuer === 'string' ? request.fqanIssuer : request.fqanIssuer.toSlash();
  const evidence =
    fqans.length === 0
      ? ''
      : `<${a}:Evidence>` +
        fqans
          .map(
            (fqan) =>
              `<${a}:Assertion AssertionID="${attr(ncName(request.idGenerator()))}" IssueInstant="${instant}" Issuer="${attr(issuer)}" ` +
              `MajorVersion="${SAML1.majorVersion}" MinorVersion="${SAML1.minorVersion}"><${a}:AttributeStatement>${subject}` +
              `<${a}:Attribute AttributeName="${OSG.fqanAttributeName}" AttributeNamespace="${OSG.fqanAttributeNamespace}">` +
              `<${a}:AttributeValue>${text(typeof fqan === 'string' ? fqan : fqan.original)}</${a}:AttributeValue></${a}:Attribute>` +
              `</${a}:AttributeStatement></${a}:Assertion>`,
          )
          .join('') +
        `</${a}:Evidence>`;
  const samlRequest =
    `<${p}:Request xmlns:${p}="${SAML1.protocolNs}" xmlns:${a}="${SAML1.assertionNs}" xmlns:${OSG.prefix}="${OSG.ns}" ` +
    `RequestID="${attr(requestId)}" IssueInstant="${instant}" MajorVersion="${SAML1.majorVersion}" MinorVersion="${SAML1.minorVersion}">` +
    `<${p}:RespondWith>${a}:AuthorizationDecisionStatement</${p}:RespondWith>` +
    `<${p}:RespondWith>${OSG.prefix}:${OSG.obligatedStatement}</${p}:RespondWith>` +
    `<${p}:AuthorizationDecisionQuery Resource="${attr(resource)}">` +
    subject +
    `<${a}:Action Namespace="${OSG.actionNamespace}">${OSG.actionAccessAsLocalIdentity}</${a}:Action>` +
    evidence +
    `</${p}:AuthorizationDecisionQuery></${p}:Request>`;
  const g = OGSA_AUTHZ.prefix;
  return {
    body: soapEnvelope(
      `<${g}:${OGSA_AUTHZ.requestWrapper} xmlns:${g}="${OGSA_AUTHZ.ns}"><${OGSA_AUTHZ.requestInner}>${samlRequest}</${OGSA_AUTHZ.requestInner}></${g}:${OGSA_AUTHZ.requestWrapper}>`,
    ),
    soapAction: OGSA_AUTHZ.soapAction,
    expect: { requestId, resource, subjectName },
  };
}

export type PrimaClientErrorCode =
  | ProtocolErrorCode
  | typeof ErrorCodes.PROTO_SOAP_FAULT
  | typeof ErrorCodes.PROTO_RESPONSE_INVALID
  | typeof ErrorCodes.PROTO_RESPONSE_MISMATCH;

export type PrimaClientResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Failure<PrimaClientErrorCode> };

/** A server's answer as a PEP reads it. */
export interface PrimaAnswer {
  /** Top-level status: the samlp local name ('Success', 'RequestDenied', …), else the QName as sent. */
  readonly status: string;
  readonly statusMessage?: string;
  /** Absent when the answer carried no assertion (RequestDenied). */
  readonly decision?: 'Permit' | 'Deny' | 'Indeterminate';
  /** The mapped account, read only as the Java client reads it: a Permit's UserIdObligation (§7.1). */
  readonly username?: string;
  /** Primary group from GroupIdObligation, when the server sent one (§13 item 2). */
  readonly groupName?: string;
  readonly inResponseTo?: string;
  readonly recipient?: string;
  /** The statement's Resource as sent back. */
  readonly resource?: string;
  readonly issuer?: string;
}

const fail = (code: PrimaClientErrorCode, detail: string): { ok: false; error: Failure<PrimaClientErrorCode> } => ({ ok: false, error: { code, detail } });

/**
 * Reads a PRIMA answer (§5) with the hardened parser (a server's bytes are input too). With `expect`, the
 * Java client's checks apply (§7.1): InResponseTo, the statement's Resource and Subject name must echo the
 * request, and a Permit must grant access_as_local_identity; a mismatch is PROTO_RESPONSE_MISMATCH.
 */
export function decodePrimaResponse(body: Buffer | string, expect?: PrimaResponseExpectation, limits: XmlLimits = {}): PrimaClientResult<PrimaAnswer> {
  const parsed = parseUntrustedXml(body, limits);
  if (!parsed.ok) return parsed;
  const payload = soapBodyPayload(parsed.value.document);
  if (!payload.ok) return payload;
  if (isElement(payload.value, [SOAP11.ns], 'Fault')) {
    const part = (name: string): string => {
      const element = elementChildren(payload.value).find((child) => child.localName === name);
      return element === undefined ? '' : textOf(element).trim();
    };
    return fail(ErrorCodes.PROTO_SOAP_FAULT, `${part('faultcode')}: ${part('faultstring')}`);
  }
  if (payload.value.localName !== OGSA_AUTHZ.responseWrapper) return fail(ErrorCodes.PROTO_RESPONSE_INVALID, 'SOAP Body does not contain a SAMLRequestResponse');
  const response = payload.value.getElementsByTagNameNS(SAML1.protocolNs, 'Response')[0];
  if (response === undefined) return fail(ErrorCodes.PROTO_RESPONSE_INVALID, 'SAMLRequestResponse does not contain a samlp:Response');

  const statusElement = childrenNamed(response, [SAML1.protocolNs], 'Status')[0];
  const codeElement = statusElement === undefined ? undefined : childrenNamed(statusElement, [SAML1.protocolNs], 'StatusCode')[0];
  const codeValue = codeElement === undefined ? undefined : attributeOf(codeElement, 'Value')?.trim();
  if (statusElement === undefined || codeElement === undefined || codeValue === undefined) return fail(ErrorCodes.PROTO_RESPONSE_INVALID, 'samlp:Response has no StatusCode');
  const messageElement = childrenNamed(statusElement, [SAML1.protocolNs], 'StatusMessage')[0];
  const statusMessage = messageElement === undefined ? undefined : textOf(messageElement).trim();
  const code = resolveQName(codeElement, codeValue);
  const status = code.ns === SAML1.protocolNs ? code.local : codeValue;

  const inResponseTo = attributeOf(response, 'InResponseTo');
  const recipient = attributeOf(response, 'Recipient');
  if (expect !== undefined && inResponseTo !== expect.requestId) {
    return fail(ErrorCodes.PROTO_RESPONSE_MISMATCH, `InResponseTo "${inResponseTo ?? ''}" does not answer request "${expect.requestId}"`);
  }
  const common = {
    status,
    ...(statusMessage === undefined || statusMessage === '' ? {} : { statusMessage }),
    ...(inResponseTo === undefined ? {} : { inResponseTo }),
    ...(recipient === undefined ? {} : { recipient }),
  };
  const assertion = childrenNamed(response, [SAML1.assertionNs], 'Assertion')[0];
  if (assertion === undefined) {
    if (status === SAML1.status.success) return fail(ErrorCodes.PROTO_RESPONSE_INVALID, 'a Success answer without an assertion');
    return { ok: true, value: common };
  }
  // The first statement decides (§7.1); Conditions, Advice and a signature are not statements.
  const statement = elementChildren(assertion).find((child) => !isElement(child, [SAML1.assertionNs], 'Conditions') && !isElement(child, [SAML1.assertionNs], 'Advice') && child.localName !== 'Signature');
  const obligated = statement !== undefined && isElement(statement, [OSG.ns], OSG.obligatedStatement);
  if (statement === undefined || (!obligated && !isElement(statement, [SAML1.assertionNs], 'AuthorizationDecisionStatement'))) {
    return fail(ErrorCodes.PROTO_RESPONSE_INVALID, 'the assertion does not start with an authorization decision statement');
  }
  const decision = attributeOf(statement, 'Decision')?.trim();
  if (decision !== 'Permit' && decision !== 'Deny' && decision !== 'Indeterminate') return fail(ErrorCodes.PROTO_RESPONSE_INVALID, `Decision "${decision ?? ''}" is not a SAML 1.1 decision`);
  const resource = attributeOf(statement, 'Resource');
  const subject = childrenNamed(statement, [SAML1.assertionNs], 'Subject')[0];
  const nameElement = subject === undefined ? undefined : childrenNamed(subject, [SAML1.assertionNs], 'NameIdentifier')[0];
  if (expect !== undefined) {
    if (resource !== expect.resource) return fail(ErrorCodes.PROTO_RESPONSE_MISMATCH, `statement Resource "${resource ?? ''}" is not the requested "${expect.resource}"`);
    const name = nameElement === undefined ? undefined : textOf(nameElement).trim();
    if (name !== expect.subjectName.trim()) return fail(ErrorCodes.PROTO_RESPONSE_MISMATCH, `statement Subject "${name ?? ''}" is not the requested "${expect.subjectName}"`);
    const granted = childrenNamed(statement, [SAML1.assertionNs], 'Action').some(
      (action) => attributeOf(action, 'Namespace')?.trim() === OSG.actionNamespace && textOf(action).trim() === OSG.actionAccessAsLocalIdentity,
    );
    if (decision === 'Permit' && !granted) return fail(ErrorCodes.PROTO_RESPONSE_MISMATCH, `the Permit does not grant ${OSG.actionAccessAsLocalIdentity}`);
  }
  const issuer = attributeOf(assertion, 'Issuer');
  const account: { username?: string; groupName?: string } = decision === 'Permit' && obligated ? readObligations(statement) : {};
  return {
    ok: true,
    value: {
      status,
      statusMessage: common.statusMessage,
      inResponseTo: common.inResponseTo,
      recipient: common.recipient,
      decision,
      username: account.username,
      groupName: account.groupName,
      resource,
      issuer,
    },
  };
}

/** Obligations as the Java client maps them: FullfillOn Permit, matching AttributeId and Datatype, else ignored. */
function readObligations(statement: Element): { username?: string; groupName?: string } {
  const value = (obligationId: string, attributeId: string): string | undefined => {
    for (const obligation of childrenNamed(statement, [OSG.ns], OSG.obligation)) {
      if (attributeOf(obligation, 'ObligationId') !== obligationId || attributeOf(obligation, OSG.fulfillOnAttribute) !== 'Permit') continue;
      for (const assignment of childrenNamed(obligation, [OSG.ns], OSG.assignment)) {
        if (attributeOf(assignment, 'AttributeId') !== attributeId || attributeOf(assignment, OSG.dataTypeAttribute) !== OSG.xsString) continue;
        const v = textOf(assignment).trim();
        if (v !== '') return v;
      }
    }
    return undefined;
  };
  const username = value(OSG.obligationUserId, OSG.attributeUserId);
  const groupName = value(OSG.obligationGroupId, OSG.attributeGroupId);
  // A group without a user is no mapping.
  return username === undefined ? {} : { username, ...(groupName === undefined ? {} : { groupName }) };
}
