import { encodeHessian } from '../hessian/encode';
import { HNULL, hInt, hList, hObject, hString } from '../hessian/value';
import type { HessianValue } from '../hessian/value';
import { PepClass, PepDecisionCode } from './model';
import type { PepAttribute, PepAttributeBag, PepObligation, PepRequest, PepResponse, PepResult, PepStatus, PepStatusCode } from './model';

/*
 * Layouts (docs/pepd.md §3): request objects are written as the C client writes them (optional fields left out
 * when unset, so a decoded request re-encodes to the client's own bytes); response objects as Java's serializer
 * writes them (every field, in declaration order, null as 'N'). Both readers look fields up by name.
 */

const optional = (name: string, value: string | undefined): [string, HessianValue][] => (value === undefined ? [] : [[name, hString(value)]]);

function attribute(a: PepAttribute): HessianValue {
  return hObject(PepClass.Attribute, [
    ['id', hString(a.id)],
    ...optional('dataType', a.dataType),
    ...optional('issuer', a.issuer),
    ['values', hList(a.values.map(hString))],
  ]);
}

const attributes = (list: readonly PepAttribute[]): HessianValue => hList(list.map(attribute));

function bag(className: string, b: PepAttributeBag | undefined): HessianValue {
  return b === undefined ? HNULL : hObject(className, [['attributes', attributes(b.attributes)]]);
}

/** An `org.glite.authz.common.model.Request` as a Hessian value. */
export function pepRequestToHessian(req: PepRequest): HessianValue {
  return hObject(PepClass.Request, [
    ['subjects', hList(req.subjects.map((s) => hObject(PepClass.Subject, [...optional('category', s.category), ['attributes', attributes(s.attributes)]])))],
    [
      'resources',
      hList(req.resources.map((r) => hObject(PepClass.Resource, [...optional('resourceContent', r.resourceContent), ['attributes', attributes(r.attributes)]]))),
    ],
    ['action', bag(PepClass.Action, req.action)],
    ['environment', bag(PepClass.Environment, req.environment)],
  ]);
}

const stringOrNull = (v: string | undefined): HessianValue => (v === undefined ? HNULL : hString(v));

function statusCode(c: PepStatusCode | undefined, depth = 0): HessianValue {
  if (c === undefined) return HNULL;
  // XACML nests status codes one or two levels; a deeper chain is a caller bug, not something to serialize.
  if (depth > 4) throw new RangeError('status code nested too deeply');
  return hObject(PepClass.StatusCode, [
    ['code', hString(c.code)],
    ['subCode', statusCode(c.subCode, depth + 1)],
  ]);
}

function status(s: PepStatus | undefined): HessianValue {
  if (s === undefined) return HNULL;
  return hObject(PepClass.Status, [
    ['message', stringOrNull(s.message)],
    ['statusCode', statusCode(s.statusCode)],
  ]);
}

function obligation(o: PepObligation): HessianValue {
  return hObject(PepClass.Obligation, [
    ['id', hString(o.id)],
    ['fulfillOn', hInt(PepDecisionCode[o.fulfillOn])],
    [
      'attributeAssignments',
      hList(
        o.attributeAssignments.map((a) =>
          hObject(PepClass.AttributeAssignment, [
            ['attributeId', hString(a.attributeId)],
            ['dataType', stringOrNull(a.dataType)],
            ['value', stringOrNull(a.value)],
          ]),
        ),
      ),
    ],
  ]);
}

function result(r: PepResult): HessianValue {
  return hObject(PepClass.Result, [
    ['decision', hInt(PepDecisionCode[r.decision])],
    ['resourceId', stringOrNull(r.resourceId)],
    ['status', status(r.status)],
    ['obligations', hList(r.obligations.map(obligation))],
  ]);
}

/** An `org.glite.authz.common.model.Response` as a Hessian value. */
export function pepResponseToHessian(resp: PepResponse): HessianValue {
  return hObject(PepClass.Response, [
    ['request', resp.request === undefined ? HNULL : pepRequestToHessian(resp.request)],
    ['results', hList(resp.results.map(result))],
  ]);
}

/** Base64 in 64-column lines, each ended by CRLF, as the C client writes its request bodies. */
export function pepdBase64(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\r\n`;
  return out;
}

/** The body PEPd answers POST /authz with. */
export function encodePepdResponse(resp: PepResponse): string {
  return pepdBase64(encodeHessian(pepResponseToHessian(resp)));
}

/** A request body as a PEP client sends it (for our own client and tests). */
export function encodePepdRequest(req: PepRequest): string {
  return pepdBase64(encodeHessian(pepRequestToHessian(req)));
}
