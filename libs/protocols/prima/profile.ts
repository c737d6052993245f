/**
 * Identifiers of the legacy GUMS/PRIMA SAML 1.1 mapping callout (prima-saml1.md §2–§5). The only file of this
 * codec that holds URIs; misspellings are the real ones and must stay.
 */
import { SAML } from '../profiles/saml';
import { XS } from '../profiles/xacml';

export const OGSA_AUTHZ = {
  /** Wrapper namespace of SAMLRequest / SAMLRequestResponse (§2). */
  ns: 'http://www.gridforum.org/namespaces/2004/03/ogsa-authz/saml',
  prefix: 'ogsa',
  requestWrapper: 'SAMLRequest',
  requestInner: 'samlRequest',
  responseWrapper: 'SAMLRequestResponse',
  responseInner: 'samlResponse',
  /** The SOAPAction the Java client sends (§1); servers ignore it. */
  soapAction: '"http://www.gridforum.org/namespaces/2004/03/ogsa-authz/saml#SAMLRequest"',
} as const;

export const SAML1 = {
  protocolNs: 'urn:oasis:names:tc:SAML:1.0:protocol',
  protocolPrefix: 'samlp',
  assertionNs: 'urn:oasis:names:tc:SAML:1.0:assertion',
  assertionPrefix: 'saml',
  majorVersion: '1',
  /** Request MinorVersions accepted (§4: OpenSAML-J writes 1, 0 was tolerated); answers always say 1. */
  acceptedMinorVersions: ['0', '1'],
  minorVersion: '1',
  /** Query elements of samlp:Request other than AuthorizationDecisionQuery: parsable, answered RequestDenied (§6 step 4). */
  otherQueries: ['Query', 'SubjectQuery', 'AuthenticationQuery', 'AttributeQuery', 'AssertionArtifact'],
  /** saml:AssertionIDReference may stand in samlp:Request too (same answer). */
  assertionIdReference: 'AssertionIDReference',
  status: { success: 'Success', requestDenied: 'RequestDenied' },
  nameIdFormatX509: SAML.nameIdFormatX509SubjectName,
  /** What the privilege Java client sends (sic: "osasis", no colon before nameid-format; §4). Accepted, never checked. */
  nameIdFormatX509JavaClient: 'urn:osasis:names:tc:SAML:1.1nameid-format:X509SubjectName',
  confirmationX509Pki: 'urn:oasis:names:tc:SAML:1.0:am:X509-PKI',
} as const;

export const OSG = {
  ns: 'opensciencegrid:authorization:saml',
  prefix: 'osg',
  obligatedStatement: 'ObligatedAuthorizationDecisionStatement',
  obligation: 'XACMLObligation',
  assignment: 'AttributeAssignment',
  /** sic (§5.1) */
  fulfillOnAttribute: 'FullfillOn',
  /** sic (§5.1) */
  dataTypeAttribute: 'Datatype',
  actionNamespace: 'opensciencegrid:authorization',
  /** The only action the service supports (§4). */
  actionAccessAsLocalIdentity: 'access_as_local_identity',
  fqanAttributeName: 'FQAN',
  fqanAttributeNamespace: 'opensciencegrid:authorization',
  obligationUserId: 'opensciencegrid:authorization:UserIdObligation',
  attributeUserId: 'opensciencegrid:authorization:attribute:UserId',
  obligationGroupId: 'opensciencegrid:authorization:GroupIdObligation',
  attributeGroupId: 'opensciencegrid:authorization:attribute:GroupId',
  xsString: XS.string,
} as const;

/** The assertion Issuer privilege 1.0.1.5 wrote (§5); clients must not check it, but parity is cheap. */
export const PRIMA_DEFAULT_ISSUER = 'BasicMappingAuthZService';

/** StatusMessage of the RequestDenied answer, as the original server worded it (§5.4). */
export const REQUEST_DENIED_MESSAGE = 'Please contact the system administrator of this authorization service for more information';

/** Validity of the answer's assertion (§5: NotOnOrAfter = now + 10 min). */
export const ASSERTION_LIFETIME_MS = 10 * 60 * 1000;
