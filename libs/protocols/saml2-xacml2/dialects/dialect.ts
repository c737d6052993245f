import { ACCOUNT_MAPPING_OBLIGATIONS } from '@gridauthz/domain';
import type { Account, AuthzQuery, AuthzResult, DecisionValue, Dn, Fqan, Obligation, PilotJob } from '@gridauthz/domain';
import { XS } from '../../profiles/xacml';
import type { XACML } from '../../profiles/xacml';
import type { XacmlAttribute, XacmlContext } from '../context';

/**
 * One SAML2-XACML2 dialect (saml2-xacml2.md §4.4, §5, §6; docs/architecture.md, "Codecs"): how to recognise it,
 * which attributes carry the parts of the protocol-neutral query, and how the answer's obligations look. Adding a
 * dialect is a folder with a module of this shape and one entry in XACML_DIALECTS (dialects/index.ts).
 */
export interface XacmlDialect {
  /** The name recorded with each decision (docs/dialects.md); the core never inspects it. */
  readonly name: string;
  /** §4.4's order: a lower number wins when several dialects recognise a query (a declared profile beats ids). */
  readonly precedence: number;
  detect(context: XacmlContext): boolean;
  /** The attributes this dialect reads. Every dialect's are read, whichever was detected: ARC mixes them (docs/dialects.md). */
  readonly extract: DialectExtraction;
  /** The dialect's clients switch identity with the answer (glexec, a CE): AuthzQuery.accountExpected. */
  readonly accountExpected: boolean;
  /** Its resource-id is the service endpoint URL (a CE), naming the host asked about: AuthzQuery.resourceNamesHost. */
  readonly resourceNamesHost: boolean;
  /** Resource attributes for policy, by short name, from the resource host DN the query named (AuthzQuery.resourceAttributes). */
  resourceAttributes?(hostDn: Dn): Readonly<Record<string, readonly string[]>>;
  /** The Result in this dialect: decision, status, obligations (§6, §7.3). */
  render(result: AuthzResult, query: AuthzQuery): RenderedResult;
  /** SCAS put an Issuer on the Response, the Argus PDP does not (§9). */
  readonly responseIssuer: boolean;
  /** Argus sets Result/@ResourceId to the resource-id, SCAS leaves it out (§9). */
  readonly resultResourceId: boolean;
}

/** Values of one attribute, to be parsed as FQANs, with the attribute id that defects name. */
export interface FqanSource {
  readonly attribute: string;
  readonly values: readonly string[];
}

/**
 * Which attribute ids play which part of the query, beyond XACML core's subject-id, key-info, resource-id and
 * action-id (§5.1, read by the shared extraction). Lists of ids are merged across dialects in XACML_DIALECTS order.
 */
export interface DialectExtraction {
  /** Subject DN ids besides subject-id; all must name the same DN. */
  readonly subjectDn?: readonly string[];
  /** Issuer (CA) of the end-entity certificate. */
  readonly eecIssuer?: readonly string[];
  /** Every issuer on the chain (multi-valued). */
  readonly chainIssuers?: readonly string[];
  /** Certificate chain ids besides key-info. */
  readonly chain?: readonly string[];
  readonly vo?: readonly string[];
  readonly fqans?: (subject: readonly XacmlAttribute[]) => readonly FqanSource[];
  readonly primaryFqans?: (subject: readonly XacmlAttribute[]) => readonly FqanSource[];
  /** Who the caller says verified the FQANs; undefined when it did not say, or said "not verified". */
  readonly fqanIssuer?: (subject: readonly XacmlAttribute[]) => string | undefined;
  /** Resource host certificate DN ids. */
  readonly hostDn?: readonly string[];
  readonly hostName?: readonly string[];
  /** Environment ids declaring the profile (recorded verbatim). */
  readonly profileId?: readonly string[];
  /** Obligation ids the PEP says it supports, full ids. */
  readonly obligationsSupported?: (environment: readonly XacmlAttribute[]) => readonly string[];
  /** The pilot job's part of the query this dialect carries; parts are merged, the first dialect's value wins. */
  readonly pilotJob?: (context: XacmlContext, read: ValueReaders) => PilotJob;
  /** Dialect-specific ambiguity checks (issue 15 finding 3): report each with `ambiguous`. */
  readonly refuse?: (context: XacmlContext, subject: readonly XacmlAttribute[], ambiguous: (attribute: string, detail: string) => void) => void;
}

/** Parsers the shared extraction lends the dialects, recording a defect for each value that does not parse. */
export interface ValueReaders {
  readonly dn: (attribute: string, value: string | undefined) => Dn | undefined;
  readonly fqans: (attribute: string, values: readonly string[]) => Fqan[];
}

export type XacmlStatus = keyof typeof XACML.status;

export interface RenderedAssignment {
  readonly id: string;
  readonly dataType: string;
  readonly value: string;
}

export interface RenderedObligation {
  readonly id: string;
  readonly fulfillOn: 'Permit' | 'Deny';
  readonly assignments: readonly RenderedAssignment[];
}

/** What goes into the one xacml-context:Result, after the dialect's rules were applied. */
export interface RenderedResult {
  readonly decision: DecisionValue;
  readonly status: XacmlStatus;
  readonly statusMessage?: string;
  readonly obligations: readonly RenderedObligation[];
}

export function isAccountObligation(obligation: Obligation): boolean {
  return ACCOUNT_MAPPING_OBLIGATIONS.includes(obligation.id);
}

/** An obligation the dialect has no own vocabulary for, passed on by id with its assignments (string when untyped). */
export function passedThrough(obligation: Obligation): RenderedObligation {
  return {
    id: obligation.id,
    fulfillOn: obligation.fulfillOn,
    assignments: obligation.assignments.map((x) => ({ id: x.id, dataType: x.dataType ?? XS.string, value: x.value })),
  };
}

/** Obligations are rendered only with the decision they are for (XACML FulfillOn). */
export function fulfilledOn(result: AuthzResult): (obligation: Obligation) => boolean {
  return (obligation) => obligation.fulfillOn === result.decision;
}

/** The names-style account obligations of gLite and EMI (§6.2, §6.3): user-id, group-id/primary, group-id (every group, the primary included). */
export interface NamesVocabulary {
  readonly obligation: { readonly trigger: string; readonly posix: string };
  readonly attribute: { readonly userId: string; readonly groupIdPrimary: string; readonly groupId: string };
}

/**
 * gLite and EMI (§6.2, §6.3): the account obligation where the policy asked for an account, as names resolved by the
 * PEP host (posix with a mapped account; the trigger without one, so a PEPd maps locally); every other obligation
 * passed through (§6.2: a PEPd passes unknown obligations on).
 */
export function renderNames(result: AuthzResult, vocabulary: NamesVocabulary): RenderedResult {
  const message = result.statusMessage === undefined ? {} : { statusMessage: result.statusMessage };
  // XACML: Indeterminate always carries an error status.
  if (result.decision === 'Indeterminate') return { decision: 'Indeterminate', status: result.status === 'ok' ? 'processing-error' : result.status, ...message, obligations: [] };
  const obligations: RenderedObligation[] = [];
  let accountRendered = false;
  const account = result.decision === 'Permit' ? result.account : undefined;
  for (const obligation of result.obligations.filter(fulfilledOn(result))) {
    if (!isAccountObligation(obligation)) {
      obligations.push(passedThrough(obligation));
    } else if (result.decision === 'Permit' && !accountRendered) {
      accountRendered = true;
      obligations.push(account === undefined ? { id: vocabulary.obligation.trigger, fulfillOn: 'Permit', assignments: [] } : namesObligation(account, vocabulary));
    }
  }
  // A mapped account is always told to the PEP, even if no obligation named it (the contract says it cannot happen).
  if (account !== undefined && !accountRendered) obligations.unshift(namesObligation(account, vocabulary));
  return { decision: result.decision, status: result.status, ...message, obligations };
}

function namesObligation(account: Account, vocabulary: NamesVocabulary): RenderedObligation {
  const at = vocabulary.attribute;
  const assignments: RenderedAssignment[] = [{ id: at.userId, dataType: XS.string, value: account.username }];
  if (account.groupName !== undefined) assignments.push({ id: at.groupIdPrimary, dataType: XS.string, value: account.groupName });
  // group-id lists the primary group too (Argus bug fix #64340).
  const groups = [...new Set([...(account.groupName === undefined ? [] : [account.groupName]), ...(account.secondaryGroupNames ?? [])])];
  for (const group of groups) assignments.push({ id: at.groupId, dataType: XS.string, value: group });
  return { id: vocabulary.obligation.posix, fulfillOn: 'Permit', assignments };
}
