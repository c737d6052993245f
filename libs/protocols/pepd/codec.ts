import { ACCOUNT_MAPPING_OBLIGATIONS, ErrorCodes } from '@gridauthz/domain';
import type { AuthzQuery, AuthzResult, Obligation, RequestDefect } from '@gridauthz/domain';
import type { CodecInput, DecodedMessage, EncodeContext, EncodedAnswer, ProtocolCodec } from '../codec';
import { pepdRefusalFor } from '../errors';
import type { ProtocolError, ProtocolResult } from '../errors';
import { DEFAULT_HESSIAN_LIMITS } from '../hessian/decode';
import type { HessianLimits } from '../hessian/decode';
import { GLITE } from '../profiles/glite';
import { decodeCertificates, NOT_ONE_CHAIN } from '../saml2-xacml2/decode';
import { decodePepdRequest, pepdDecisionInput } from './decode';
import { encodePepdResponse } from './encode';
import { PepIds, posixAccountObligation } from './model';
import type { PepObligation, PepRequest, PepResult } from './model';

/** The path PEP clients post to (docs/pepd.md §1). */
export const PEPD_PATH = '/authz';

/** Profiles PEPd's gLite profile PIP accepts: their clients (glexec, a CE) switch identity with the answer. */
export const PEPD_PROFILES = {
  gridWn: GLITE.profile.gridWn,
  gridCe: GLITE.profile.gridCe,
} as const;

/** What the codec keeps between decode and encode: the request as received (PEPd echoes it) and its resource-id. */
export interface PepdMessage {
  readonly request: PepRequest;
  readonly resourceId: string;
}

/**
 * The Argus PEP daemon protocol as a ProtocolCodec (docs/pepd.md §6): `POST /authz`, base64 Hessian of the PEP
 * model in both directions. Decoding yields the same protocol-neutral query a SAML2-XACML2 grid-wn/grid-ce request
 * yields: the key-info chain for the pipeline to validate (proxy + VOMS), subject-id and FQANs as assertions that
 * only a trusted asserter's word makes count. The answer is what PEPd's account-mapping obligation handler returns.
 */
export class PepdCodec implements ProtocolCodec<PepdMessage> {
  readonly protocol = 'pepd';

  constructor(private readonly limits: HessianLimits = DEFAULT_HESSIAN_LIMITS) {}

  accepts(input: CodecInput): boolean {
    return pathOf(input.path) === PEPD_PATH;
  }

  decode(input: CodecInput): ProtocolResult<DecodedMessage<PepdMessage>> {
    const request = decodePepdRequest(input.body, this.limits);
    if (!request.ok) return { ok: false, error: request.error };
    const extracted = pepdDecisionInput(request.value);
    if (!extracted.ok) return { ok: false, error: extracted.error };
    const x = extracted.value;

    const defects: RequestDefect[] = [];
    let chain: Buffer[] | undefined;
    if (x.keyInfoPem !== undefined) {
      // The same reading as a SAML2-XACML2 key-info: PEM blocks, one person's chain, leaf first; what does not parse
      // is a defect (recorded Indeterminate), as there.
      const decoded = decodeCertificates([x.keyInfoPem]);
      if (typeof decoded !== 'string') chain = decoded;
      else if (decoded === NOT_ONE_CHAIN) defects.push({ kind: 'syntax-error', code: ErrorCodes.REQUEST_AMBIGUOUS_CHAIN, attribute: PepIds.keyInfo, detail: decoded });
      else defects.push({ kind: 'syntax-error', attribute: PepIds.keyInfo, detail: decoded });
    }
    const primary = x.primaryFqan;
    // Primary first: mapping maps on the first FQAN, whatever order the list came in (docs/dialects.md).
    const fqans = primary === undefined ? x.fqans : [primary, ...x.fqans.filter((f) => !f.equals(primary))];
    // Asserted access-subject attributes by id, as the SAML2-XACML2 decoder keeps them for policy (believed only
    // from a trusted asserter). Null prototype: ids are attacker-chosen.
    const attributes = Object.create(null) as Record<string, string[]>;
    const environment = Object.create(null) as Record<string, string[]>;
    // pepdDecisionInput accepted exactly one subject; an empty list here would be a bug, refused like one.
    const subject = request.value.subjects[0] ?? { attributes: [] };
    for (const a of subject.attributes) attributes[a.id] = unique([...(attributes[a.id] ?? []), ...a.values]);
    for (const a of request.value.environment?.attributes ?? []) environment[a.id] = unique([...(environment[a.id] ?? []), ...a.values]);
    // pepcli sends grid-wn unless told otherwise; the Java PEP API sends none, and PEPd's glexec deployments answer
    // such a request as grid-wn (docs/pepd.md §6).
    const profileId = x.profileId ?? PEPD_PROFILES.gridWn;
    const query: AuthzQuery = {
      dialect: 'pepd',
      profileId,
      subject: { chain, assertedDn: x.subjectDn, assertedFqans: fqans.length > 0 ? fqans : undefined, assertedPrimaryFqan: primary, attributes },
      resource: x.resourceId,
      action: x.actionId,
      accountExpected: profileId === PEPD_PROFILES.gridWn || profileId === PEPD_PROFILES.gridCe,
      // PEPd's obligation handler enforces the account obligation; the client itself reads what it is given.
      obligationsSupported: [],
      environment,
      defects,
    };
    return { ok: true, value: { query, message: { request: request.value, resourceId: x.resourceId } } };
  }

  encode(decoded: DecodedMessage<PepdMessage>, result: AuthzResult, _context?: EncodeContext): EncodedAnswer {
    return answer(encodePepdResponse({ request: decoded.message.request, results: [pepResult(result, decoded.message.resourceId)] }));
  }

  /**
   * PEPd's servlet answers a body that is not a serialized Request with HTTP 500; a Request its validating PIP
   * refuses (no subject, two resources) with an Indeterminate Result and processing-error (docs/pepd.md §6).
   */
  encodeError(error: ProtocolError, _context?: EncodeContext): EncodedAnswer {
    if (pepdRefusalFor(error.code) === 'indeterminate') {
      return answer(encodePepdResponse({ results: [{ decision: 'Indeterminate', status: status('processing-error', `${error.code}: ${error.detail}`), obligations: [] }] }));
    }
    return { httpStatus: 500, contentType: 'text/plain; charset=UTF-8', body: `${error.code}: ${error.detail}\n` };
  }
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];

function pathOf(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

function answer(body: string): EncodedAnswer {
  // PEPd's servlet writes the base64 text with the container's default type; the clients do not look at it.
  return { httpStatus: 200, contentType: 'text/plain; charset=UTF-8', body };
}

function status(code: AuthzResult['status'], message: string | undefined): PepResult['status'] {
  return { message, statusCode: { code: `urn:oasis:names:tc:xacml:1.0:status:${code}` } };
}

/**
 * One Result as PEPd returns it after its obligation handlers ran: the account obligation in place of the policy's
 * mapping obligation, other obligations of the decision as the policy stated them (docs/pepd.md §5).
 */
export function pepResult(result: AuthzResult, resourceId: string | undefined): PepResult {
  const obligations: PepObligation[] = [];
  const account = result.account;
  const posix =
    account === undefined
      ? undefined
      : posixAccountObligation({
          userId: account.username,
          // Names, as the obligation handler reads them from the group map; a gid without a name goes as its number.
          primaryGroup: account.groupName ?? String(account.gid),
          groups: account.secondaryGroupNames ?? account.secondaryGids.map(String),
        });
  const fulfilled = (o: Obligation): boolean => o.fulfillOn === result.decision;
  for (const o of result.obligations.filter(fulfilled)) {
    if (ACCOUNT_MAPPING_OBLIGATIONS.includes(o.id)) {
      if (posix !== undefined && !obligations.includes(posix)) obligations.push(posix);
      continue;
    }
    obligations.push({
      id: o.id,
      fulfillOn: o.fulfillOn,
      attributeAssignments: o.assignments.map((a) => ({ attributeId: a.id, dataType: a.dataType ?? PepIds.dtString, value: a.value })),
    });
  }
  // A mapped account is always told to the PEP, first, even if no obligation named it (the core's contract says it
  // cannot happen: docs/architecture.md, "Obligations").
  if (posix !== undefined && result.decision === 'Permit' && !obligations.includes(posix)) obligations.unshift(posix);
  return {
    decision: result.decision,
    ...(resourceId !== undefined ? { resourceId } : {}),
    status: status(result.status, result.statusMessage),
    obligations,
  };
}
