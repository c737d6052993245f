import type { CodecInput } from '../codec';
import type { ProtocolResult } from '../errors';
import { parseUntrustedXml } from './safe-parse';
import type { ParsedXml, XmlLimits } from './safe-parse';

/**
 * The XML codecs' shared parse (docs/architecture.md, "Codecs"): each request body is parsed once, whichever XML
 * codec asks first (accepts or decode), and the others read the same tree. Keyed by the CodecInput object, which the
 * transport makes once per request; a WeakMap, so nothing outlives the request.
 */
export class XmlParseStep {
  private readonly parsed = new WeakMap<CodecInput, ProtocolResult<ParsedXml>>();

  constructor(
    readonly limits: XmlLimits,
    private readonly parse: (body: Buffer, limits: XmlLimits) => ProtocolResult<ParsedXml> = parseUntrustedXml,
  ) {}

  of(input: CodecInput): ProtocolResult<ParsedXml> {
    let result = this.parsed.get(input);
    if (result === undefined) {
      result = this.parse(input.body, this.limits);
      this.parsed.set(input, result);
    }
    return result;
  }

  /**
   * Drops the tree of a decoded request. The transport keeps the CodecInput until the answer is written, across the
   * decision's database round trip; a DOM held that long outlives the young generation and is promoted, which
   * costs the garbage collector more than the parse itself (BENCHMARKS.md, "Issue 18: the regression").
   */
  release(input: CodecInput): void {
    this.parsed.delete(input);
  }
}
