import type { AuthzResult, Dn } from '@gridauthz/domain';
import { faultCodeFor } from '../errors';
import type { ProtocolError } from '../errors';
import { encodeSoapFault, soapEnvelope } from '../soap/envelope';
import type { DecodedPrimaRequest, PrimaQuery, PrimaSubject } from './decode';
import { ASSERTION_LIFETIME_MS, OGSA_AUTHZ, OSG, REQUEST_DENIED_MESSAGE, SAML1 } from './profile';
import { dnForUri } from './resource';
import { attr, ncName, text } from './serialise';

export interface PrimaEncodeOptions {
  /** Assertion Issuer; PRIMA_DEFAULT_ISSUER for parity with GUMS (clients do not check it). */
  readonly issuer: string;
  readonly now: Date;
  /** Fresh IDs for Response and Assertion; made NCNames here if they are not. */
  readonly idGenerator: () => string;
  /** The TLS caller's end-entity DN: the answer's Recipient (§1.1, §5). */
  readonly recipient: Dn;
  /** Also emit GroupIdObligation with the account's primary group (§5.1, §13 item 2); off for GUMS parity (§11). */
  readonly emitGroupId?: boolean;
}

/** The statement the answer carries, after §6's rules. */
type Statement =
  | { readonly kind: 'obligated'; readonly username: string; readonly groupName?: string }
  | { readonly kind: 'plain'; readonly decision: 'Deny' | 'Indeterminate' };

const p = SAML1.protocolPrefix;
const a = SAML1.assertionPrefix;
const o = OSG.prefix;
const g = OGSA_AUTHZ.prefix;

/**
 * The SOAP answer to a decoded PRIMA request (§5), one line after the XML declaration (§11). `result` is the
 * decision for a `query`; it is not consulted for `request-denied`, and `undefined` for a query means no
 * decision could be made (answered Indeterminate, §5.3 c).
 */
export function encodePrimaResponse(decoded: DecodedPrimaRequest, result: AuthzResult | undefined, opts: PrimaEncodeOptions): string {
  const instant = opts.now.toISOString();
  const responseId = ncName(opts.idGenerator());
  const open =
    `<${p}:Response xmlns:${p}="${SAML1.protocolNs}" xmlns:${a}="${SAML1.assertionNs}" ResponseID="${attr(responseId)}" ` +
    `InResponseTo="${attr(decoded.requestId)}" IssueInstant="${instant}" MajorVersion="${SAML1.majorVersion}" MinorVersion="${SAML1.minorVersion}" ` +
    `Recipient="${attr(dnForUri(opts.recipient))}">`;
  let inner: string;
  if (decoded.kind === 'request-denied') {
    // §5.4: RequestDenied as the top-level code, no assertion.
    inner =
      `<${p}:Status><${p}:StatusCode Value="${p}:${SAML1.status.requestDenied}"/>` +
      `<${p}:StatusMessage>${text(REQUEST_DENIED_MESSAGE)}</${p}:StatusMessage></${p}:Status>`;
  } else {
    inner = `<${p}:Status><${p}:StatusCode Value="${p}:${SAML1.status.success}"/></${p}:Status>` + assertion(decoded, statementFor(decoded, result, opts), opts);
  }
  return soapEnvelope(
    `<${g}:${OGSA_AUTHZ.responseWrapper} xmlns:${g}="${OGSA_AUTHZ.ns}"><${OGSA_AUTHZ.responseInner}>` +
      open +
      inner +
      `</${p}:Response></${OGSA_AUTHZ.responseInner}></${g}:${OGSA_AUTHZ.responseWrapper}>`,
  );
}

/**
 * A request that could not be read as SAML (§5.4): HTTP 500 with a SOAP fault, as GUMS answered. The fault code
 * follows the lib's rule (Client for bad input) rather than Axis' Server.userException; clients only see "fault".
 */
export function encodePrimaError(error: ProtocolError): { httpStatus: 500; body: string } {
  return { httpStatus: 500, body: encodeSoapFault(faultCodeFor(error.code), error.detail) };
}

/**
 * Why this query cannot receive a Permit whatever the decision (§5.3 b, c; §6 step 6): an action other than
 * access-as-local-identity, or no obligated statement asked for in RespondWith. The PRIMA codec turns it into a request
 * defect before deciding, so no lease is taken and the record says Indeterminate, as the answer does.
 */
export function primaPermitUnreadable(query: PrimaQuery): string | undefined {
  if (!query.actionSupported) return 'the query does not ask for access-as-local-identity, the only action answered with an account';
  if (!query.respondWith.obligatedStatement) return 'RespondWith does not name the obligated authorization statement, so a Permit could not carry the user name';
  return undefined;
}

/** §6 steps 6, 8, 9 and §5.3: fail closed, and never a Permit the client cannot read a user name from. */
function statementFor(query: PrimaQuery, result: AuthzResult | undefined, opts: PrimaEncodeOptions): Statement {
  if (!query.actionSupported || result === undefined) return { kind: 'plain', decision: 'Indeterminate' };
  switch (result.decision) {
    case 'Deny':
    case 'NotApplicable':
      // GUMS had no NotApplicable: "no mapping" was Deny (§5.2).
      return { kind: 'plain', decision: 'Deny' };
    case 'Indeterminate':
      return { kind: 'plain', decision: 'Indeterminate' };
    case 'Permit': {
      const account = result.account;
      // A Permit without an account or without the obligated RespondWith cannot carry the user name (§5.3 b, c).
      if (account === undefined || account.username === '' || !query.respondWith.obligatedStatement) return { kind: 'plain', decision: 'Indeterminate' };
      const group = opts.emitGroupId === true && account.groupName !== undefined && account.groupName !== '' ? { groupName: account.groupName } : {};
      return { kind: 'obligated', username: account.username, ...group };
    }
  }
}

function assertion(query: PrimaQuery, statement: Statement, opts: PrimaEncodeOptions): string {
  const instant = opts.now.toISOString();
  const until = new Date(opts.now.getTime() + ASSERTION_LIFETIME_MS).toISOString();
  const resource = attr(query.resource);
  // The Action is always the supported one: GUMS rewrote any other to it (§5.3 a, V7).
  const body = subjectXml(query.subject) + `<${a}:Action Namespace="${OSG.actionNamespace}">${OSG.actionAccessAsLocalIdentity}</${a}:Action>`;
  let statementXml: string;
  if (statement.kind === 'obligated') {
    const obligations = [obligationXml(OSG.obligationUserId, OSG.attributeUserId, statement.username)];
    if (statement.groupName !== undefined) obligations.push(obligationXml(OSG.obligationGroupId, OSG.attributeGroupId, statement.groupName));
    statementXml =
      `<${o}:${OSG.obligatedStatement} xmlns:${o}="${OSG.ns}" Decision="Permit" Resource="${resource}">` + body + obligations.join('') + `</${o}:${OSG.obligatedStatement}>`;
  } else {
    statementXml = `<${a}:AuthorizationDecisionStatement Decision="${statement.decision}" Resource="${resource}">` + body + `</${a}:AuthorizationDecisionStatement>`;
  }
  return (
    // saml and samlp declared again on the Assertion, as the original did, for clients that lift it out alone.
    `<${a}:Assertion xmlns:${a}="${SAML1.assertionNs}" xmlns:${p}="${SAML1.protocolNs}" AssertionID="${attr(ncName(opts.idGenerator()))}" ` +
    `IssueInstant="${instant}" Issuer="${attr(opts.issuer)}" MajorVersion="${SAML1.majorVersion}" MinorVersion="${SAML1.minorVersion}">` +
    `<${a}:Conditions NotBefore="${instant}" NotOnOrAfter="${until}"/>` +
    statementXml +
    `</${a}:Assertion>`
  );
}

/** The query Subject echoed: NameIdentifier text, Format, NameQualifier and confirmation methods (§5.1, §11). */
function subjectXml(subject: PrimaSubject): string {
  const id = subject.nameIdentifier;
  const name =
    id === undefined
      ? ''
      : `<${a}:NameIdentifier` +
        (id.nameQualifier === undefined ? '' : ` NameQualifier="${attr(id.nameQualifier)}"`) +
        (id.format === undefined ? '' : ` Format="${attr(id.format)}"`) +
        `>${text(id.name)}</${a}:NameIdentifier>`;
  const confirmation =
    subject.confirmationMethods.length === 0
      ? ''
      : `<${a}:SubjectConfirmation>` +
        subject.confirmationMethods.map((m) => `<${a}:ConfirmationMethod>${text(m)}</${a}:ConfirmationMethod>`).join('') +
        `</${a}:SubjectConfirmation>`;
  return `<${a}:Subject>${name}${confirmation}</${a}:Subject>`;
}

/** Exact spellings matter (§5.1): FullfillOn, Datatype, unqualified attributes, assignment in the OSG namespace. */
function obligationXml(obligationId: string, attributeId: string, value: string): string {
  return (
    `<${o}:${OSG.obligation} ObligationId="${obligationId}" ${OSG.fulfillOnAttribute}="Permit">` +
    `<${o}:${OSG.assignment} AttributeId="${attributeId}" ${OSG.dataTypeAttribute}="${OSG.xsString}">${text(value)}</${o}:${OSG.assignment}>` +
    `</${o}:${OSG.obligation}>`
  );
}
