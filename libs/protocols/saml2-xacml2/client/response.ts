import { ErrorCodes } from '@gridauthz/domain';
import type { DecisionValue, Failure } from '@gridauthz/domain';
import type { Element } from '@xmldom/xmldom';
import type { ProtocolErrorCode } from '../../errors';
import { resolveQName } from '../../prima/qname';
import { soapBodyPayload } from '../../soap/envelope';
import { attributeOf, childrenNamed, elementChildren, isElement, textOf } from '../../xml/dom';
import { parseUntrustedXml } from '../../xml/safe-parse';
import type { XmlLimits } from '../../xml/safe-parse';
import { AUTHZ_INTEROP } from '../dialects/authz-interop/profile';
import { EMI } from '../dialects/emi/profile';
import { GLITE } from '../../profiles/glite';
import { SAML } from '../../profiles/saml';
import { SOAP11, XSI } from '../../profiles/soap';
import { XACML, XACML_SAML } from '../../profiles/xacml';

export type XacmlClientErrorCode =
  | ProtocolErrorCode
  | typeof ErrorCodes.PROTO_SOAP_FAULT
  | typeof ErrorCodes.PROTO_RESPONSE_INVALID
  | typeof ErrorCodes.PROTO_RESPONSE_MISMATCH;

export type XacmlClientResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Failure<XacmlClientErrorCode> };

export interface XacmlObligation {
  readonly id: string;
  readonly fulfillOn: string;
  readonly assignments: readonly { readonly id: string; readonly dataType: string; readonly value: string }[];
}

/** A PDP's answer as a PEP reads it. */
export interface XacmlAnswer {
  /** Indeterminate also when the SAML status was not Success and no assertion came (e.g. VersionMismatch). */
  readonly decision: DecisionValue;
  /** The XACML StatusCode value as sent (GUMS sends non-URNs, §7.3), or the SAML one when there was no Result. */
  readonly status: { readonly code: string; readonly message?: string };
  readonly samlStatus: { readonly code: string; readonly message?: string };
  readonly inResponseTo?: string;
  readonly issuer?: string;
  readonly resourceId?: string;
  /** The mapped account as the dialect's obligations state it, read only from obligations that apply to the decision. */
  readonly username?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly secondaryGids: readonly number[];
  /** Primary group name (gLite/EMI group-id/primary, GUMS account primary-groupname). */
  readonly groupName?: string;
  /** All group names (gLite/EMI group-id, primary included). */
  readonly groupNames: readonly string[];
  readonly obligations: readonly XacmlObligation[];
}

const DECISIONS: readonly DecisionValue[] = ['Permit', 'Deny', 'NotApplicable', 'Indeterminate'];
const ASSERTION_NS: readonly string[] = [XACML_SAML.v2.assertionNs, XACML_SAML.os.assertionNs];

const fail = (code: XacmlClientErrorCode, detail: string): { ok: false; error: Failure<XacmlClientErrorCode> } => ({ ok: false, error: { code, detail } });

/**
 * Reads a SOAP-wrapped saml2p:Response with the hardened parser (a server's bytes are input too), as strictly as
 * PEPd does (§8.3): exactly one Assertion, one XACMLAuthzDecisionStatement (by xsi:type), one Result, a known
 * decision, a StatusCode. InResponseTo must be `expect.queryId`. A SOAP Fault is PROTO_SOAP_FAULT.
 */
export function decodeXacmlResponse(body: Buffer | string, expect: { readonly queryId: string }, limits: XmlLimits = {}): XacmlClientResult<XacmlAnswer> {
  const parsed = parseUntrustedXml(body, limits);
  if (!parsed.ok) return parsed;
  const payload = soapBodyPayload(parsed.value.document);
  if (!payload.ok) return payload;
  const response = payload.value;
  if (isElement(response, [SOAP11.ns], 'Fault')) {
    const part = (name: string): string => {
      const element = elementChildren(response).find((child) => child.localName === name);
      return element === undefined ? '' : textOf(element).trim();
    };
    return fail(ErrorCodes.PROTO_SOAP_FAULT, `${part('faultcode')}: ${part('faultstring')}`);
  }
  if (!isElement(response, [SAML.protocolNs], 'Response')) return fail(ErrorCodes.PROTO_RESPONSE_INVALID, 'SOAP Body does not contain a saml2p:Response');

  const inResponseTo = attributeOf(response, 'InResponseTo');
  if (inResponseTo !== expect.queryId) {
    return fail(ErrorCodes.PROTO_RESPONSE_MISMATCH, `InResponseTo "${inResponseTo ?? ''}" does not answer query "${expect.queryId}"`);
  }
  const samlStatus = statusOf(response, SAML.protocolNs);
  const issuerElement = childrenNamed(response, [SAML.assertionNs], 'Issuer')[0];
  const issuer = issuerElement === undefined ? undefined : textOf(issuerElement).trim();

  const assertions = childrenNamed(response, [SAML.assertionNs], 'Assertion');
  if (assertions.length === 0 && samlStatus !== undefined && samlStatus.code !== SAML.status.success) {
    // No decision was made (VersionMismatch, Requester): report the SAML status as the outcome.
    return { ok: true, value: { samlStatus, inResponseTo, issuer, decision: 'Indeterminate', status: samlStatus, secondaryGids: [], groupNames: [], obligations: [] } };
  }
  const assertion = assertions[0];
  if (assertion === undefined || assertions.length > 1) return fail(ErrorCodes.PROTO_RESPONSE_INVALID, `expected exactly one saml2:Assertion, found ${assertions.length}`);
  const statements = childrenNamed(assertion, [SAML.assertionNs], 'Statement').filter(isDecisionStatement);
  const statement = statements[0];
  if (statement === undefined || statements.length > 1) {
    return fail(ErrorCodes.PROTO_RESPONSE_INVALID, `expected exactly one XACMLAuthzDecisionStatement, found ${statements.length}`);
  }
  const xacmlResponse = childrenNamed(statement, [XACML.contextNs], 'Response')[0];
  const results = xacmlResponse === undefined ? [] : childrenNamed(xacmlResponse, [XACML.contextNs], 'Result');
  const result = results[0];
  if (result === undefined || results.length > 1) return fail(ErrorCodes.PROTO_RESPONSE_INVALID, `expected exactly one xacml-context:Result, found ${results.length}`);
  const decisionElement = childrenNamed(result, [XACML.contextNs], 'Decision')[0];
  // Case-sensitive, as ARC compares it (§14.4).
  const decision = DECISIONS.find((d) => d === (decisionElement === undefined ? undefined : textOf(decisionElement).trim()));
  if (decision === undefined) return fail(ErrorCodes.PROTO_RESPONSE_INVALID, 'the Result has no XACML 2.0 Decision');
  const status = statusOf(result, XACML.contextNs);
  if (status === undefined) return fail(ErrorCodes.PROTO_RESPONSE_INVALID, 'the Result has no Status/StatusCode');

  const obligations = readObligations(result);
  const account = accountOf(obligations, decision);
  if (typeof account === 'string') return fail(ErrorCodes.PROTO_RESPONSE_INVALID, account);
  const resourceId = attributeOf(result, 'ResourceId');
  return {
    ok: true,
    value: { samlStatus: samlStatus ?? { code: '' }, inResponseTo, issuer, decision, status, resourceId, ...account, obligations },
  };
}

/** A saml2:Statement whose xsi:type resolves to XACMLAuthzDecisionStatementType in either profile family (§7.2). */
function isDecisionStatement(statement: Element): boolean {
  const type = statement.getAttributeNS(XSI.ns, 'type');
  if (type === null || type === '') return false;
  const qname = resolveQName(statement, type);
  return qname.local === XACML_SAML.statementType && qname.ns !== null && ASSERTION_NS.includes(qname.ns);
}

function statusOf(parent: Element, ns: string): { code: string; message?: string } | undefined {
  const status = childrenNamed(parent, [ns], 'Status')[0];
  const code = status === undefined ? undefined : childrenNamed(status, [ns], 'StatusCode')[0];
  const value = code === undefined ? undefined : attributeOf(code, 'Value')?.trim();
  if (status === undefined || value === undefined || value === '') return undefined;
  const messageElement = childrenNamed(status, [ns], 'StatusMessage')[0];
  const message = messageElement === undefined ? '' : textOf(messageElement).trim();
  return message === '' ? { code: value } : { code: value, message };
}

function readObligations(result: Element): XacmlObligation[] {
  return childrenNamed(result, [XACML.policyNs], 'Obligations')
    .flatMap((list) => childrenNamed(list, [XACML.policyNs], 'Obligation'))
    .map((obligation) => ({
      id: attributeOf(obligation, 'ObligationId')?.trim() ?? '',
      fulfillOn: attributeOf(obligation, 'FulfillOn')?.trim() ?? '',
      assignments: childrenNamed(obligation, [XACML.policyNs], 'AttributeAssignment').map((assignment) => ({
        id: attributeOf(assignment, 'AttributeId')?.trim() ?? '',
        dataType: attributeOf(assignment, 'DataType')?.trim() ?? '',
        value: textOf(assignment).trim(),
      })),
    }));
}

interface AccountFields {
  username?: string;
  uid?: number;
  gid?: number;
  secondaryGids: number[];
  groupName?: string;
  groupNames: string[];
}

/**
 * The account the obligations state, in any dialect's vocabulary (§6). Like PEPd, only obligations whose
 * FulfillOn equals the decision count: GUMS' Deny carries an empty username obligation (§14.2) that must not
 * read as a mapping. A non-numeric uid/gid is a broken answer, not a missing value. Returns a reason on error.
 */
function accountOf(obligations: readonly XacmlObligation[], decision: DecisionValue): AccountFields | string {
  const out: AccountFields = { secondaryGids: [], groupNames: [] };
  const ai = AUTHZ_INTEROP;
  for (const obligation of obligations) {
    if (obligation.fulfillOn !== decision) continue;
    const values = (attributeId: string): string[] => obligation.assignments.filter((a) => a.id === attributeId && a.value !== '').map((a) => a.value);
    const first = (attributeId: string): string | undefined => values(attributeId)[0];
    switch (obligation.id) {
      case ai.obligation.uidgid: {
        const uid = first(ai.attribute.posixUid);
        const gid = first(ai.attribute.posixGid);
        // GUMS may send gid alone (§6.1).
        if (uid !== undefined) {
          const n = posixId(uid);
          if (n === undefined) return `posix-uid "${uid}" is not a number`;
          out.uid = n;
        }
        if (gid !== undefined) {
          const n = posixId(gid);
          if (n === undefined) return `posix-gid "${gid}" is not a number`;
          out.gid = n;
        }
        break;
      }
      case ai.obligation.secondaryGids:
        for (const gid of values(ai.attribute.posixGid)) {
          const n = posixId(gid);
          if (n === undefined) return `secondary posix-gid "${gid}" is not a number`;
          if (!out.secondaryGids.includes(n)) out.secondaryGids.push(n);
        }
        break;
      case ai.obligation.username:
        out.username = first(ai.attribute.username) ?? out.username;
        break;
      case ai.obligation.account:
        out.username = first(ai.attribute.username) ?? out.username;
        out.groupName = first(ai.attribute.primaryGroupname) ?? out.groupName;
        break;
      case GLITE.obligation.posix:
      case EMI.obligation.posix: {
        const at = obligation.id === GLITE.obligation.posix ? GLITE.attribute : EMI.attribute;
        out.username = first(at.userId) ?? out.username;
        out.groupName = first(at.groupIdPrimary) ?? out.groupName;
        for (const group of values(at.groupId)) if (!out.groupNames.includes(group)) out.groupNames.push(group);
        break;
      }
      default:
        // Unknown obligations stay in the raw list for the caller to judge.
        break;
    }
  }
  const result: AccountFields = { secondaryGids: out.secondaryGids, groupNames: out.groupNames };
  if (out.username !== undefined) result.username = out.username;
  if (out.uid !== undefined) result.uid = out.uid;
  if (out.gid !== undefined) result.gid = out.gid;
  if (out.groupName !== undefined) result.groupName = out.groupName;
  return result;
}

/** A POSIX id: decimal, within 32 bits unsigned. */
function posixId(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}
