import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element } from '@xmldom/xmldom';
import { ProtocolErrorCodes, protocolError } from '../errors';
import './xmldom-pattern-cache';
import type { ProtocolResult } from '../errors';

export interface XmlLimits {
  /** Largest accepted body in bytes, checked before decoding (default 256 KiB: cert chains are large). */
  readonly maxBytes?: number;
  /** Deepest accepted element nesting (default 64; real queries nest 7 deep). */
  readonly maxDepth?: number;
  /**
   * Most elements (start tags, counted in the text before parsing; default 10,000; real queries have < 100). Parse
   * time grows with the element count, not the byte count: 240 KB of 60,000 empty siblings took 0.6 s to parse.
   */
  readonly maxElements?: number;
}

export const DEFAULT_XML_LIMITS = { maxBytes: 256 * 1024, maxDepth: 64, maxElements: 10_000 } as const;

/** Input up to this size that fails to parse is parsed again with positions, for the error message. */
const LOCATOR_REPARSE_MAX_CHARS = 32 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const utf16le = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: false });
const utf16be = new TextDecoder('utf-16be', { fatal: true, ignoreBOM: false });

/** Bytes to text: UTF-8 unless a UTF-16 BOM says otherwise; invalid sequences are malformed input. */
function decodeText(body: Buffer | string): ProtocolResult<string> {
  if (typeof body === 'string') return { ok: true, value: body.replace(/^\uFEFF/, '') };
  try {
    if (body[0] === 0xff && body[1] === 0xfe) return { ok: true, value: utf16le.decode(body) };
    if (body[0] === 0xfe && body[1] === 0xff) return { ok: true, value: utf16be.decode(body) };
    return { ok: true, value: utf8.decode(body) };
  } catch {
    return protocolError(ProtocolErrorCodes.PROTO_XML_MALFORMED, 'body is not valid UTF-8/UTF-16 text');
  }
}

/**
 * Parses untrusted XML into a namespace-aware DOM. DTDs are refused outright (no entity expansion, no
 * external resolution), so the only entities left are the five predefined ones and character references.
 */
export interface ParsedXml {
  readonly document: Document;
  /** The decoded text the document came from (signature verification re-reads it). */
  readonly text: string;
}

export function parseUntrustedXml(body: Buffer | string, limits: XmlLimits = {}): ProtocolResult<ParsedXml> {
  const maxBytes = limits.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
  const maxDepth = limits.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth;
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (size > maxBytes) return protocolError(ProtocolErrorCodes.PROTO_BODY_TOO_LARGE, `body of ${size} bytes exceeds ${maxBytes}`);
  const text = decodeText(body);
  if (!text.ok) return text;
  // Scan the text before xmldom sees it: xmldom parses an internal subset without complaint. Also catches
  // DOCTYPE/ENTITY inside comments or CDATA, which no legitimate query carries.
  if (/<!\s*(DOCTYPE|ENTITY)/i.test(text.value)) {
    return protocolError(ProtocolErrorCodes.PROTO_XML_DOCTYPE, 'document type declarations are not accepted');
  }
  if (!/^\s*</.test(text.value)) return protocolError(ProtocolErrorCodes.PROTO_XML_MALFORMED, 'body is not XML');
  const control = controlCharacter(text.value);
  if (control !== undefined) return protocolError(ProtocolErrorCodes.PROTO_XML_CONTROL_CHAR, `${control} is not allowed in XML 1.0`);
  const maxElements = limits.maxElements ?? DEFAULT_XML_LIMITS.maxElements;
  if (startTagsOver(text.value, maxElements)) {
    return protocolError(ProtocolErrorCodes.PROTO_XML_TOO_MANY_ELEMENTS, `more than ${maxElements} elements`);
  }

  // Well-formed input, the usual case, is parsed without xmldom's line/column tracking (~15 % of the parse);
  // only small input that fails is parsed again with it, so that the error can say where (a large ill-formed body
  // would otherwise cost two parses: a cheap way to double an attacker's effect).
  const fast = parseOnce(text.value, false);
  const parsed = fast.ok || text.value.length > LOCATOR_REPARSE_MAX_CHARS ? fast : parseOnce(text.value, true);
  if (!parsed.ok) return protocolError(ProtocolErrorCodes.PROTO_XML_MALFORMED, `not well-formed XML: ${parsed.problem}`);
  const doc = parsed.document;
  // Belt and braces with the scan above: a doctype node can only come from a declaration we failed to see.
  if (doc.doctype !== null) return protocolError(ProtocolErrorCodes.PROTO_XML_DOCTYPE, 'document type declarations are not accepted');
  const root = doc.documentElement;
  if (root === null) return protocolError(ProtocolErrorCodes.PROTO_XML_MALFORMED, 'no document element');
  const depth = maxElementDepth(root, maxDepth);
  if (depth > maxDepth) return protocolError(ProtocolErrorCodes.PROTO_XML_TOO_DEEP, `elements nest deeper than ${maxDepth}`);
  return { ok: true, value: { document: doc, text: text.value } };
}

// NUL and the C0 controls other than tab, LF and CR are illegal in XML 1.0 (§2.2 Char), literally or as character
// references; xmldom accepts both, and a NUL inside a DN or FQAN could make two values compare differently
// here than in the C clients that cut at it. One regex pass over the text, before parsing.
const C0_LITERAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const CHAR_REFERENCE = /&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));/g;

/** Describes the first forbidden control character (literal or referenced), or undefined when there is none. */
export function controlCharacter(text: string): string | undefined {
  const literal = C0_LITERAL.exec(text);
  if (literal !== null) return `control character U+${literal[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (!text.includes('&#')) return undefined;
  for (const match of text.matchAll(CHAR_REFERENCE)) {
    const code = match[1] !== undefined ? Number.parseInt(match[1], 16) : Number.parseInt(match[2] ?? '', 10);
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return `character reference ${match[0]}`;
  }
  return undefined;
}

/**
 * True when the text has more than `limit` start tags: `<` followed by a name character (not `/`, `!` or `?`).
 * Counts inside comments and CDATA too, which only makes the bound stricter; a scan costs ~0.2 ms per 256 KB.
 */
function startTagsOver(text: string, limit: number): boolean {
  let count = 0;
  for (let i = text.indexOf('<'); i !== -1; i = text.indexOf('<', i + 1)) {
    const next = text.charCodeAt(i + 1);
    if (next !== 0x2f && next !== 0x21 && next !== 0x3f && ++count > limit) return true;
  }
  return false;
}

type ParseOutcome = { readonly ok: true; readonly document: Document } | { readonly ok: false; readonly problem: string };

function parseOnce(text: string, locator: boolean): ParseOutcome {
  const problems: string[] = [];
  try {
    const parser = new DOMParser({
      locator,
      // Warnings too: a query that needs xmldom's error recovery is not one we want to guess the meaning of.
      onError: (level, message, context: unknown) => {
        problems.push(`${level}: ${message.split('\n')[0] ?? ''}${locator ? position(context) : ''}`);
      },
    });
    const document = parser.parseFromString(text, 'text/xml');
    return problems.length > 0 ? { ok: false, problem: problems.join('; ') } : { ok: true, document };
  } catch (error) {
    // A fatal error is reported to onError (with its position) and then thrown.
    if (problems.length > 0) return { ok: false, problem: problems.join('; ') };
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { ok: false, problem: `${message ?? ''}${locator ? position(error) : ''}` };
  }
}

/** " (line L, column C)" from the parser's locator, when it has one. */
function position(context: unknown): string {
  const locator = (context as { locator?: { lineNumber?: unknown; columnNumber?: unknown } } | undefined)?.locator;
  return typeof locator?.lineNumber === 'number' && typeof locator.columnNumber === 'number' ? ` (line ${locator.lineNumber}, column ${locator.columnNumber})` : '';
}

/** Iterative (an attacker controls the depth, so no recursion); stops counting once past `limit`. */
function maxElementDepth(root: Element, limit: number): number {
  let deepest = 0;
  const stack: Array<{ element: Element; depth: number }> = [{ element: root, depth: 1 }];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined) break;
    if (item.depth > deepest) deepest = item.depth;
    if (deepest > limit) return deepest;
    for (let child = item.element.firstChild; child !== null; child = child.nextSibling) {
      if (child.nodeType === child.ELEMENT_NODE) stack.push({ element: child as Element, depth: item.depth + 1 });
    }
  }
  return deepest;
}
