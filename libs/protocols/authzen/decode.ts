import { type AuthzQuery, Dn, DnSyntaxError, Fqan, type RequestDefect } from '@gridauthz/domain';
import { type ProtocolResult, ProtocolErrorCodes, protocolError } from '../errors';
import { AUTHZ_INTEROP } from '../saml2-xacml2/dialects/authz-interop/profile';
import { GLITE } from '../profiles/glite';
import { decodeCertificates, NOT_ONE_CHAIN } from '../saml2-xacml2/decode';
import { type JsonLimits, type JsonObject, type JsonValue, JsonError, parseStrictJson } from './json';

/**
 * AuthZEN Authorization API 1.0 requests (docs/authzen.md). The HTTPS binding's default paths (§10.1) and the
 * subject, resource and action vocabulary gridauthz gives the information model (§5), since the specification
 * leaves every `type` to the implementation.
 */
export const AUTHZEN_EVALUATION_PATH = '/access/v1/evaluation';
export const AUTHZEN_EVALUATIONS_PATH = '/access/v1/evaluations';

export const AUTHZEN_SUBJECT_TYPES = {
  /** A WLCG / SciTokens bearer token: `properties.token`, or else `id`, is the compact JWS. */
  token: 'wlcg-token',
  /** An X.509 chain: `properties.pem_chain` holds the PEM certificates, leaf (proxy) first; `id` is for the log. */
  x509: 'x509',
  /** A DN the caller asserts (`id`), with optional `properties.fqans` and `properties.issuer_dn`: trusted asserters only. */
  x509Dn: 'x509-dn',
} as const;

/** resource.type → the policy's resource-id; for `ce` and `wn`, resource.id is the host name. */
export const AUTHZEN_RESOURCE_TYPES: Readonly<Record<string, string | undefined>> = {
  ce: AUTHZ_INTEROP.resourceType.ce,
  wn: AUTHZ_INTEROP.resourceType.wn,
  /** resource.id is the policy's resource-id itself (e.g. an ARC endpoint https://ce01.example.org:443/arex). */
  'resource-id': undefined,
};

/** action.name short names → action-id; a name containing ":" is taken as an action-id itself. */
export const AUTHZEN_ACTIONS: Readonly<Record<string, string>> = {
  execute: GLITE.action.execute,
  'execute-now': AUTHZ_INTEROP.actionType.executeNow,
  submit: GLITE.action.ceJobSubmit,
};

export interface AuthzenLimits extends JsonLimits {
  /** Most objects in a batch's `evaluations` array. */
  readonly maxEvaluations: number;
}

/** Far above any honest request (a proxy chain is a few KiB, a token at most 16 KiB), far below the PDP's bodyLimit. */
export const DEFAULT_AUTHZEN_LIMITS: AuthzenLimits = { maxBytes: 131_072, maxDepth: 12, maxMembers: 128, maxStringLength: 65_536, maxEvaluations: 64 };

const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;
const TOKEN_MAX = 16_384;

type Fail = { ok: false; error: ReturnType<typeof protocolError>['error'] };
const invalid = (detail: string): Fail => protocolError(ProtocolErrorCodes.PROTO_QUERY_INVALID, detail);

/** §10.1: requests carry Content-Type application/json; JSON text is UTF-8 (RFC 8259 §8.1), so only that charset. */
export function checkJsonContentType(contentType: string | undefined): ProtocolResult<true> {
  const [type, ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return protocolError(ProtocolErrorCodes.PROTO_NOT_A_QUERY, `Content-Type must be application/json, not ${contentType === undefined ? 'absent' : JSON.stringify(contentType)}`);
  for (const p of params) if (p.startsWith('charset=') && p.replace(/^charset="?|"?$/g, '') !== 'utf-8') return protocolError(ProtocolErrorCodes.PROTO_NOT_A_QUERY, `JSON must be UTF-8, not ${p}`);
  return { ok: true, value: true };
}

/** The body as one JSON object (§10.1.1: the top level of every body is an object). */
export function parseBody(body: Buffer, limits: JsonLimits): ProtocolResult<JsonObject> {
  let value: JsonValue;
  try {
    value = parseStrictJson(body, limits);
  } catch (err) {
    if (!(err instanceof JsonError)) throw err;
    const code = err.kind === 'too-large' ? ProtocolErrorCodes.PROTO_BODY_TOO_LARGE : err.kind === 'duplicate-key' ? ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS : ProtocolErrorCodes.PROTO_QUERY_INVALID;
    return protocolError(code, err.message);
  }
  if (!(value instanceof Map)) return invalid('the body must be a JSON object');
  return { ok: true, value };
}

/** A member, with null taken as absent (§11.5: null-valued properties are to be omitted, so null means nothing). */
function member(object: JsonObject, name: string): JsonValue | undefined {
  const value = object.get(name);
  return value === null ? undefined : value;
}

function objectAt(object: JsonObject, name: string, where: string, required: boolean): ProtocolResult<JsonObject | undefined> {
  const value = member(object, name);
  if (value === undefined) return required ? invalid(`${where}${name} is required (AuthZEN 1.0 section 6.1)`) : { ok: true, value: undefined };
  if (!(value instanceof Map)) return invalid(`${where}${name} must be an object`);
  return { ok: true, value };
}

function stringAt(object: JsonObject, name: string, where: string): ProtocolResult<string> {
  const value = member(object, name);
  if (value === undefined) return invalid(`${where}${name} is required (AuthZEN 1.0 section 5)`);
  if (typeof value !== 'string') return invalid(`${where}${name} must be a string`);
  return { ok: true, value };
}

/**
 * One access evaluation (§6.1: subject, action and resource required, context optional) as the protocol-neutral
 * query. Unknown members are ignored (§10.1.1); what gridauthz cannot read in a known member is refused.
 */
export function decodeEvaluation(request: JsonObject, where = ''): ProtocolResult<AuthzQuery> {
  const subjectObject = objectAt(request, 'subject', where, true);
  if (!subjectObject.ok) return subjectObject;
  const actionObject = objectAt(request, 'action', where, true);
  if (!actionObject.ok) return actionObject;
  const resourceObject = objectAt(request, 'resource', where, true);
  if (!resourceObject.ok) return resourceObject;
  const context = objectAt(request, 'context', where, false);
  if (!context.ok) return context;
  const subject = decodeSubject(subjectObject.value as JsonObject, `${where}subject.`);
  if (!subject.ok) return subject;
  const resource = decodeResource(resourceObject.value as JsonObject, `${where}resource.`);
  if (!resource.ok) return resource;
  const action = decodeAction(actionObject.value as JsonObject, `${where}action.`);
  if (!action.ok) return action;
  const defects: RequestDefect[] = [];
  return {
    ok: true,
    value: {
      dialect: 'authzen',
      subject: subject.value,
      resource: resource.value.resource,
      ...(resource.value.host !== undefined ? { host: resource.value.host } : {}),
      action: action.value,
      // AuthZEN PEPs at a site are CEs and pilots that switch identity with the answer (docs/authzen.md §3).
      accountExpected: true,
      obligationsSupported: [],
      environment: {},
      defects,
    },
  };
}

function decodeSubject(subject: JsonObject, where: string): ProtocolResult<AuthzQuery['subject']> {
  const type = stringAt(subject, 'type', where);
  if (!type.ok) return type;
  // §5.1: id is required whatever the type; for a token it may be the token itself.
  const id = stringAt(subject, 'id', where);
  if (!id.ok) return id;
  const propertiesAt = objectAt(subject, 'properties', where, false);
  if (!propertiesAt.ok) return propertiesAt;
  const properties = propertiesAt.value ?? new Map<string, JsonValue>();
  switch (type.value) {
    case AUTHZEN_SUBJECT_TYPES.token: {
      const carried = member(properties, 'token');
      if (carried !== undefined && typeof carried !== 'string') return invalid(`${where}properties.token must be a string`);
      // The token travels in properties.token so that id can stay a loggable name; a JWS-shaped id that differs
      // from it leaves two tokens, and which one is meant is ambiguous.
      if (carried !== undefined && JWS.test(id.value) && id.value !== carried) {
        return protocolError(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS, `${where}id and ${where}properties.token carry two different tokens`);
      }
      const token = carried ?? id.value;
      if (token.length > TOKEN_MAX) return protocolError(ProtocolErrorCodes.PROTO_BODY_TOO_LARGE, `the token is longer than ${TOKEN_MAX} characters`);
      if (!JWS.test(token)) return invalid(`a ${AUTHZEN_SUBJECT_TYPES.token} subject carries a compact JWS (three base64url parts) in properties.token or id`);
      return { ok: true, value: { token } };
    }
    case AUTHZEN_SUBJECT_TYPES.x509: {
      const pem = member(properties, 'pem_chain');
      if (typeof pem !== 'string' || pem.trim() === '') return invalid(`an ${AUTHZEN_SUBJECT_TYPES.x509} subject carries its PEM certificate chain in ${where}properties.pem_chain`);
      const chain = decodeCertificates([pem]);
      if (chain === NOT_ONE_CHAIN) return protocolError(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS, `${where}properties.pem_chain: ${chain}`);
      if (typeof chain === 'string') return invalid(`${where}properties.pem_chain: ${chain}`);
      return { ok: true, value: { chain } };
    }
    case AUTHZEN_SUBJECT_TYPES.x509Dn: {
      let dn: Dn;
      try {
        dn = Dn.parse(id.value);
      } catch (err) {
        if (!(err instanceof DnSyntaxError)) throw err;
        return invalid(`${where}id is not a DN: ${err.message}`);
      }
      const fqanValues = member(properties, 'fqans');
      if (fqanValues !== undefined && (!Array.isArray(fqanValues) || fqanValues.some((f) => typeof f !== 'string'))) return invalid(`${where}properties.fqans must be an array of strings`);
      const fqans: Fqan[] = [];
      for (const text of (fqanValues ?? []) as string[]) {
        const fqan = Fqan.tryParse(text);
        if (fqan === undefined) return invalid(`${where}properties.fqans: ${JSON.stringify(text)} is not an FQAN`);
        if (!fqans.some((f) => f.equals(fqan))) fqans.push(fqan);
      }
      const issuerText = member(properties, 'issuer_dn');
      if (issuerText !== undefined && typeof issuerText !== 'string') return invalid(`${where}properties.issuer_dn must be a string`);
      let issuer: Dn | undefined;
      try {
        issuer = issuerText === undefined ? undefined : Dn.parse(issuerText);
      } catch (err) {
        if (!(err instanceof DnSyntaxError)) throw err;
        return invalid(`${where}properties.issuer_dn is not a DN: ${err.message}`);
      }
      const vos = [...new Set(fqans.map((f) => f.vo))];
      return {
        ok: true,
        value: {
          assertedDn: dn,
          ...(issuer ? { assertedIssuerDn: issuer, assertedIssuerDns: [issuer] } : {}),
          ...(fqans.length > 0 ? { assertedFqans: fqans, assertedPrimaryFqan: fqans[0], assertedVos: vos } : {}),
        },
      };
    }
    default:
      return invalid(`${where}type ${JSON.stringify(type.value)} is not a subject type gridauthz knows; use ${Object.values(AUTHZEN_SUBJECT_TYPES).join(', ')}`);
  }
}

function decodeResource(resource: JsonObject, where: string): ProtocolResult<{ resource: string; host?: string }> {
  const type = stringAt(resource, 'type', where);
  if (!type.ok) return type;
  const id = stringAt(resource, 'id', where);
  if (!id.ok) return id;
  if (!Object.hasOwn(AUTHZEN_RESOURCE_TYPES, type.value)) {
    return invalid(`${where}type ${JSON.stringify(type.value)} is not a resource type gridauthz knows; use ${Object.keys(AUTHZEN_RESOURCE_TYPES).join(', ')}`);
  }
  const resourceId = AUTHZEN_RESOURCE_TYPES[type.value];
  if (resourceId === undefined) {
    if (id.value.trim() === '') return invalid(`${where}id must name the resource-id`);
    return { ok: true, value: { resource: id.value } };
  }
  if (!HOST.test(id.value) || id.value.length > 253) return invalid(`${where}id must be the host name of the ${type.value}`);
  return { ok: true, value: { resource: resourceId, host: id.value.toLowerCase().replace(/\.$/, '') } };
}

function decodeAction(action: JsonObject, where: string): ProtocolResult<string> {
  const name = stringAt(action, 'name', where);
  if (!name.ok) return name;
  const known = Object.hasOwn(AUTHZEN_ACTIONS, name.value) ? AUTHZEN_ACTIONS[name.value] : undefined;
  if (known !== undefined) return { ok: true, value: known };
  if (name.value.includes(':') && name.value.trim() === name.value) return { ok: true, value: name.value };
  return invalid(`${where}name ${JSON.stringify(name.value)} is neither ${Object.keys(AUTHZEN_ACTIONS).join(', ')} nor an action-id URI`);
}

export type EvaluationsSemantic = 'execute_all' | 'deny_on_first_deny' | 'permit_on_first_permit';

/** An Access Evaluations request (§7.1) with the defaults of §7.1.1 applied to each evaluation. */
export type EvaluationsRequest = { readonly kind: 'single' } | { readonly kind: 'batch'; readonly evaluations: readonly JsonObject[]; readonly semantic: EvaluationsSemantic };

const SEMANTICS: readonly EvaluationsSemantic[] = ['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'];

export function decodeEvaluations(request: JsonObject, limits: AuthzenLimits): ProtocolResult<EvaluationsRequest> {
  const list = member(request, 'evaluations');
  // §7.1: without an evaluations array, or with an empty one, the request is a single evaluation.
  if (list === undefined) return { ok: true, value: { kind: 'single' } };
  if (!Array.isArray(list)) return invalid('evaluations must be an array');
  if (list.length === 0) return { ok: true, value: { kind: 'single' } };
  if (list.length > limits.maxEvaluations) return protocolError(ProtocolErrorCodes.PROTO_BODY_TOO_LARGE, `evaluations holds ${list.length} requests, more than the ${limits.maxEvaluations} allowed`);
  const options = objectAt(request, 'options', '', false);
  if (!options.ok) return options;
  const semanticValue = options.value === undefined ? undefined : member(options.value, 'evaluations_semantic');
  if (semanticValue !== undefined && !SEMANTICS.includes(semanticValue as EvaluationsSemantic)) {
    return invalid(`options.evaluations_semantic must be one of ${SEMANTICS.join(', ')} (AuthZEN 1.0 section 7.1.2.1)`);
  }
  const evaluations: JsonObject[] = [];
  for (const [index, item] of list.entries()) {
    if (!(item instanceof Map)) return invalid(`evaluations[${index}] must be an object`);
    // §7.1.1: each of the four keys present in the evaluation overrides the top-level one as a whole.
    const merged: JsonObject = new Map();
    for (const key of ['subject', 'action', 'resource', 'context']) {
      const value = member(item, key) ?? member(request, key);
      if (value !== undefined) merged.set(key, value);
    }
    evaluations.push(merged);
  }
  return { ok: true, value: { kind: 'batch', evaluations, semantic: (semanticValue as EvaluationsSemantic | undefined) ?? 'execute_all' } };
}
