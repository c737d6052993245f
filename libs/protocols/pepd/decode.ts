import { Dn, ErrorCodes, Fqan } from '@gridauthz/domain';
import type { Failure } from '@gridauthz/domain';
import { decodeHessian, DEFAULT_HESSIAN_LIMITS } from '../hessian/decode';
import type { HessianLimits } from '../hessian/decode';
import { stringFields } from '../hessian/value';
import type { HessianErrorCode, HessianValue } from '../hessian/value';
import { PepClass, PepIds } from './model';
import type { PepAttribute, PepAttributeBag, PepRequest, PepResource, PepSubject } from './model';

export type PepdErrorCode =
  | HessianErrorCode
  | typeof ErrorCodes.PROTO_PEPD_ENCODING
  | typeof ErrorCodes.PROTO_PEPD_MODEL
  | typeof ErrorCodes.PROTO_PEPD_AMBIGUOUS
  | typeof ErrorCodes.PROTO_PEPD_MISSING;

export type PepdError = Failure<PepdErrorCode>;
export type PepdResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: PepdError };

class Refused {
  constructor(readonly error: PepdError) {}
}

const refuse = (code: PepdErrorCode, detail: string): never => {
  throw new Refused({ code, detail });
};

/** Prefix of the detail when something unexpected was caught; the fuzz test asserts it never happens. */
export const PEPD_INTERNAL_ERROR = 'internal PEP model error';

const BASE64_TEXT = /^[A-Za-z0-9+/=\r\n]*$/;

/**
 * The HTTP body as the PEP clients send it: base64 text, 64 columns with CRLF from the C client (docs/pepd.md §1).
 * Line breaks (CRLF or LF) are the only whitespace accepted; the padding must be canonical.
 */
export function decodePepdBase64(body: string | Uint8Array, maxBytes: number = DEFAULT_HESSIAN_LIMITS.maxBytes): PepdResult<Uint8Array> {
  // Base64 of maxBytes plus a CRLF every 64 columns stays well under twice maxBytes: anything longer is refused unread.
  if (body.length > maxBytes * 2) {
    return { ok: false, error: { code: ErrorCodes.PROTO_HESSIAN_LIMIT, detail: `body of ${body.length} bytes is over the limit` } };
  }
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  if (!BASE64_TEXT.test(text)) return { ok: false, error: { code: ErrorCodes.PROTO_PEPD_ENCODING, detail: 'body is not base64 text' } };
  const compact = text.replace(/\r?\n/g, '');
  if (/[\r\n]/.test(compact)) return { ok: false, error: { code: ErrorCodes.PROTO_PEPD_ENCODING, detail: 'stray CR or LF in the base64 body' } };
  if (compact.length === 0) return { ok: false, error: { code: ErrorCodes.PROTO_PEPD_ENCODING, detail: 'empty body' } };
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) {
    return { ok: false, error: { code: ErrorCodes.PROTO_PEPD_ENCODING, detail: 'base64 body has a bad length or padding' } };
  }
  const bytes = Buffer.from(compact, 'base64');
  // Non-canonical trailing bits would let two texts mean one message; a real encoder never sets them.
  if (bytes.toString('base64') !== compact) return { ok: false, error: { code: ErrorCodes.PROTO_PEPD_ENCODING, detail: 'non-canonical base64' } };
  return { ok: true, value: bytes };
}

function describe(v: HessianValue): string {
  return v.kind === 'map' ? `map ${v.type ?? '(untyped)'}` : v.kind;
}

/** A serialized object of exactly `className` with only the listed fields, each at most once. */
function object(v: HessianValue, className: string, allowed: readonly string[], where: string): ReadonlyMap<string, HessianValue> {
  if (v.kind !== 'map' || v.type !== className) return refuse(ErrorCodes.PROTO_PEPD_MODEL, `${where}: expected ${className}, found ${describe(v)}`);
  const fields = stringFields(v);
  if (!fields.ok) return refuse(ErrorCodes.PROTO_PEPD_AMBIGUOUS, `${where}: ${fields.error.detail}`);
  for (const key of fields.value.keys()) {
    if (!allowed.includes(key)) refuse(ErrorCodes.PROTO_PEPD_MODEL, `${where}: unknown field "${key}" in ${className}`);
  }
  return fields.value;
}

function optionalString(fields: ReadonlyMap<string, HessianValue>, name: string, where: string): string | undefined {
  const v = fields.get(name);
  if (v === undefined || v.kind === 'null') return undefined;
  if (v.kind !== 'string') return refuse(ErrorCodes.PROTO_PEPD_MODEL, `${where}.${name}: expected a string, found ${describe(v)}`);
  return v.value;
}

/** A list field; null or absent is an empty list (both clients always send a list, but null carries nothing). */
function listField(fields: ReadonlyMap<string, HessianValue>, name: string, where: string): readonly HessianValue[] {
  const v = fields.get(name);
  if (v === undefined || v.kind === 'null') return [];
  if (v.kind !== 'list') return refuse(ErrorCodes.PROTO_PEPD_MODEL, `${where}.${name}: expected a list, found ${describe(v)}`);
  return v.items;
}

function attribute(v: HessianValue, where: string): PepAttribute {
  const f = object(v, PepClass.Attribute, ['id', 'dataType', 'issuer', 'values'], where);
  const id = optionalString(f, 'id', where);
  if (id === undefined || id === '') return refuse(ErrorCodes.PROTO_PEPD_MODEL, `${where}: Attribute without an id`);
  const values = listField(f, 'values', where).map((item, i) =>
    item.kind === 'string' ? item.value : refuse(ErrorCodes.PROTO_PEPD_MODEL, `${where} (${id}) value ${i}: expected a string, found ${describe(item)}`),
  );
  const dataType = optionalString(f, 'dataType', where);
  const issuer = optionalString(f, 'issuer', where);
  return { id, ...(dataType !== undefined ? { dataType } : {}), ...(issuer !== undefined ? { issuer } : {}), values };
}

const attributes = (f: ReadonlyMap<string, HessianValue>, where: string): PepAttribute[] =>
  listField(f, 'attributes', where).map((a, i) => attribute(a, `${where}.attributes[${i}]`));

function bag(v: HessianValue | undefined, className: string, where: string): PepAttributeBag | undefined {
  if (v === undefined || v.kind === 'null') return undefined;
  return { attributes: attributes(object(v, className, ['attributes'], where), where) };
}

function request(v: HessianValue): PepRequest {
  const f = object(v, PepClass.Request, ['subjects', 'resources', 'action', 'environment'], 'request');
  const subjects = listField(f, 'subjects', 'request').map((s, i): PepSubject => {
    const where = `subjects[${i}]`;
    const sf = object(s, PepClass.Subject, ['category', 'attributes'], where);
    const category = optionalString(sf, 'category', where);
    return { category, attributes: attributes(sf, where) };
  });
  const resources = listField(f, 'resources', 'request').map((r, i): PepResource => {
    const where = `resources[${i}]`;
    const rf = object(r, PepClass.Resource, ['resourceContent', 'attributes'], where);
    const resourceContent = optionalString(rf, 'resourceContent', where);
    return { resourceContent, attributes: attributes(rf, where) };
  });
  const action = bag(f.get('action'), PepClass.Action, 'action');
  const environment = bag(f.get('environment'), PepClass.Environment, 'environment');
  return { subjects, resources, ...(action ? { action } : {}), ...(environment ? { environment } : {}) };
}

/** Reads a decoded Hessian value as an `org.glite.authz.common.model.Request`. */
export function pepRequestFromHessian(value: HessianValue): PepdResult<PepRequest> {
  try {
    return { ok: true, value: request(value) };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, error: e.error };
    // Not expected; kept so a bug fails closed rather than escaping as a throw (the fuzz test watches for it).
    return { ok: false, error: { code: ErrorCodes.PROTO_PEPD_MODEL, detail: `${PEPD_INTERNAL_ERROR}: ${String(e)}` } };
  }
}

/** The POST /authz body of a PEP client → the protocol-neutral request; never throws on any input. */
export function decodePepdRequest(body: string | Uint8Array, limits: HessianLimits = DEFAULT_HESSIAN_LIMITS): PepdResult<PepRequest> {
  const bytes = decodePepdBase64(body, limits.maxBytes);
  if (!bytes.ok) return bytes;
  const value = decodeHessian(bytes.value, limits);
  if (!value.ok) return value;
  return pepRequestFromHessian(value.value);
}

/** What a decision needs from a PEP request (docs/pepd.md §4). Strings are as sent; nothing here is trusted yet. */
export interface PepdDecisionInput {
  /** The subject's key-info: a PEM chain, leaf first (PEPd's X.509 PIP input). */
  readonly keyInfoPem?: string;
  /** An asserted subject-id, as sent (RFC 2253) and parsed. Only a caller trusted to assert may use it. */
  readonly subjectId?: string;
  readonly subjectDn?: Dn;
  /** Asserted FQANs in the order sent; the primary, when asserted, is among them (compared as FQANs). */
  readonly fqans: readonly Fqan[];
  readonly primaryFqan?: Fqan;
  readonly resourceId: string;
  readonly actionId: string;
  /** Environment profile-id (grid-wn, grid-ce), when sent. */
  readonly profileId?: string;
}

// C0 controls and DEL in an identifier are never legitimate and could forge log lines or split names.
const CONTROL = /[\u0000-\u001f\u007f]/;
// A PEM chain has line breaks (LF or CRLF) and nothing else below space.
const PEM_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** The single value of the single attribute `id` in `attrs`, or undefined when absent; ambiguity refused. */
function single(attrs: readonly PepAttribute[], id: string, where: string, control: RegExp = CONTROL): string | undefined {
  const found = attrs.filter((a) => a.id === id);
  const [attr] = found;
  if (attr === undefined) return undefined;
  if (found.length > 1) return refuse(ErrorCodes.PROTO_PEPD_AMBIGUOUS, `${where} has ${found.length} ${id} attributes`);
  const [value] = attr.values;
  if (value === undefined) return refuse(ErrorCodes.PROTO_PEPD_MODEL, `${where} attribute ${id} has no value`);
  if (attr.values.length > 1) return refuse(ErrorCodes.PROTO_PEPD_AMBIGUOUS, `${where} attribute ${id} has ${attr.values.length} values`);
  return checked(value, id, where, control);
}

function checked(value: string, id: string, where: string, control: RegExp = CONTROL): string {
  if (value.trim() === '') return refuse(ErrorCodes.PROTO_PEPD_MODEL, `${where} attribute ${id} is empty`);
  if (control.test(value)) return refuse(ErrorCodes.PROTO_PEPD_MODEL, `${where} attribute ${id} holds a control character`);
  return value;
}

function one<T>(items: readonly T[], what: string): T {
  if (items.length === 0) return refuse(ErrorCodes.PROTO_PEPD_MISSING, `request has no ${what}`);
  if (items.length > 1) return refuse(ErrorCodes.PROTO_PEPD_AMBIGUOUS, `request has ${items.length} ${what}s`);
  return items[0] as T; // length checked just above
}

function decisionInput(req: PepRequest): PepdDecisionInput {
  const subject = one(req.subjects, 'subject');
  if (subject.category !== undefined && subject.category !== PepIds.accessSubject) {
    refuse(ErrorCodes.PROTO_PEPD_MODEL, `subject category ${subject.category} is not access-subject`);
  }
  const sa = subject.attributes;
  const keyInfoPem = single(sa, PepIds.keyInfo, 'subject', PEM_CONTROL);
  const subjectId = single(sa, PepIds.subjectId, 'subject');
  if (keyInfoPem === undefined && subjectId === undefined) {
    refuse(ErrorCodes.PROTO_PEPD_MISSING, `subject has neither ${PepIds.keyInfo} nor ${PepIds.subjectId}`);
  }
  let subjectDn: Dn | undefined;
  if (subjectId !== undefined) {
    // x500Name values are RFC 2253 (pepcli -s, the C client's subject-id); a slash form is not one.
    try {
      subjectDn = Dn.fromRfc2253(subjectId);
    } catch (e) {
      refuse(ErrorCodes.PROTO_PEPD_MODEL, `subject-id is not an RFC 2253 DN: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const fqan = (text: string): Fqan => Fqan.tryParse(text) ?? refuse(ErrorCodes.PROTO_PEPD_MODEL, `"${text}" is not an FQAN`);
  const primaryText = single(sa, PepIds.primaryFqan, 'subject');
  const primaryFqan = primaryText === undefined ? undefined : fqan(primaryText);
  const fqanAttrs = sa.filter((a) => a.id === PepIds.fqan);
  if (fqanAttrs.length > 1) refuse(ErrorCodes.PROTO_PEPD_AMBIGUOUS, `subject has ${fqanAttrs.length} ${PepIds.fqan} attributes`);
  let fqans = (fqanAttrs[0]?.values ?? []).map((v) => fqan(checked(v, PepIds.fqan, 'subject')));
  if (fqans.some((f, i) => fqans.findIndex((g) => g.equals(f)) !== i)) refuse(ErrorCodes.PROTO_PEPD_AMBIGUOUS, 'subject repeats an FQAN');
  if (primaryFqan !== undefined) {
    if (fqanAttrs.length === 0) fqans = [primaryFqan];
    else if (!fqans.some((f) => f.equals(primaryFqan))) refuse(ErrorCodes.PROTO_PEPD_AMBIGUOUS, `primary FQAN ${primaryText} is not among the FQANs`);
  }
  const resource = one(req.resources, 'resource');
  const resourceId = single(resource.attributes, PepIds.resourceId, 'resource');
  if (resourceId === undefined) return refuse(ErrorCodes.PROTO_PEPD_MISSING, `resource has no ${PepIds.resourceId}`);
  if (req.action === undefined) return refuse(ErrorCodes.PROTO_PEPD_MISSING, 'request has no action');
  const actionId = single(req.action.attributes, PepIds.actionId, 'action');
  if (actionId === undefined) return refuse(ErrorCodes.PROTO_PEPD_MISSING, `action has no ${PepIds.actionId}`);
  const profileId = req.environment ? single(req.environment.attributes, PepIds.profileId, 'environment') : undefined;
  return { keyInfoPem, subjectId, subjectDn, fqans, primaryFqan, resourceId, actionId, profileId };
}

/**
 * Extracts what the decision needs, refusing ambiguity (two subjects, two key-infos, two resource-ids, a value
 * list where one value is meant, a primary FQAN outside the FQANs). Key-info and subject-id may both be present:
 * which one counts, and whether they agree, is the decision's business (a key-info wins at PEPd).
 */
export function pepdDecisionInput(req: PepRequest): PepdResult<PepdDecisionInput> {
  try {
    return { ok: true, value: decisionInput(req) };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, error: e.error };
    throw e;
  }
}
