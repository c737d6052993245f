import { ErrorCodes } from '@gridauthz/domain';
import type { Failure } from '@gridauthz/domain';

/**
 * A Hessian 1.0 value as plain data (docs/pepd.md §2). Typed maps keep their type name as a string: nothing is
 * ever instantiated or looked up by a name read from the wire.
 */
export type HessianValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'long'; readonly value: bigint }
  | { readonly kind: 'double'; readonly value: number }
  /** Milliseconds since the epoch, as sent ('d'). */
  | { readonly kind: 'date'; readonly value: bigint }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'xml'; readonly value: string }
  | { readonly kind: 'binary'; readonly value: Uint8Array }
  | HessianList
  | HessianMap;

export interface HessianList {
  readonly kind: 'list';
  /** The 't' type, or undefined when absent or empty. */
  readonly type: string | undefined;
  readonly items: readonly HessianValue[];
}

export interface HessianMap {
  readonly kind: 'map';
  /** The 't' type (a Java class name for serialized objects), or undefined when absent or empty. */
  readonly type: string | undefined;
  /** Pairs in wire order; keys may be any value, duplicates are kept (see {@link stringFields}). */
  readonly entries: readonly (readonly [HessianValue, HessianValue])[];
}

export type HessianErrorCode =
  | typeof ErrorCodes.PROTO_HESSIAN_TRUNCATED
  | typeof ErrorCodes.PROTO_HESSIAN_MALFORMED
  | typeof ErrorCodes.PROTO_HESSIAN_LIMIT
  | typeof ErrorCodes.PROTO_HESSIAN_UNSUPPORTED;

export type HessianError = Failure<HessianErrorCode>;
export type HessianResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: HessianError };

export const HNULL: HessianValue = Object.freeze({ kind: 'null' });
export const hString = (value: string): HessianValue => ({ kind: 'string', value });
export const hInt = (value: number): HessianValue => ({ kind: 'int', value });
export const hList = (items: readonly HessianValue[], type?: string): HessianList => ({ kind: 'list', type, items });
/** A map with string keys, e.g. a serialized Java object: `hObject('org.x.Y', [['field', value], ...])`. */
export const hObject = (type: string | undefined, fields: readonly (readonly [string, HessianValue])[]): HessianMap => ({
  kind: 'map',
  type,
  entries: fields.map(([k, v]) => [hString(k), v] as const),
});

/**
 * The fields of a serialized object: every key must be a string and appear once (a repeated field would make the
 * object ambiguous; Java's deserializer silently keeps the last one).
 */
export function stringFields(map: HessianMap): HessianResult<ReadonlyMap<string, HessianValue>> {
  const fields = new Map<string, HessianValue>();
  for (const [key, value] of map.entries) {
    if (key.kind !== 'string') {
      return { ok: false, error: { code: ErrorCodes.PROTO_HESSIAN_MALFORMED, detail: `map ${map.type ?? '(untyped)'} has a ${key.kind} key` } };
    }
    if (fields.has(key.value)) {
      return { ok: false, error: { code: ErrorCodes.PROTO_HESSIAN_MALFORMED, detail: `map ${map.type ?? '(untyped)'} repeats key "${key.value}"` } };
    }
    fields.set(key.value, value);
  }
  return { ok: true, value: fields };
}

/** No unpaired UTF-16 surrogate (String.prototype.isWellFormed is not in the ES2023 lib we compile against). */
export function isWellFormedText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}
