import { Dn, ErrorCodes, Fqan } from '@gridauthz/domain';
import type { AuthzQuery, Complete, PilotJob, RequestDefect } from '@gridauthz/domain';
import { GRIDAUTHZ } from '../profiles/gridauthz';
import { XACML } from '../profiles/xacml';
import { decodeCertificates, NOT_ONE_CHAIN } from './certificates';
import { accessSubjects, valuesOf } from './context';
import type { XacmlAttribute, XacmlContext } from './context';
import type { DialectExtraction, FqanSource, ValueReaders, XacmlDialect } from './dialects/dialect';

/**
 * The protocol-neutral query from an XACML request context (saml2-xacml2.md §5): XACML core's attributes (§5.1)
 * here, each dialect's through its module's `extract` declaration. Every dialect's attributes are read whatever the
 * detected one (ARC mixes them, docs/dialects.md), so that two of them naming different things is seen as the
 * ambiguity it is. Missing or unparsable attributes become defects (answered Indeterminate, §7.3), never errors.
 */
export function extractQuery(context: XacmlContext, detected: XacmlDialect, dialects: readonly XacmlDialect[], requestId: string | undefined, messageIssuer: string | undefined): AuthzQuery {
  const plan = planFor(dialects);
  const extractions = plan.extractions;
  const ids = (field: IdField): readonly string[] => plan.ids[field];
  const sources = (pick: (e: DialectExtraction) => ((subject: readonly XacmlAttribute[]) => readonly FqanSource[]) | undefined, subject: readonly XacmlAttribute[]): FqanSource[] =>
    extractions.flatMap((e) => pick(e)?.(subject) ?? []);

  const defects: RequestDefect[] = [];
  // Ambiguity (issue 15 finding 3): a request that could be read as two different questions is refused whole,
  // never decided on its first value. Each refusal has its own reason code in the decision record.
  const ambiguous = (code: string, attribute: string, detail: string): void => {
    defects.push({ kind: 'syntax-error', code, attribute, detail });
  };
  const subjects = accessSubjects(context);
  if (subjects.length > 1) {
    ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, 'subject', `the request has ${subjects.length} access-subject elements; exactly one is accepted`);
  }
  const subject = subjects.flatMap((s) => [...s.attributes]);
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
  const oneDn = (code: string, what: string, dnIds: readonly string[], attributes: readonly XacmlAttribute[]): { dn?: Dn; id?: string } => {
    let found: { dn: Dn; id: string } | undefined;
    for (const id of dnIds) {
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
  const distinct = (fqan: Fqan, index: number, list: readonly Fqan[]): boolean => list.findIndex((other) => other.equals(fqan)) === index;
  const readers: ValueReaders = { dn: parseDn, fqans: parseFqans };

  // Subject DN: subject-id (§5.1) and the dialects' own ids (ARC mixes them); all must name the same DN. The
  // detected dialect's ids are tried first, so an ambiguity is reported against what the client meant.
  const dnIds = subjectDnIds(plan, detected);
  const defectsBeforeDn = defects.length;
  const assertedDn = oneDn(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, 'the subject DN', dnIds, subject).dn;
  const dnDefect = defects.length > defectsBeforeDn;

  // Issuer of the end-entity certificate: each profile's own id (docs/dialects.md). The chain-issuer ids list every
  // issuer on the chain; a single value there is the CA, several leave the end-entity's issuer unknown but still go
  // to policy.
  const eecIssuerIds = ids('eecIssuer');
  let assertedIssuerDn = oneDn(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, "the subject's CA", eecIssuerIds, subject).dn;
  const assertedIssuerDns: Dn[] = [];
  for (const id of [...eecIssuerIds, ...ids('chainIssuers')]) {
    for (const value of valuesOf(subject, id)) {
      const dn = parseDn(id, value);
      if (dn !== undefined && !assertedIssuerDns.some((known) => known.equals(dn))) assertedIssuerDns.push(dn);
    }
  }
  if (assertedIssuerDn === undefined && assertedIssuerDns.length === 1) assertedIssuerDn = assertedIssuerDns[0];

  // One certificate chain at most: two chain attributes (key-info and cert-chain, or either twice) could name two
  // people, and the first is not more likely the one meant.
  const chainIds = [XACML.keyInfo, ...ids('chain')];
  const chainAttributes = subject.filter((a) => chainIds.includes(a.id));
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
  if (
    assertedDn === undefined &&
    chain === undefined &&
    token === undefined &&
    !dnDefect &&
    !defects.some((d) => dnIds.includes(d.attribute) || d.attribute === chainId || d.attribute === GRIDAUTHZ.subject.bearerToken)
  ) {
    defects.push({ kind: 'missing-attribute', attribute: 'subject', detail: 'the query identifies no subject (no subject DN, key-info or cert-chain)' });
  }

  for (const e of extractions) e.refuse?.(context, subject, (attribute, detail) => ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, attribute, detail));

  const fqanList = sources((e) => e.fqans, subject)
    .flatMap((source) => parseFqans(source.attribute, source.values))
    .filter(distinct);
  // The primary FQAN comes in its own attribute (ARC emi: group/primary + role/primary; gLite fqan/primary;
  // authz-interop voms-primary-fqan). Two different primaries are two different questions.
  const primaries = sources((e) => e.primaryFqans, subject)
    .flatMap((source) => parseFqans(source.attribute, source.values))
    .filter(distinct);
  if (primaries.length > 1) {
    ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT, 'primary-fqan', `the request names ${primaries.length} different primary FQANs (${primaries.map((f) => f.toString()).join(', ')})`);
  }
  const primaryFqan = primaries[0];
  // Primary first: mapping (like LCMAPS and Argus) maps on the first FQAN, whatever order the group list came in.
  const fqans = primaryFqan === undefined ? fqanList : [primaryFqan, ...fqanList.filter((f) => !f.equals(primaryFqan))];
  const fqanIssuer = extractions.map((e) => e.fqanIssuer?.(subject)).find((issuer) => issuer !== undefined);
  const vos = valuesOf(subject, ...ids('vo'));

  const hostDn = oneDn(ErrorCodes.REQUEST_AMBIGUOUS_RESOURCE, 'the resource host', ids('hostDn'), allResources).dn;

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

  const pilotJob = mergePilotJob(extractions.map((e) => e.pilotJob?.(context, readers) ?? {}));
  const resourceIds = valuesOf(allResources, XACML.resourceId);
  if (resourceIds.length > 1) ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_RESOURCE, XACML.resourceId, `the request names ${resourceIds.length} resources; exactly one is accepted`);
  const actionIds = valuesOf(context.action, XACML.actionId);
  if (actionIds.length > 1) ambiguous(ErrorCodes.REQUEST_AMBIGUOUS_ACTION, XACML.actionId, `the request names ${actionIds.length} actions; exactly one is accepted`);
  const resourceId = resourceIds[0];
  const actionId = actionIds[0];
  const host = valuesOf(allResources, ...ids('hostName'))[0];
  const profileId = valuesOf(context.environment, ...ids('profileId'))[0];
  const obligationsSupported = [...new Set(extractions.flatMap((e) => e.obligationsSupported?.(context.environment) ?? []))];

  const resourceAttributes = hostDn === undefined ? undefined : detected.resourceAttributes?.(hostDn);

  // Every field present, undefined when absent: one hidden class for every query of every dialect
  // (docs/architecture.md, "Object literals on the request path").
  const querySubject: Complete<AuthzQuery['subject']> = {
    chain,
    token,
    assertedDn,
    assertedIssuerDn,
    assertedIssuerDns: assertedIssuerDns.length === 0 ? undefined : assertedIssuerDns,
    assertedVos: vos.length === 0 ? undefined : vos,
    assertedFqans: fqans.length === 0 ? undefined : fqans,
    assertedPrimaryFqan: primaryFqan,
    assertedFqanIssuer: fqanIssuer,
    attributes,
  };
  const query: Complete<AuthzQuery> = {
    dialect: detected.name,
    accountExpected: detected.accountExpected,
    resourceNamesHost: detected.resourceNamesHost ? true : undefined,
    resourceAttributes,
    requestId,
    messageIssuer,
    profileId,
    subject: querySubject,
    resource: resourceId,
    action: actionId,
    host,
    hostDn,
    onBehalfOfHost: undefined,
    obligationsSupported,
    pilotJob,
    environment,
    defects,
  };
  return query;
}

/**
 * The bearer token of the access subject (docs/authzen.md, the bearer-token attribute): one value of gridauthz's bearer-token attribute.
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

/** The dialects' parts of the pilot job, the first value of each field winning; undefined when none said anything. */
function mergePilotJob(parts: readonly PilotJob[]): PilotJob | undefined {
  const first = <K extends keyof PilotJob>(key: K): PilotJob[K] => parts.find((part) => part[key] !== undefined)?.[key];
  const merged: PilotJob = { dn: first('dn'), issuerDn: first('issuerDn'), vo: first('vo'), fqans: first('fqans'), primaryFqan: first('primaryFqan'), classifier: first('classifier') };
  return Object.values(merged).every((value) => value === undefined) ? undefined : merged;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The id lists of the dialects' declarations: the same for every request, so computed once per dialect list. */
type IdField = 'subjectDn' | 'eecIssuer' | 'chainIssuers' | 'chain' | 'vo' | 'hostDn' | 'hostName' | 'profileId';
const ID_FIELDS: readonly IdField[] = ['subjectDn', 'eecIssuer', 'chainIssuers', 'chain', 'vo', 'hostDn', 'hostName', 'profileId'];

interface ExtractionPlan {
  /** grid-wn and grid-ce share one declaration: read once. */
  readonly extractions: readonly DialectExtraction[];
  readonly ids: Readonly<Record<IdField, readonly string[]>>;
  /** Subject-DN ids with the detected dialect's first, by detected dialect. */
  readonly subjectDn: Map<XacmlDialect, readonly string[]>;
}

const plans = new WeakMap<readonly XacmlDialect[], ExtractionPlan>();

function planFor(dialects: readonly XacmlDialect[]): ExtractionPlan {
  const known = plans.get(dialects);
  if (known !== undefined) return known;
  const extractions = [...new Set(dialects.map((d) => d.extract))];
  const ids = Object.fromEntries(ID_FIELDS.map((field) => [field, [...new Set(extractions.flatMap((e) => e[field] ?? []))]])) as Record<IdField, string[]>;
  const plan: ExtractionPlan = { extractions, ids, subjectDn: new Map() };
  plans.set(dialects, plan);
  return plan;
}

function subjectDnIds(plan: ExtractionPlan, detected: XacmlDialect): readonly string[] {
  const known = plan.subjectDn.get(detected);
  if (known !== undefined) return known;
  const list = [...new Set([...(detected.extract.subjectDn ?? []), XACML.subjectId, ...plan.ids.subjectDn])];
  plan.subjectDn.set(detected, list);
  return list;
}

