import { isCertificateLabel, pemBlocks, pemEncode } from '@gridauthz/credentials';
import { Dn, Fqan } from '@gridauthz/domain';
import { attr, ncName, text } from '../../xml/escape';
import { soapEnvelope } from '../../soap/envelope';
import { AUTHZ_INTEROP } from '../dialects/authz-interop/profile';
import { EMI } from '../dialects/emi/profile';
import { GLITE } from '../../profiles/glite';
import { SAML } from '../../profiles/saml';
import { SOAP11 } from '../../profiles/soap';
import { XACML, XACML_SAML, XS } from '../../profiles/xacml';
import { GRIDAUTHZ } from '../../profiles/gridauthz';

/** The request dialects a PEP speaks (saml2-xacml2.md §4.4): which real client `encodeXacmlQuery` imitates. */
export type XacmlClientDialect = 'authz-interop' | 'grid-wn' | 'grid-ce' | 'emi';

export const XACML_CLIENT_DIALECTS: readonly XacmlClientDialect[] = ['authz-interop', 'grid-wn', 'grid-ce', 'emi'];

export interface XacmlClientRequest {
  readonly dialect: XacmlClientDialect;
  /**
   * The payload user's proxy chain as PEM, leaf first. Only CERTIFICATE blocks are sent: a private key in
   * the text (a voms-proxy-init file) is never copied into the message.
   */
  readonly subjectChainPem?: string;
  /** The user's end-entity DN (not a proxy's): slash form for authz-interop, RFC 2253 for the others (§9). */
  readonly subjectDn?: Dn | string;
  /** A bearer token (compact JWS) as the subject's credential, under gridauthz's attribute (docs/authzen.md §6). */
  readonly bearerToken?: string;
  /** Issuer of the end-entity certificate (authz-interop subject-x509-issuer, gLite/EMI x509-subject-issuer). */
  readonly subjectIssuerDn?: Dn | string;
  /** resource-id; defaults per dialect (see `defaultResource`). */
  readonly resource?: string;
  /** action-id; defaults per dialect (see `defaultAction`). */
  readonly action?: string;
  /** authz-interop dns-host-name: the PEP host's FQDN. */
  readonly hostName?: string;
  /** The PEP host's certificate DN: authz-interop resource-x509-id, EMI resource-owner. */
  readonly hostDn?: Dn | string;
  /**
   * The subject's VOMS attributes as the client read them from the proxy, the primary FQAN first: gLite fqan /
   * fqan/primary / virtual-organization, EMI group / role / their /primary forms (ARC's emi conversion).
   */
  readonly voms?: { readonly vos: readonly string[]; readonly fqans: readonly string[] };
  /** authz-interop pep-oblig-supported; default uidgid, secondary-gids, username (what the C client registers, §8.1). */
  readonly obligationsSupported?: readonly string[];
  /** The pilot job calling glexec for the subject: authz-interop environment DN, gLite action classifier. */
  readonly pilotJob?: { readonly dn?: Dn | string; readonly classifier?: string };
  readonly now: Date;
  /** A fresh random token for the query ID; formatted here the way the dialect's client formats it. */
  readonly idGenerator: () => string;
  /** saml2:Issuer value: the host DN for authz-interop, an entity id for the others; omitted when absent. */
  readonly issuer?: string;
}

export interface EncodedXacmlQuery {
  readonly body: string;
  /** SOAPAction header value exactly as the dialect's client sends it (§2.1), quotes included where it uses them. */
  readonly soapAction: string;
  readonly expect: { readonly queryId: string };
}

/**
 * The resource-id each real client sends when the site configured nothing else (docs/dialects.md): glexec's
 * worker-node resource type (LCMAPS scas plugin, lcmaps_c_pep); ARC's cream and emi conversions send the
 * endpoint of the service being accessed, by default A-REX at https://<host>:443/arex.
 */
export function defaultResource(dialect: XacmlClientDialect, hostName?: string): string | undefined {
  if (dialect === 'authz-interop' || dialect === 'grid-wn') return AUTHZ_INTEROP.resourceType.wn;
  return hostName === undefined ? undefined : `https://${hostName}:443/arex`;
}

/** action-id per client: glexec's (scas: execute-now; c_pep: execute), ARC cream's job submission, ARC emi's ANY. */
export function defaultAction(dialect: XacmlClientDialect): string | undefined {
  switch (dialect) {
    case 'authz-interop':
      return AUTHZ_INTEROP.actionType.executeNow;
    case 'grid-wn':
      return GLITE.action.execute;
    case 'grid-ce':
      return GLITE.action.ceJobSubmit;
    case 'emi':
      // ARC's emi conversion when the A-REX operation names no action.
      return EMI.action.any;
  }
}

interface Attribute {
  readonly id: string;
  readonly dataType: string;
  readonly values: readonly string[];
  /** XACML Attribute Issuer: EMI role attributes name their group here (§5.4). */
  readonly issuer?: string;
}

/** Element prefixes per client family (§3): gSOAP declares all on the Envelope, OpenSAML declares locally. */
interface Prefixes {
  readonly soap: string;
  readonly samlp: string;
  readonly saml: string;
  readonly ctx: string;
}
const GSOAP: Prefixes = { soap: 'SOAP-ENV', samlp: 'XACMLsamlp', saml: 'saml', ctx: 'XACMLcontext' };
const OPENSAML: Prefixes = { soap: SOAP11.prefix, samlp: XACML_SAML.protocolPrefix, saml: SAML.assertionPrefix, ctx: XACML.contextPrefix };

/**
 * The SOAP envelope of an XACMLAuthzDecisionQuery as the real client of the dialect builds it: authz-interop as
 * the LCMAPS scas/gums client (§8.1, §11a), grid-wn/grid-ce as Argus PEPd after its PIPs (§8.3, §11b), emi as
 * PEPd with the EMI common-authz/1.1 profile (§5.4). Throws when the chain holds no certificate or a DN is unparsable:
 * both are the caller's bug, not a protocol outcome.
 */
export function encodeXacmlQuery(request: XacmlClientRequest): EncodedXacmlQuery {
  if (request.subjectChainPem === undefined && request.bearerToken === undefined) throw new Error('a query needs a subject chain or a bearer token');
  const chain = request.subjectChainPem === undefined ? undefined : certificatesPem(request.subjectChainPem);
  const subjectDn = request.subjectDn === undefined ? undefined : asDn(request.subjectDn);
  const tokenAttribute = (dataType: string): Attribute[] => (request.bearerToken === undefined ? [] : [{ id: GRIDAUTHZ.subject.bearerToken, dataType, values: [request.bearerToken] }]);
  const issuerDn = request.subjectIssuerDn === undefined ? undefined : asDn(request.subjectIssuerDn);
  const hostDn = request.hostDn === undefined ? undefined : asDn(request.hostDn);
  const resource = request.resource ?? defaultResource(request.dialect, request.hostName);
  const action = request.action ?? defaultAction(request.dialect);
  const one = (id: string, dataType: string, value: string | undefined): Attribute[] => (value === undefined || value === '' ? [] : [{ id, dataType, values: [value] }]);

  let subject: Attribute[];
  let resourceAttributes: Attribute[];
  let actionAttributes: Attribute[];
  let environment: Attribute[];
  if (request.dialect === 'authz-interop') {
    const ai = AUTHZ_INTEROP;
    subject = [
      ...one(ai.subject.x509Id, XS.string, subjectDn?.toSlash()),
      ...one(ai.subject.x509Issuer, XS.string, issuerDn?.toSlash()),
      // PEM text under a base64Binary type is what the C client sends (§4.3).
      ...one(ai.subject.certChain, XS.base64Binary, chain),
      ...tokenAttribute(XS.string),
    ];
    resourceAttributes = [
      ...one(XACML.resourceId, XS.string, resource),
      ...one(ai.resource.dnsHostName, XS.string, request.hostName),
      ...one(ai.resource.x509Id, XS.string, hostDn?.toSlash()),
    ];
    actionAttributes = one(XACML.actionId, XS.string, action);
    const pilotDn = request.pilotJob?.dn === undefined ? undefined : asDn(request.pilotJob.dn);
    const supported = request.obligationsSupported ?? [ai.obligation.uidgid, ai.obligation.secondaryGids, ai.obligation.username];
    environment = [
      // The C library's clock stamp: whole seconds, Z (§4.3).
      ...one(XACML.currentDateTime, XS.dateTime, `${request.now.toISOString().slice(0, 19)}Z`),
      ...one(ai.environment.pilotJob.x509Id, XS.string, pilotDn?.toSlash()),
      // One Attribute element per value, as the C library emits them (§4.3).
      ...supported.flatMap((id) => one(ai.environment.pepObligSupported, XS.string, id)),
    ];
  } else if (request.dialect === 'emi') {
    // ARC's emi conversion (ArgusPDPClient): subject-id, the CA as dci-sec subject-issuer, the VOs, every group,
    // the primary group, each FQAN's roles with Issuer = its group, the primary role with Issuer = the primary
    // group; plus the chain as key-info, an EMI profile attribute (§5.4), so a caller that is not a trusted
    // asserter (a pilot) can be answered from the verified chain.
    const voms = emiVoms(request.voms?.fqans ?? []);
    subject = [
      ...one(XACML.subjectId, XACML.x500Name, subjectDn?.toRfc2253()),
      ...one(EMI.subject.subjectIssuer, XACML.x500Name, issuerDn?.toRfc2253()),
      ...(request.voms?.vos.length ? [{ id: EMI.subject.virtualOrganization, dataType: XS.string, values: request.voms.vos }] : []),
      ...(voms.groups.length > 0 ? [{ id: EMI.subject.group, dataType: XS.string, values: voms.groups }] : []),
      ...one(EMI.subject.groupPrimary, XS.string, voms.primaryGroup),
      ...voms.roles.map((r) => ({ id: EMI.subject.role, dataType: XS.string, values: r.roles, issuer: r.group })),
      ...(voms.primaryRole === undefined || voms.primaryGroup === undefined ? [] : [{ id: EMI.subject.rolePrimary, dataType: XS.string, values: [voms.primaryRole], issuer: voms.primaryGroup }]),
      ...one(XACML.keyInfo, XS.base64Binary, chain),
      ...tokenAttribute(XS.string),
    ];
    resourceAttributes = [...one(XACML.resourceId, XS.string, resource), ...one(EMI.resource.owner, XACML.x500Name, hostDn?.toRfc2253())];
    actionAttributes = one(XACML.actionId, XS.string, action);
    environment = one(EMI.profileIdAttribute, XS.anyURI, EMI.profile.commonCe);
  } else {
    // Argus PEPd after its PIPs (§5.3, §11b): key-info, subject-id, issuers, VO and FQANs (primary separately).
    const fqans = request.voms?.fqans ?? [];
    subject = [
      ...one(XACML.keyInfo, XS.string, chain),
      ...one(XACML.subjectId, XACML.x500Name, subjectDn?.toRfc2253()),
      ...one(GLITE.subject.x509SubjectIssuer, XACML.x500Name, issuerDn?.toRfc2253()),
      ...(request.voms?.vos.length ? [{ id: GLITE.subject.virtualOrganization, dataType: XS.string, values: request.voms.vos }] : []),
      ...one(GLITE.subject.fqanPrimary, GLITE.fqanDataType, fqans[0]),
      ...(fqans.length > 0 ? [{ id: GLITE.subject.fqan, dataType: GLITE.fqanDataType, values: fqans }] : []),
      ...tokenAttribute(XS.string),
    ];
    resourceAttributes = one(XACML.resourceId, XS.string, resource);
    actionAttributes = [...one(XACML.actionId, XS.string, action), ...one(GLITE.action.pilotJobClassifier, XS.string, request.pilotJob?.classifier)];
    environment = one(GLITE.profileIdAttribute, XS.anyURI, request.dialect === 'grid-ce' ? GLITE.profile.gridCe : GLITE.profile.gridWn);
  }

  const gsoap = request.dialect === 'authz-interop';
  const px = gsoap ? GSOAP : OPENSAML;
  const token = request.idGenerator();
  // The C client's IDs read ID-<rand()>; OpenSAML's are "_" + hex (§4.2). Either way an NCName.
  const queryId = ncName(gsoap ? `ID-${token}` : `_${token}`);
  const issuer =
    request.issuer === undefined || request.issuer === ''
      ? ''
      : `<${px.saml}:Issuer${gsoap ? '' : ` xmlns:${px.saml}="${SAML.assertionNs}"`} Format="${gsoap ? SAML.nameIdFormatX509SubjectName : SAML.nameIdFormatEntity}">${text(request.issuer)}</${px.saml}:Issuer>`;
  const attributes = (list: readonly Attribute[]): string =>
    list
      .map(
        (x) =>
          `<${px.ctx}:Attribute AttributeId="${attr(x.id)}" DataType="${attr(x.dataType)}"${x.issuer === undefined ? '' : ` Issuer="${attr(x.issuer)}"`}>` +
          x.values.map((v) => `<${px.ctx}:AttributeValue>${text(v)}</${px.ctx}:AttributeValue>`).join('') +
          `</${px.ctx}:Attribute>`,
      )
      .join('');
  const instant = gsoap ? `${request.now.toISOString().slice(0, 19)}Z` : request.now.toISOString();
  const query =
    `<${px.samlp}:${XACML_SAML.queryLocalName}${gsoap ? '' : ` xmlns:${px.samlp}="${XACML_SAML.v2.protocolNs}"`} ` +
    `ID="${attr(queryId)}" Version="${SAML.version}" IssueInstant="${instant}" InputContextOnly="false" ReturnContext="true">` +
    issuer +
    `<${px.ctx}:Request${gsoap ? '' : ` xmlns:${px.ctx}="${XACML.contextNs}"`}>` +
    // The XACML context schema wants one Subject, at least one Resource, one Action and one Environment, even if empty.
    `<${px.ctx}:Subject SubjectCategory="${XACML.accessSubject}">${attributes(subject)}</${px.ctx}:Subject>` +
    `<${px.ctx}:Resource>${attributes(resourceAttributes)}</${px.ctx}:Resource>` +
    `<${px.ctx}:Action>${attributes(actionAttributes)}</${px.ctx}:Action>` +
    `<${px.ctx}:Environment>${attributes(environment)}</${px.ctx}:Environment>` +
    `</${px.ctx}:Request></${px.samlp}:${XACML_SAML.queryLocalName}>`;

  const body = gsoap
    ? `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<${px.soap}:Envelope xmlns:${px.soap}="${SOAP11.ns}" xmlns:${px.saml}="${SAML.assertionNs}" ` +
      `xmlns:${px.samlp}="${XACML_SAML.v2.protocolNs}" xmlns:${px.ctx}="${XACML.contextNs}">` +
      `<${px.soap}:Body>${query}</${px.soap}:Body></${px.soap}:Envelope>`
    : soapEnvelope(query);
  return { body, soapAction: gsoap ? AUTHZ_INTEROP.soapAction : SAML.soapActionOpenSaml, expect: { queryId } };
}

/** FQANs (primary first) as ARC's emi conversion splits them: groups, roles per group, and the primary's parts. */
function emiVoms(fqans: readonly string[]): { groups: string[]; roles: { group: string; roles: string[] }[]; primaryGroup?: string; primaryRole?: string } {
  const parsed = fqans.map((f) => Fqan.tryParse(f)).filter((f): f is Fqan => f !== undefined);
  const groups = [...new Set(parsed.map((f) => f.group))];
  const roles: { group: string; roles: string[] }[] = [];
  for (const f of parsed) {
    if (f.role === null) continue;
    const entry = roles.find((r) => r.group === f.group);
    if (entry === undefined) roles.push({ group: f.group, roles: [f.role] });
    else if (!entry.roles.includes(f.role)) entry.roles.push(f.role);
  }
  const primary = parsed[0];
  return {
    groups,
    roles,
    ...(primary === undefined ? {} : { primaryGroup: primary.group }),
    ...(primary?.role == null ? {} : { primaryRole: primary.role }),
  };
}

/** The CERTIFICATE blocks of `pem`, re-emitted in canonical 64-column PEM; nothing else from the text survives. */
function certificatesPem(pem: string): string {
  let blocks: { der: Buffer }[];
  try {
    blocks = pemBlocks(pem).filter((b) => isCertificateLabel(b.label));
  } catch {
    throw new Error('subject chain: a CERTIFICATE block is not base64');
  }
  if (blocks.some((b) => b.der.length === 0)) throw new Error('subject chain: a CERTIFICATE block is not base64');
  if (blocks.length === 0) throw new Error('subject chain: no CERTIFICATE block');
  return blocks.map((b) => pemEncode('CERTIFICATE', b.der).trimEnd()).join('\n');
}

function asDn(value: Dn | string): Dn {
  return typeof value === 'string' ? Dn.parse(value) : value;
}

