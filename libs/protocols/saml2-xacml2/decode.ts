import { X509Certificate } from 'node:crypto';
import { type Certificate, Oid, parseCertificate } from '@gridauthz/credentials';
import { Dn, ErrorCodes, Fqan } from '@gridauthz/domain';
import type { AuthzQuery, Dialect, PilotJob, RequestDefect } from '@gridauthz/domain';
import type { Element } from '@xmldom/xmldom';
import { ProtocolErrorCodes, protocolError } from '../errors';
import type { ProtocolResult } from '../errors';
import { soapBodyPayload } from '../soap/envelope';
import { GRIDAUTHZ } from './profiles/gridauthz';
import { attributeOf, childrenNamed, elementChildren, isElement, textOf } from '../xml/dom';
import { parseUntrustedXml } from '../xml/safe-parse';
import type { ParsedXml, XmlLimits } from '../xml/safe-parse';
import { AUTHZ_INTEROP } from './profiles/authz-interop';
import { EMI } from './profiles/emi';
import { GLITE } from './profiles/glite';
import { SAML } from './profiles/saml';
import { XACML, XACML_SAML, XS } from './profiles/xacml';
import type { NamespaceFamily } from './profiles/xacml';
import { XMLDSIG } from './profiles/xmldsig';
import { verifyQuerySignature } from './signature';
import type { RequestSignaturePolicy } from './signature';

/** One xacml-context:Attribute element as received; values untrimmed so the echo returns what was sent. */
export interface XacmlAttribute {
  readonly id: string;
  /** The declared DataType, or xs:string when absent (§4.3). */
  readonly dataType: string;
  readonly issuer?: string;
  readonly values: readonly string[];
}

/** The xacml-context:Request as received, for the ReturnContext echo and for consumers needing more. */
export interface XacmlContext {
  /** `category` is the SubjectCategory attribute when the element had one. */
  readonly subjects: readonly { readonly category?: string; readonly attributes: readonly XacmlAttribute[] }[];
  readonly resources: readonly { readonly attributes: readonly XacmlAttribute[] }[];
  readonly action: readonly XacmlAttribute[];
  readonly environment: readonly XacmlAttribute[];
}

export interface DecodedQuery {
  /** Namespace family of the query; the answer uses the same (§0 item 2). */
  readonly family: NamespaceFamily;
  /** Query ID verbatim (no NCName check: real clients send UUIDs), echoed as InResponseTo. */
  readonly id?: string;
  readonly issueInstant?: string;
  readonly issuer?: { readonly value: string; readonly format?: string };
  readonly returnContext: boolean;
  /** Recorded only: grid clients always send false and there are no PIPs to suppress. */
  readonly inputContextOnly: boolean;
  readonly dialect: Dialect;
  readonly context: XacmlContext;
  readonly request: AuthzQuery;
  /** Set when a signature was verified; the index into the caller's trusted certificates. */
  readonly signedBy?: number;
}

export interface DecodeOptions {
  /** Verify ds:Signature on queries against these certificates; absent: signatures are ignored (§2.3). */
  readonly signature?: RequestSignaturePolicy;
}

// A Map, not an object literal: the namespace URI is attacker-chosen and must not reach Object.prototype.
const PROTOCOL_NS: ReadonlyMap<string, NamespaceFamily> = new Map([
  [XACML_SAML.v2.protocolNs, 'v2'],
  [XACML_SAML.os.protocolNs, 'os'],
  [XACML_SAML.osProtocolNsMisspelt, 'os'],
]);

/**
 * Decodes a SOAP-wrapped XACMLAuthzDecisionQuery. Malformed envelopes and non-queries are errors (SOAP
 * Client fault); missing or unparsable attributes are not: they become `request.defects`, so the decision
 * can answer Indeterminate in the caller's dialect (§7.3).
 */
export function decodeXacmlQuery(body: Buffer | string, limits: XmlLimits = {}, options: DecodeOptions = {}): ProtocolResult<DecodedQuery> {
  const parsed = parseUntrustedXml(body, limits);
  if (!parsed.ok) return parsed;
  return decodeParsedXacmlQuery(parsed.value, limits, options);
}

/** `decodeXacmlQuery` on a document already parsed by parseUntrustedXml (a server parses each body once). */
export function decodeParsedXacmlQuery(xml: ParsedXml, limits: XmlLimits = {}, options: DecodeOptions = {}): ProtocolResult<DecodedQuery> {
  const payload = soapBodyPayload(xml.document);
  if (!payload.ok) return payload;
  let query = payload.value;
  const family = query.namespaceURI === null ? undefined : PROTOCOL_NS.get(query.namespaceURI);
  if (family === undefined || query.localName !== XACML_SAML.queryLocalName) {
    return protocolError(ProtocolErrorCodes.PROTO_NOT_A_QUERY, 'Body does not contain an XACMLAuthzDecisionQuery');
  }
  const id = attributeOf(query, 'ID');
  const version = attributeOf(query, 'Version');
  // Missing Version is tolerated like the other client sloppiness of §0 item 6; a different one is not (§4.2).
  if (version !== undefined && version.trim() !== SAML.version) {
    return protocolError(ProtocolErrorCodes.PROTO_VERSION_MISMATCH, `SAML Version ${version} is not supported`, id);
  }

  let signedBy: number | undefined;
  if (options.signature !== undefined) {
    const signatures = childrenNamed(query, [XMLDSIG.ns], 'Signature');
    if (signatures.length === 0) {
      if (options.signature.required) return protocolError(ProtocolErrorCodes.PROTO_SIGNATURE_MISSING, 'query is not signed', id);
    } else {
      const verified = verifyQuerySignature(xml.text, xml.document, query, options.signature, limits);
      if (!verified.ok) return verified;
      // Decode what the signature covers, not the original tree: nothing unsigned can slip in.
      query = verified.value.query;
      signedBy = verified.value.keyIndex;
    }
  }

  const requests = childrenNamed(query, [XACML.contextNs], 'Request');
  const requestElement = requests[0];
  if (requestElement === undefined || requests.length > 1) {
    return protocolError(ProtocolErrorCodes.PROTO_QUERY_INVALID, 'query must contain exactly one xacml-context:Request', id);
  }
  const context = readContext(requestElement);
  const issuerElement = childrenNamed(query, [SAML.assertionNs], 'Issuer')[0];
  const issuerText = issuerElement === undefined ? '' : textOf(issuerElement).trim();
  const issuerFormat = issuerElement === undefined ? undefined : attributeOf(issuerElement, 'Format');
  const issuer = issuerText === '' ? undefined : issuerFormat === undefined ? { value: issuerText } : { value: issuerText, format: issuerFormat };
  const issueInstant = attributeOf(query, 'IssueInstant');
  const dialect = detectDialect(context);
  const request = extractRequest(context, dialect, id, issuer?.value);

  return {
    ok: true,
    value: {
      family,
      ...(id === undefined ? {} : { id }),
      ...(issueInstant === undefined ? {} : { issueInstant }),
      ...(issuer === undefined ? {} : { issuer }),
      returnContext: xsBoolean(attributeOf(query, 'ReturnContext'), false),
      inputContextOnly: xsBoolean(attributeOf(query, 'InputContextOnly'), false),
      dialect,
      context,
      request,
      ...(signedBy === undefined ? {} : { signedBy }),
    },
  };
}

function xsBoolean(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const v = value.trim();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return fallback;
}

function readAttributes(parent: Element): XacmlAttribute[] {
  return childrenNamed(parent, [XACML.contextNs], 'Attribute').flatMap((attribute) => {
    const id = attributeOf(attribute, 'AttributeId')?.trim();
    if (id === undefined || id === '') return [];
    const issuer = attributeOf(attribute, 'Issuer');
    const values = childrenNamed(attribute, [XACML.contextNs], 'AttributeValue').map(textOf);
    return [{ id, dataType: attributeOf(attribute, 'DataType')?.trim() || XS.string, ...(issuer === undefined ? {} : { issuer }), values }];
  });
}

function readContext(request: Element): XacmlContext {
  const children = elementChildren(request);
  const named = (localName: string): Element[] => children.filter((child) => isElement(child, [XACML.contextNs], localName));
  return {
    subjects: named('Subject').map((subject) => {
      const category = attributeOf(subject, 'SubjectCategory');
      return { ...(category === undefined ? {} : { category }), attributes: readAttributes(subject) };
    }),
    resources: named('Resource').map((resource) => ({ attributes: readAttributes(resource) })),
    action: named('Action').flatMap(readAttributes),
    environment: named('Environment').flatMap(readAttributes),
  };
}

/** Attributes of the access subject(s): other categories (intermediary, codebase) do not identify the user. */
function accessSubjectAttributes(context: XacmlContext): XacmlAttribute[] {
  return context.subjects.filter((s) => (s.category?.trim() ?? XACML.accessSubject) === XACML.accessSubject).flatMap((s) => [...s.attributes]);
}

/** §4.4, in its order: a declared profile wins over attribute ids. */
function detectDialect(context: XacmlContext): Dialect {
  // The attribute's presence decides the family; its value only picks grid-ce (anything else is answered as
  // grid-wn, whose obligations are the same).
  if (hasId(context.environment, GLITE.profileIdAttribute)) {
    return valuesOf(context.environment, GLITE.profileIdAttribute)[0] === GLITE.profile.gridCe ? 'grid-ce' : 'grid-wn';
  }
  if (hasId(context.environment, EMI.profileIdAttribute)) return 'emi';
  const all = [...context.subjects.flatMap((s) => s.attributes), ...context.resources.flatMap((r) => r.attributes), ...context.action, ...context.environment];
  if (all.some((a) => a.id.startsWith(AUTHZ_INTEROP.prefix))) return 'authz-interop';
  return 'xacml';
}

function hasId(attributes: readonly XacmlAttribute[], id: string): boolean {
  return attributes.some((a) => a.id === id);
}

/** Values of every attribute with this id, merged (§4.3: split across elements), trimmed, empties dropped (§14.1). */
function valuesOf(attributes: readonly XacmlAttribute[], ...ids: string[]): string[] {
  // A Set, since a hostile message may repeat a value thousands of times.
  const out = new Set<string>();
  for (const id of ids) {
    for (const attribute of attributes) {
      if (attribute.id !== id) continue;
      for (const raw of attribute.values) {
        const value = raw.trim();
        if (value !== '') out.add(value);
      }
    }
  }
  return [...out];
}

function extractRequest(context: XacmlContext, dialect: Dialect, requestId: string | undefined, messageIssuer: string | undefined): AuthzQuery {
  const defects: RequestDefect[] = [];
  // Ambiguity (issue 15 finding 3): a request that could be read as two different questions is refused whole,
  // never decided on its first value. Each refusal has its own reason code in the decision record.
  const ambiguous = (code: string, attribute: string, detail: string): void => {
    defects.push({ kind: 'syntax-error', code, attribute, detail });
  };
  const accessSubjects = context.subjects.filter((s) => (s.category?.trim() ?? XACML.accessSubject) === XACML.accessSubject);
  if (accessSubjects.length > 1) {
    ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, 'subject', `the request has ${accessSubjects.length} access-subject elements; exactly one is accepted`);
  }
  const subject = accessSubjectAttributes(context);
  const allResources = context.resources.flatMap((r) => [...r.attributes]);

  const parseDn = (attributeId: string, value: string | undefined): Dn | undefined => {
    if (value === undefined) return undefined;
    try {
      return Dn.parse(value);
    } catch (error) {
      defects.push({ kind: 'syntax-error', attribute: attributeId, detail: `not a DN: ${describe(error)}` });
      return undefined;
    }
  };
  /** At most one DN, given by any of `ids` (values that parse to the same name agree); otherwise ambiguous. */
  const oneDn = (code: string, what: string, ids: readonly string[], attributes: readonly XacmlAttribute[]): { dn?: Dn; id?: string } => {
    let found: { dn: Dn; id: string } | undefined;
    for (const id of ids) {
      for (const value of valuesOf(attributes, id)) {
        const dn = parseDn(id, value);
        if (dn === undefined) continue;
        if (found === undefined) found = { dn, id };
        else if (!found.dn.equals(dn)) {
          ambiguous(code, id, `${what} is named twice, differently ("${found.dn.toRfc2253()}" by ${found.id}, "${dn.toRfc2253()}" by ${id})`);
          return {};
        }
      }
    }
    return found ?? {};
  };
  const parseFqans = (attributeId: string, values: readonly string[]): Fqan[] => {
    const out: Fqan[] = [];
    for (const value of values) {
      const fqan = Fqan.tryParse(value);
      if (fqan === undefined) defects.push({ kind: 'syntax-error', attribute: attributeId, detail: `not an FQAN: "${value}"` });
      else if (!out.some((known) => known.equals(fqan))) out.push(fqan);
    }
    return out;
  };

  // Subject DN: subject-id (gLite, EMI, ARC) and authz-interop subject-x509-id (ARC mixes them); both may be
  // sent, and must then name the same DN.
  const dnIds: readonly string[] = dialect === 'authz-interop' ? [AUTHZ_INTEROP.subject.x509Id, XACML.subjectId] : [XACML.subjectId, AUTHZ_INTEROP.subject.x509Id];
  const defectsBeforeDn = defects.length;
  const assertedDn = oneDn(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, 'the subject DN', dnIds, subject).dn;
  const dnDefect = defects.length > defectsBeforeDn;

  // Issuer of the end-entity certificate: each profile's own id (docs/dialects.md). The subject-issuer ids
  // (gLite, and dci-sec as ARC's emi conversion sends the CA) list every issuer on the chain; a single value
  // there is the CA, several leave the end-entity's issuer unknown but still go to policy.
  const eecIssuerIds = [AUTHZ_INTEROP.subject.x509Issuer, GLITE.subject.x509SubjectIssuer, EMI.subject.x509SubjectIssuer];
  const chainIssuerIds = [EMI.subject.subjectIssuer, GLITE.subject.subjectIssuer];
  let assertedIssuerDn = oneDn(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, "the subject's CA", eecIssuerIds, subject).dn;
  const assertedIssuerDns: Dn[] = [];
  for (const id of [...eecIssuerIds, ...chainIssuerIds]) {
    for (const value of valuesOf(subject, id)) {
      const dn = parseDn(id, value);
      if (dn !== undefined && !assertedIssuerDns.some((known) => known.equals(dn))) assertedIssuerDns.push(dn);
    }
  }
  if (assertedIssuerDn === undefined) {
    const chainIssuers = assertedIssuerDns.length === 1 ? assertedIssuerDns : [];
    assertedIssuerDn = chainIssuers[0];
  }

  // One certificate chain at most: two chain attributes (key-info and cert-chain, or either twice) could name two
  // people, and the first is not more likely the one meant.
  const chainAttributes = subject.filter((a) => a.id === XACML.keyInfo || a.id === AUTHZ_INTEROP.subject.certChain);
  let chain: Buffer[] | undefined;
  const chainId = chainAttributes[0]?.id;
  if (chainAttributes.length > 1) {
    ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_CHAIN, chainId ?? XACML.keyInfo, `the subject carries ${chainAttributes.length} certificate-chain attributes; exactly one is accepted`);
  } else if (chainId !== undefined && valuesOf(subject, chainId).length > 0) {
    const decoded = decodeCertificates(valuesOf(subject, chainId));
    if (decoded === NOT_ONE_CHAIN) ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_CHAIN, chainId, decoded);
    else if (typeof decoded === 'string') defects.push({ kind: 'syntax-error', attribute: chainId, detail: decoded });
    else chain = decoded;
  }
  const token = bearerToken(subject, defects);
  if (assertedDn === undefined && chain === undefined && token === undefined && !dnDefect && !defects.some((d) => dnIds.includes(d.attribute) || d.attribute === chainId || d.attribute === GRIDAUTHZ.subject.bearerToken)) {
    defects.push({ kind: 'missing-attribute', attribute: 'subject', detail: 'the query identifies no subject (no subject DN, key-info or cert-chain)' });
  }

  // An EMI role that names no group among several cannot be placed; dropping it could slip past a deny on the role.
  const groupCount = valuesOf(subject, EMI.subject.group).length;
  for (const roleId of [EMI.subject.role, EMI.subject.rolePrimary]) {
    const loose = subject.some((a) => a.id === roleId && !a.issuer?.trim() && a.values.some((v) => v.trim() !== ''));
    const groups = roleId === EMI.subject.role ? groupCount : valuesOf(subject, EMI.subject.groupPrimary).length;
    if (loose && groups !== 1) ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, roleId, 'a role without an Issuer naming its group, among several groups');
  }
  // One pilot job at most: glexec's caller names one.
  const pilotDns = valuesOf(context.environment, AUTHZ_INTEROP.environment.pilotJob.x509Id, AUTHZ_INTEROP.environment.pilotJob.x509IdMisspelt);
  if (new Set(pilotDns).size > 1) ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, AUTHZ_INTEROP.environment.pilotJob.x509Id, `the request names ${pilotDns.length} pilot jobs`);

  const fqanList = [
    ...parseFqans(AUTHZ_INTEROP.subject.vomsFqan, valuesOf(subject, AUTHZ_INTEROP.subject.vomsFqan)),
    ...parseFqans(GLITE.subject.fqan, valuesOf(subject, GLITE.subject.fqan)),
    ...parseFqans(EMI.subject.group, emiFqans(subject, EMI.subject.group, EMI.subject.role)),
  ].filter((fqan, index, list) => list.findIndex((other) => other.equals(fqan)) === index);
  // The primary FQAN comes in its own attribute (ARC emi: group/primary + role/primary; gLite fqan/primary;
  // authz-interop voms-primary-fqan). Two different primaries are two different questions.
  const primaries = [
    ...parseFqans(AUTHZ_INTEROP.subject.vomsPrimaryFqan, valuesOf(subject, AUTHZ_INTEROP.subject.vomsPrimaryFqan)),
    ...parseFqans(GLITE.subject.fqanPrimary, valuesOf(subject, GLITE.subject.fqanPrimary)),
    ...parseFqans(EMI.subject.groupPrimary, emiPrimaryFqans(subject)),
  ].filter((fqan, index, list) => list.findIndex((other) => other.equals(fqan)) === index);
  if (primaries.length > 1) {
    ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, 'primary-fqan', `the request names ${primaries.length} different primary FQANs (${primaries.map((f) => f.toString()).join(', ')})`);
  }
  const primaryFqan = primaries[0];
  // Primary first: mapping (like LCMAPS and Argus) maps on the first FQAN, whatever order the group list came in.
  const fqans = primaryFqan === undefined ? fqanList : [primaryFqan, ...fqanList.filter((f) => !f.equals(primaryFqan))];
  const fqanIssuer = subject.find((a) => a.id === AUTHZ_INTEROP.subject.vomsPrimaryFqan)?.issuer?.trim();
  const vos = valuesOf(subject, AUTHZ_INTEROP.subject.vo, GLITE.subject.virtualOrganization, EMI.subject.virtualOrganization);

  const hostDn = oneDn(ErrorCodes.REQUEST_AMBIGUOUS_RESOURCE, 'the resource host', [AUTHZ_INTEROP.resource.x509Id, EMI.resource.owner], allResources).dn;

  // Null prototype: attribute ids are attacker-chosen ("__proto__" must stay an ordinary key).
  const environment = Object.create(null) as Record<string, string[]>;
  for (const attribute of context.environment) {
    const merged = new Set(environment[attribute.id] ?? []);
    for (const raw of attribute.values) if (raw.trim() !== '') merged.add(raw.trim());
    environment[attribute.id] = [...merged];
  }
  const attributes = Object.create(null) as Record<string, string[]>;
  // The token is a credential, not a policy attribute: it never reaches policy or the record verbatim.
  for (const attribute of subject) if (attribute.id !== GRIDAUTHZ.subject.bearerToken) attributes[attribute.id] ??= valuesOf(subject, attribute.id);

  const pilotJob = extractPilotJob(context, parseDn, parseFqans);
  const resourceIds = valuesOf(allResources, XACML.resourceId);
  if (resourceIds.length > 1) ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_RESOURCE, XACML.resourceId, `the request names ${resourceIds.length} resources; exactly one is accepted`);
  const actionIds = valuesOf(context.action, XACML.actionId);
  if (actionIds.length > 1) ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_ACTION, XACML.actionId, `the request names ${actionIds.length} actions; exactly one is accepted`);
  const resourceId = resourceIds[0];
  const actionId = actionIds[0];
  const host = valuesOf(allResources, AUTHZ_INTEROP.resource.dnsHostName)[0];
  const profileId = valuesOf(context.environment, GLITE.profileIdAttribute, EMI.profileIdAttribute)[0];

  return {
    dialect,
    ...(requestId === undefined ? {} : { requestId }),
    ...(messageIssuer === undefined ? {} : { messageIssuer }),
    ...(profileId === undefined ? {} : { profileId }),
    subject: {
      ...(chain === undefined ? {} : { chain }),
      ...(token === undefined ? {} : { token }),
      ...(assertedDn === undefined ? {} : { assertedDn }),
      ...(assertedIssuerDn === undefined ? {} : { assertedIssuerDn }),
      ...(assertedIssuerDns.length === 0 ? {} : { assertedIssuerDns }),
      ...(vos.length === 0 ? {} : { assertedVos: vos }),
      ...(fqans.length === 0 ? {} : { assertedFqans: fqans }),
      ...(primaryFqan === undefined ? {} : { assertedPrimaryFqan: primaryFqan }),
      ...(fqanIssuer === undefined || fqanIssuer === '' || fqanIssuer === AUTHZ_INTEROP.issuerNone ? {} : { assertedFqanIssuer: fqanIssuer }),
      attributes,
    },
    ...(resourceId === undefined ? {} : { resource: resourceId }),
    ...(actionId === undefined ? {} : { action: actionId }),
    ...(host === undefined ? {} : { host }),
    ...(hostDn === undefined ? {} : { hostDn }),
    obligationsSupported: valuesOf(context.environment, AUTHZ_INTEROP.environment.pepObligSupported)
      .map((value) => (value.includes(':') ? value : `${AUTHZ_INTEROP.obligationPrefix}${value}`))
      .filter((value, index, list) => list.indexOf(value) === index),
    ...(pilotJob === undefined ? {} : { pilotJob }),
    environment,
    defects,
  };
}

/**
 * The bearer token of the access subject (docs/authzen.md §6): one value of gridauthz's bearer-token attribute.
 * Two different values could be two people, so they are ambiguous; the token's shape and signature are the
 * token validator's to judge.
 */
function bearerToken(subject: readonly XacmlAttribute[], defects: RequestDefect[]): string | undefined {
  const values = valuesOf(subject, GRIDAUTHZ.subject.bearerToken);
  if (values.length > 1) {
    defects.push({ kind: 'syntax-error', code: ErrorCodes.REQUEST_AMBIGUOUS_CREDENTIAL, attribute: GRIDAUTHZ.subject.bearerToken, detail: `the subject carries ${values.length} bearer tokens; exactly one is accepted` });
    return undefined;
  }
  return values[0];
}

/**
 * EMI carries VOMS attributes as group paths plus role names whose Attribute Issuer names their group
 * (§5.4); rebuild long-form FQANs: each group with Role=NULL, then its roles.
 */
function emiFqans(subject: readonly XacmlAttribute[], groupId: string, roleId: string): string[] {
  const groups = valuesOf(subject, groupId);
  const roles: Array<{ group: string; role: string }> = [];
  for (const attribute of subject) {
    if (attribute.id !== roleId) continue;
    const group = attribute.issuer?.trim() || (groups.length === 1 ? groups[0] : undefined);
    if (group === undefined) continue;
    for (const raw of attribute.values) if (raw.trim() !== '') roles.push({ group, role: raw.trim() });
  }
  const out: string[] = [];
  for (const group of groups) {
    out.push(group);
    for (const r of roles) if (r.group === group) out.push(`${group}/Role=${r.role}`);
  }
  for (const r of roles) if (!groups.includes(r.group)) out.push(`${r.group}/Role=${r.role}`);
  return out;
}

/**
 * The primary FQAN of an EMI request: group/primary qualified by the role/primary whose Issuer names that group
 * (ARC's emi conversion sends them so, docs/dialects.md). Every primary group is returned, so that two of them
 * are seen as the ambiguity they are; a primary role of another group does not qualify this one.
 */
function emiPrimaryFqans(subject: readonly XacmlAttribute[]): string[] {
  const groups = valuesOf(subject, EMI.subject.groupPrimary);
  const roles: Array<{ group: string | undefined; role: string }> = [];
  for (const attribute of subject) {
    if (attribute.id !== EMI.subject.rolePrimary) continue;
    const group = attribute.issuer?.trim() || undefined;
    for (const raw of attribute.values) if (raw.trim() !== '') roles.push({ group, role: raw.trim() });
  }
  return groups.flatMap((group) => {
    // A role without an Issuer qualifies the primary group only when there is no doubt which group that is.
    const mine = roles.filter((r) => r.group === group || (r.group === undefined && groups.length === 1));
    return mine.length === 0 ? [group] : mine.map((r) => `${group}/Role=${r.role}`);
  });
}

function extractPilotJob(
  context: XacmlContext,
  parseDn: (id: string, value: string | undefined) => Dn | undefined,
  parseFqans: (id: string, values: readonly string[]) => Fqan[],
): PilotJob | undefined {
  const env = context.environment;
  const ids = AUTHZ_INTEROP.environment.pilotJob;
  const dnId = [ids.x509Id, ids.x509IdMisspelt].find((candidate) => valuesOf(env, candidate).length > 0);
  const dn = dnId === undefined ? undefined : parseDn(dnId, valuesOf(env, dnId)[0]);
  const issuerDn = parseDn(ids.x509Issuer, valuesOf(env, ids.x509Issuer)[0]);
  const vo = valuesOf(env, ids.vo)[0];
  const fqans = parseFqans(ids.vomsFqan, valuesOf(env, ids.vomsFqan));
  const primaryFqan = parseFqans(ids.vomsPrimaryFqan, valuesOf(env, ids.vomsPrimaryFqan))[0];
  const classifier = valuesOf(context.action, GLITE.action.pilotJobClassifier, GLITE.action.pilotJobClassifierMisspelt)[0];
  const pilot: PilotJob = {
    ...(dn === undefined ? {} : { dn }),
    ...(issuerDn === undefined ? {} : { issuerDn }),
    ...(vo === undefined ? {} : { vo }),
    ...(fqans.length === 0 ? {} : { fqans }),
    ...(primaryFqan === undefined ? {} : { primaryFqan }),
    ...(classifier === undefined ? {} : { classifier }),
  };
  return Object.keys(pilot).length === 0 ? undefined : pilot;
}

/**
 * One person's chain: the end-entity certificates (not CAs) sent together all belong to one identity, a proxy
 * counting as its issuer's. Alice's proxy chain and Bob's in one attribute are two subjects, and refused.
 * Structural (Dn.equals on parsed names); a certificate that does not parse is the verifier's to refuse.
 */
function isOneChain(ders: readonly Buffer[]): boolean {
  if (ders.length <= 1) return true;
  let certificates: Certificate[];
  try {
    certificates = ders.map((der) => parseCertificate(der));
  } catch {
    return true;
  }
  const identityOf = (cert: Certificate, depth: number): Dn | undefined => {
    const issuerDn = cert.issuer.dn;
    if (depth > MAX_CHAIN || issuerDn === undefined) return cert.subject.dn;
    // Only proxies are issued by end entities: a certificate whose issuer is a non-CA sent alongside is its proxy.
    const parent = certificates.find((c) => c !== cert && c.basicConstraints?.ca !== true && c.subject.dn !== undefined && c.subject.dn.equals(issuerDn));
    if (parent !== undefined) return identityOf(parent, depth + 1);
    const isProxy = cert.extensions.some((e) => e.oid === Oid.proxyCertInfo || e.oid === Oid.proxyCertInfoDraft) || isLegacyProxy(cert);
    return isProxy ? issuerDn : cert.subject.dn;
  };
  const identities: Dn[] = [];
  for (const cert of certificates) {
    if (cert.basicConstraints?.ca === true) continue;
    const identity = identityOf(cert, 0);
    if (identity === undefined) continue;
    if (!identities.some((known) => known.equals(identity))) identities.push(identity);
  }
  return identities.length <= 1;
}

/** Pre-RFC 3820 Globus proxies: named issuer + CN=proxy or CN=limited proxy. */
function isLegacyProxy(cert: Certificate): boolean {
  const subject = cert.subject.dn;
  const issuer = cert.issuer.dn;
  if (subject === undefined || issuer === undefined || !subject.isChildOf(issuer)) return false;
  const last = subject.rdns[subject.rdns.length - 1]?.[0];
  return last !== undefined && last.type === 'CN' && (last.value === 'proxy' || last.value === 'limited proxy');
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Far above any real proxy chain; bounds the pairwise issuer matching below. */
const MAX_CHAIN = 32;

/**
 * key-info / cert-chain values: PEM blocks, or bare base64 DER (§4.3), each parsed as X.509 so garbage is
 * caught here, then ordered leaf first when the certificates form one issuer chain (clients send proxy
 * first, but nothing enforces it). Returns a reason string when a value is not certificates. Validation of
 * the chain is the credentials lib's job.
 */
export function decodeCertificates(values: readonly string[]): Buffer[] | string {
  // The same payload chain comes back with every job of a user: ordering it means parsing every certificate
  // (~0.3 ms each, the benchmark's profile), so the outcome is remembered by the attribute values themselves
  // (a Map hashes a string far faster than SHA-256 does; 1,024 chains of a few KB each).
  const key = values.join('\u0000');
  const known = chainMemo.get(key);
  if (known !== undefined) {
    chainMemo.delete(key);
    chainMemo.set(key, known); // most recently used last
    return typeof known === 'string' ? known : [...known];
  }
  const outcome = decodeCertificatesUncached(values);
  chainMemo.set(key, typeof outcome === 'string' ? outcome : [...outcome]);
  if (chainMemo.size > CHAIN_MEMO_SIZE) chainMemo.delete(chainMemo.keys().next().value as string);
  return outcome;
}

const CHAIN_MEMO_SIZE = 1024;
const chainMemo = new Map<string, readonly Buffer[] | string>();

function decodeCertificatesUncached(values: readonly string[]): Buffer[] | string {
  const ders: Buffer[] = [];
  for (const value of values) {
    if (value.includes('-----BEGIN')) {
      const blocks = [...value.matchAll(PEM_CERTIFICATE)];
      if (blocks.length === 0) return 'no PEM CERTIFICATE block';
      for (const block of blocks) {
        const der = base64Der(block[1] ?? '');
        if (der === undefined) return 'a PEM CERTIFICATE block is not a base64 DER certificate';
        ders.push(der);
      }
    } else {
      const der = base64Der(value);
      if (der === undefined) return 'value is neither PEM nor a base64 DER certificate';
      ders.push(der);
    }
  }
  if (ders.length === 0) return 'no certificate';
  if (ders.length > MAX_CHAIN) return `more than ${MAX_CHAIN} certificates`;
  const parsed: X509Certificate[] = [];
  for (const der of ders) {
    try {
      parsed.push(new X509Certificate(der));
    } catch {
      return 'a certificate does not parse as X.509';
    }
  }
  // Checked here so that the memo above keeps the verdict: a repeated chain is not parsed again.
  if (!isOneChain(ders)) return NOT_ONE_CHAIN;
  return leafFirst(parsed, ders);
}

/** The reason `decodeCertificates` gives for certificates of more than one person (an ambiguity, not a syntax error). */
export const NOT_ONE_CHAIN = "the certificates sent are more than one person's chain";

/**
 * Reorders into leaf → … → top when each certificate but one was issued by another in the set and exactly
 * one issued none; anything else (unrelated certificates, loops) keeps the order received.
 */
function leafFirst(certificates: readonly X509Certificate[], ders: readonly Buffer[]): Buffer[] {
  const issuedBy = (child: number, parent: number): boolean => {
    const c = certificates[child];
    const p = certificates[parent];
    return c !== undefined && p !== undefined && child !== parent && c.checkIssued(p);
  };
  const indices = certificates.map((_, i) => i);
  const leaves = indices.filter((candidate) => !indices.some((other) => issuedBy(other, candidate)));
  const leaf = leaves[0];
  if (leaf === undefined || leaves.length !== 1) return [...ders];
  const order = [leaf];
  while (order.length < certificates.length) {
    const current = order[order.length - 1] ?? leaf;
    const parents = indices.filter((candidate) => !order.includes(candidate) && issuedBy(current, candidate));
    const parent = parents[0];
    if (parent === undefined || parents.length !== 1) return [...ders];
    order.push(parent);
  }
  return order.map((i) => ders[i] ?? Buffer.alloc(0));
}

function base64Der(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
