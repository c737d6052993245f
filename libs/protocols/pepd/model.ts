/**
 * The Argus PEP model (`org.glite.authz.common.model.*`) as protocol-neutral data, and the names it travels under
 * in Hessian (docs/pepd.md §3). Field names are the Java field names; the C client uses the same ones.
 */

import { GLITE } from '../profiles/glite';
import { XACML, XS } from '../profiles/xacml';

export const PEP_MODEL = 'org.glite.authz.common.model.';

export const PepClass = {
  Request: `${PEP_MODEL}Request`,
  Subject: `${PEP_MODEL}Subject`,
  Resource: `${PEP_MODEL}Resource`,
  Action: `${PEP_MODEL}Action`,
  Environment: `${PEP_MODEL}Environment`,
  Attribute: `${PEP_MODEL}Attribute`,
  Response: `${PEP_MODEL}Response`,
  Result: `${PEP_MODEL}Result`,
  Status: `${PEP_MODEL}Status`,
  StatusCode: `${PEP_MODEL}StatusCode`,
  Obligation: `${PEP_MODEL}Obligation`,
  AttributeAssignment: `${PEP_MODEL}AttributeAssignment`,
} as const;

/** Attribute and data-type identifiers the PEP clients and the grid-wn/grid-ce profiles use. */
export const PepIds = {
  subjectId: XACML.subjectId,
  keyInfo: XACML.keyInfo,
  fqan: GLITE.subject.fqan,
  primaryFqan: GLITE.subject.fqanPrimary,
  resourceId: XACML.resourceId,
  actionId: XACML.actionId,
  profileId: GLITE.profileIdAttribute,
  accessSubject: XACML.accessSubject,
  dtString: XS.string,
  dtAnyUri: XS.anyURI,
  dtX500Name: XACML.x500Name,
  dtFqan: GLITE.fqanDataType,
  /** The account obligation a PEPd's obligation handler returns (docs/reference/saml2-xacml2.md §6.2). */
  obligationPosix: GLITE.obligation.posix,
  userId: GLITE.attribute.userId,
  groupIdPrimary: GLITE.attribute.groupIdPrimary,
  groupId: GLITE.attribute.groupId,
  statusOk: XACML.status.ok,
  statusMissingAttribute: XACML.status['missing-attribute'],
  statusSyntaxError: XACML.status['syntax-error'],
  statusProcessingError: XACML.status['processing-error'],
} as const;

export interface PepAttribute {
  readonly id: string;
  readonly dataType?: string;
  readonly issuer?: string;
  readonly values: readonly string[];
}

export interface PepSubject {
  readonly category?: string;
  readonly attributes: readonly PepAttribute[];
}

export interface PepResource {
  readonly resourceContent?: string;
  readonly attributes: readonly PepAttribute[];
}

/** Action and Environment: a bag of attributes each. */
export interface PepAttributeBag {
  readonly attributes: readonly PepAttribute[];
}

export interface PepRequest {
  readonly subjects: readonly PepSubject[];
  readonly resources: readonly PepResource[];
  readonly action?: PepAttributeBag;
  readonly environment?: PepAttributeBag;
}

/** Result.decision values of the Java model (0..3). */
export const PepDecisionCode = { Deny: 0, Permit: 1, Indeterminate: 2, NotApplicable: 3 } as const;
export type PepDecision = keyof typeof PepDecisionCode;

export interface PepStatusCode {
  readonly code: string;
  readonly subCode?: PepStatusCode;
}

export interface PepStatus {
  readonly message?: string;
  readonly statusCode?: PepStatusCode;
}

export interface PepAttributeAssignment {
  readonly attributeId: string;
  readonly dataType?: string;
  readonly value?: string;
}

export interface PepObligation {
  readonly id: string;
  /** Only Deny and Permit are valid (the Java setter refuses others). */
  readonly fulfillOn: 'Deny' | 'Permit';
  readonly attributeAssignments: readonly PepAttributeAssignment[];
}

export interface PepResult {
  readonly decision: PepDecision;
  readonly resourceId?: string;
  readonly status?: PepStatus;
  readonly obligations: readonly PepObligation[];
}

export interface PepResponse {
  /** The request the decision was made on (PEPd echoes it after its PIPs ran). */
  readonly request?: PepRequest;
  readonly results: readonly PepResult[];
}

/** The account obligation as the Argus PEPd obligation handler returns it: the groups list includes the primary. */
export function posixAccountObligation(account: { readonly userId: string; readonly primaryGroup: string; readonly groups: readonly string[] }): PepObligation {
  const groups = account.groups.includes(account.primaryGroup) ? account.groups : [account.primaryGroup, ...account.groups];
  return {
    id: PepIds.obligationPosix,
    fulfillOn: 'Permit',
    attributeAssignments: [
      { attributeId: PepIds.userId, dataType: PepIds.dtString, value: account.userId },
      { attributeId: PepIds.groupIdPrimary, dataType: PepIds.dtString, value: account.primaryGroup },
      ...groups.map((g) => ({ attributeId: PepIds.groupId, dataType: PepIds.dtString, value: g })),
    ],
  };
}
