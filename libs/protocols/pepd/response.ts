import { ErrorCodes } from '@gridauthz/domain';
import { decodeHessian, DEFAULT_HESSIAN_LIMITS } from '../hessian/decode';
import { stringFields } from '../hessian/value';
import type { HessianValue } from '../hessian/value';
import { decodePepdBase64 } from './decode';
import type { PepdResult } from './decode';
import { PepClass, PepDecisionCode } from './model';
import type { PepAttributeAssignment, PepDecision, PepObligation, PepResult, PepStatus, PepStatusCode } from './model';

/**
 * Client side (our pepcli, `gridauthz query --protocol pepd`): a PEPd answer body → its Results (docs/pepd.md §3,
 * §5). Read as the C client reads it: each object by class name, fields by name, unknown fields ignored (the Java
 * server writes every field; PEPd 1.0 wrote AttributeAssignment `values`, read here as the value when single).
 * The echoed request is not read: nothing printed depends on it.
 */
export function decodePepdResponse(body: string | Uint8Array): PepdResult<readonly PepResult[]> {
  const bytes = decodePepdBase64(body, DEFAULT_HESSIAN_LIMITS.maxBytes);
  if (!bytes.ok) return bytes;
  const value = decodeHessian(bytes.value, DEFAULT_HESSIAN_LIMITS);
  if (!value.ok) return value;
  try {
    return { ok: true, value: results(value.value) };
  } catch (e) {
    if (e instanceof Unreadable) return { ok: false, error: { code: ErrorCodes.PROTO_PEPD_MODEL, detail: e.message } };
    throw e;
  }
}

class Unreadable extends Error {}

function fields(v: HessianValue | undefined, className: string, where: string): ReadonlyMap<string, HessianValue> {
  if (v === undefined || v.kind !== 'map' || v.type !== className) throw new Unreadable(`${where}: expected ${className}`);
  const f = stringFields(v);
  if (!f.ok) throw new Unreadable(`${where}: ${f.error.detail}`);
  return f.value;
}

function optionalObject(v: HessianValue | undefined): HessianValue | undefined {
  return v === undefined || v.kind === 'null' ? undefined : v;
}

function str(v: HessianValue | undefined, where: string): string | undefined {
  if (v === undefined || v.kind === 'null') return undefined;
  if (v.kind !== 'string') throw new Unreadable(`${where}: expected a string`);
  return v.value;
}

function list(v: HessianValue | undefined, where: string): readonly HessianValue[] {
  if (v === undefined || v.kind === 'null') return [];
  if (v.kind !== 'list') throw new Unreadable(`${where}: expected a list`);
  return v.items;
}

function int(v: HessianValue | undefined, where: string): number {
  if (v === undefined || v.kind !== 'int') throw new Unreadable(`${where}: expected an int`);
  return v.value;
}

const DECISIONS = Object.entries(PepDecisionCode) as [PepDecision, number][];

function statusCode(v: HessianValue | undefined, depth: number): PepStatusCode | undefined {
  const present = optionalObject(v);
  if (present === undefined) return undefined;
  if (depth > 4) throw new Unreadable('status code nested too deeply');
  const f = fields(present, PepClass.StatusCode, 'StatusCode');
  const code = str(f.get('code'), 'StatusCode.code');
  if (code === undefined) throw new Unreadable('StatusCode without a code');
  const sub = statusCode(f.get('subCode'), depth + 1);
  return { code, ...(sub !== undefined ? { subCode: sub } : {}) };
}

function status(v: HessianValue | undefined): PepStatus | undefined {
  const present = optionalObject(v);
  if (present === undefined) return undefined;
  const f = fields(present, PepClass.Status, 'Status');
  const message = str(f.get('message'), 'Status.message');
  const code = statusCode(f.get('statusCode'), 0);
  return { message, statusCode: code };
}

function assignment(v: HessianValue): PepAttributeAssignment {
  const f = fields(v, PepClass.AttributeAssignment, 'AttributeAssignment');
  const attributeId = str(f.get('attributeId'), 'AttributeAssignment.attributeId');
  if (attributeId === undefined) throw new Unreadable('AttributeAssignment without an attributeId');
  const dataType = str(f.get('dataType'), 'AttributeAssignment.dataType');
  const old = list(f.get('values'), 'AttributeAssignment.values').map((x) => str(x, 'AttributeAssignment.values'));
  const value = str(f.get('value'), 'AttributeAssignment.value') ?? (old.length === 1 ? old[0] : undefined);
  return { attributeId, ...(dataType !== undefined ? { dataType } : {}), ...(value !== undefined ? { value } : {}) };
}

function obligation(v: HessianValue): PepObligation {
  const f = fields(v, PepClass.Obligation, 'Obligation');
  const id = str(f.get('id'), 'Obligation.id');
  if (id === undefined) throw new Unreadable('Obligation without an id');
  const on = int(f.get('fulfillOn'), 'Obligation.fulfillOn');
  if (on !== PepDecisionCode.Deny && on !== PepDecisionCode.Permit) throw new Unreadable(`Obligation.fulfillOn ${on} is neither Deny nor Permit`);
  return { id, fulfillOn: on === PepDecisionCode.Permit ? 'Permit' : 'Deny', attributeAssignments: list(f.get('attributeAssignments'), 'Obligation.attributeAssignments').map(assignment) };
}

function results(v: HessianValue): PepResult[] {
  const top = fields(v, PepClass.Response, 'Response');
  return list(top.get('results'), 'Response.results').map((r) => {
    const f = fields(r, PepClass.Result, 'Result');
    const code = int(f.get('decision'), 'Result.decision');
    const decision = DECISIONS.find(([, c]) => c === code)?.[0];
    if (decision === undefined) throw new Unreadable(`Result.decision ${code} is not a decision`);
    const resourceId = str(f.get('resourceId'), 'Result.resourceId');
    const st = status(f.get('status'));
    return {
      decision,
      ...(resourceId !== undefined ? { resourceId } : {}),
      ...(st !== undefined ? { status: st } : {}),
      obligations: list(f.get('obligations'), 'Result.obligations').map(obligation),
    };
  });
}
