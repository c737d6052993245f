/**
 * Checker and compiler: turns a syntax tree into an immutable, precompiled policy set. Every policy value is
 * parsed here exactly once (DNs to canonical keys, FQANs, Java regexes to RegExp) so evaluation does no parsing.
 * Problems Argus would only hit at evaluation time (bad DN, bad FQAN, bad regex → Indeterminate) are load-time
 * errors here: a policy that can only answer Indeterminate is a broken policy.
 */
import { Dn, ErrorCodes, Fqan } from '@gridauthz/domain';
import { attributeDefinition, type AttributeDefinition } from './attributes';
import type {
  ActionNode,
  Assignment,
  DescriptionNode,
  DiagnosticCode,
  ObligationNode,
  PolicyDiagnostic,
  PolicyDocument,
  Position,
  ResourceNode,
  RuleNode,
  TextValue,
} from './ast';
import { translateJavaRegex } from './java-regex';
import { printRuleInline } from './printer';
import type { RequestView } from './request-view';

/** 0 = no match, 1 = match, 2 = Indeterminate (XACML's third target outcome). */
export type Tri = 0 | 1 | 2;
export type Matcher = (request: RequestView) => Tri;

export interface ObligationAttribute {
  /** XACML AttributeId of the short name used in the policy. */
  readonly id: string;
  readonly name: string;
  readonly dataType: string;
  /** As XACML carries it: DN values converted from slash form to RFC 2253, everything else verbatim. */
  readonly value: string;
}

export interface PolicyObligation {
  readonly id: string;
  readonly attributes: readonly ObligationAttribute[];
}

export interface CompiledRule {
  readonly index: number;
  readonly effect: 'Permit' | 'Deny';
  readonly line: number;
  readonly column: number;
  /** The rule on one line, for audit reasons. */
  readonly text: string;
  readonly match: Matcher;
}

export interface CompiledAction {
  /** `<source>:<line>` of the action block; stable while the file is unchanged. */
  readonly policyId: string;
  readonly value: string;
  readonly private: boolean;
  readonly line: number;
  readonly match: Matcher;
  readonly obligations: readonly PolicyObligation[];
  readonly rules: readonly CompiledRule[];
}

export interface CompiledResource {
  /** `<source>:<line>` of the resource block. */
  readonly policySetId: string;
  readonly source: string;
  readonly value: string;
  readonly line: number;
  readonly match: Matcher;
  readonly obligations: readonly PolicyObligation[];
  readonly actions: readonly CompiledAction[];
}

export interface PolicySource {
  readonly name: string;
  readonly document: PolicyDocument;
}

/** A compiled, deeply frozen policy set: resource blocks of all sources in evaluation order. */
export interface PolicySet {
  readonly sources: readonly PolicySource[];
  readonly resources: readonly CompiledResource[];
  readonly ruleCount: number;
}

class Diagnostics {
  readonly list: PolicyDiagnostic[] = [];
  error(pos: Position, code: DiagnosticCode, message: string): void {
    this.list.push({ line: pos.line, column: pos.column, code, severity: 'error', message });
  }
  warn(pos: Position, code: DiagnosticCode, message: string): void {
    this.list.push({ line: pos.line, column: pos.column, code, severity: 'warning', message });
  }
  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }
}

/** Position of a character inside a value token: quoted values start one column after their quote. */
function positionInValue(value: TextValue, offset: number, sourceAtToken: string): Position {
  const quoted = sourceAtToken.startsWith('"') || sourceAtToken.startsWith("'");
  return { line: value.pos.line, column: value.pos.column + (quoted ? 1 : 0) + offset };
}

interface CompiledValue {
  readonly match: Matcher;
  /** Key used to spot duplicates and single-valued conflicts within one rule. */
  readonly key: string;
  /** Value as XACML carries it (obligation attributes). */
  readonly xacmlValue: string;
}

function compileValue(def: AttributeDefinition, value: TextValue, sourceText: string, diags: Diagnostics): CompiledValue | undefined {
  const raw = value.value;
  switch (def.match) {
    case 'x500Name-equal': {
      if (raw.trim() === '') {
        diags.error(value.pos, ErrorCodes.POLICY_BAD_VALUE, `${def.shortName}: a DN cannot be empty`);
        return undefined;
      }
      let dn: Dn;
      try {
        // §5.1: a leading "/" means OpenSSL form, anything else RFC 2253 as typed.
        dn = raw.startsWith('/') ? Dn.fromSlash(raw) : Dn.fromRfc2253(raw);
      } catch (e) {
        diags.error(value.pos, ErrorCodes.POLICY_BAD_VALUE, `${def.shortName}: "${raw}" is not a valid certificate subject (${(e as Error).message})`);
        return undefined;
      }
      const key = dn.canonicalKey();
      return { match: dnMatcher(def.shortName, key), key: `${def.shortName}\u0000${key}`, xacmlValue: raw.startsWith('/') ? dn.toRfc2253() : raw };
    }
    case 'fqan-equal': {
      let fqan: Fqan;
      try {
        fqan = Fqan.parse(raw);
      } catch (e) {
        diags.error(value.pos, ErrorCodes.POLICY_BAD_VALUE, `${def.shortName}: "${raw}" is not a valid FQAN (${(e as Error).message})`);
        return undefined;
      }
      if (raw.includes('*')) {
        diags.warn(
          value.pos,
          ErrorCodes.POLICY_NEVER_MATCHES,
          `${def.shortName}: FQAN matching is exact (Argus fqan-match); "*" is part of the group name here, not a wildcard`,
        );
      }
      const primary = def.shortName === 'pfqan';
      const match: Matcher = primary
        ? (r) => (r.primaryFqan !== undefined && r.primaryFqan.equals(fqan) ? 1 : 0)
        : (r) => (r.fqans.some((f) => f.equals(fqan)) ? 1 : 0);
      return { match, key: `${def.shortName}\u0000${fqan.toLong()}`, xacmlValue: raw };
    }
    case 'regexp': {
      const t = translateJavaRegex(raw);
      if (!t.ok) {
        diags.error(positionInValue(value, t.offset, sourceText), ErrorCodes.POLICY_UNSUPPORTED_REGEX, `${def.shortName}: ${t.message}`);
        return undefined;
      }
      if (t.slow) {
        diags.warn(value.pos, ErrorCodes.POLICY_SLOW_REGEX, `${def.shortName}: nested repetition in "${raw}" can make matching very slow`);
      }
      return { match: regexMatcher(def.shortName, t.regex), key: `${def.shortName}\u0000${raw}`, xacmlValue: raw };
    }
    case 'string-equal': {
      const name = def.shortName;
      const match: Matcher = name === 'vo' ? (r) => (r.vo.includes(raw) ? 1 : 0) : (r) => (r.bag(name).includes(raw) ? 1 : 0);
      return { match, key: `${name}\u0000${raw}`, xacmlValue: raw };
    }
    case 'x500Name-string-equal': {
      diags.warn(
        value.pos,
        ErrorCodes.POLICY_NEVER_MATCHES,
        `${def.shortName}: Argus pairs an x500Name value with string-equal; a request carrying it evaluates to Indeterminate`,
      );
      const name = def.shortName;
      return { match: (r) => (r.bag(name).length > 0 ? 2 : 0), key: `${name}\u0000${raw}`, xacmlValue: raw };
    }
  }
}

// Dn.equals is canonicalKey() equality; comparing keys computed once (policy side at compile time, request side
// once per evaluation) is the same relation without re-parsing or re-normalising per rule.
function dnMatcher(name: string, key: string): Matcher {
  if (name === 'subject') return (r) => (r.subjectKey === key ? 1 : 0);
  if (name === 'subject-issuer') return (r) => (r.issuerKeys.has(key) ? 1 : 0);
  return (r) => {
    const keys = r.dnKeys(name);
    if (keys === undefined) return 2; // a request DN that does not parse: XACML syntax error
    return keys.has(key) ? 1 : 0;
  };
}

function regexMatcher(name: string, regex: RegExp): Matcher {
  // §12.6: Java String.matches on the trimmed request value; the regex is anchored at compile time.
  if (name === 'resource') return (r) => (r.resource !== undefined && regex.test(r.resource) ? 1 : 0);
  if (name === 'action') return (r) => (r.action !== undefined && regex.test(r.action) ? 1 : 0);
  return (r) => (r.bag(name).some((v) => regex.test(javaTrim(v))) ? 1 : 0);
}

/** Java String.trim: strips every char up to U+0020 from both ends. */
export function javaTrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 0x20) start += 1;
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end -= 1;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** AND of all matches, XACML-style: any no-match wins over Indeterminate. */
function allOf(matchers: readonly Matcher[]): Matcher {
  if (matchers.length === 1) return matchers[0] as Matcher;
  return (r) => {
    let indeterminate = false;
    for (const m of matchers) {
      const t = m(r);
      if (t === 0) return 0;
      if (t === 2) indeterminate = true;
    }
    return indeterminate ? 2 : 1;
  };
}

// Single-valued in every request (one subject-id, one primary FQAN): two different values in one rule never match.
const SINGLE_VALUED = new Set(['subject', 'pfqan']);

class Compiler {
  readonly diags = new Diagnostics();
  private ruleCount = 0;

  constructor(
    private readonly source: string,
    private readonly lines: readonly string[],
  ) {}

  private tokenText(pos: Position): string {
    return (this.lines[pos.line - 1] ?? '').slice(pos.column - 1);
  }

  private definition(id: TextValue, where: string): AttributeDefinition | undefined {
    const def = attributeDefinition(id.value);
    if (!def) {
      const legacy = id.value === 'dn' || id.value === 'ca' ? ` (Argus 1.0 name; write ${id.value === 'dn' ? '"subject"' : '"subject-issuer"'})` : '';
      this.diags.error(id.pos, ErrorCodes.POLICY_UNKNOWN_ATTRIBUTE, `unknown attribute "${id.value}" in ${where}${legacy}`);
    }
    return def;
  }

  // Values repeat across rules (bans, issuers, ".*"); DN parsing dominates compile time, so clean results are reused.
  private readonly valueCache = new Map<string, CompiledValue>();

  private value(def: AttributeDefinition, value: TextValue): CompiledValue | undefined {
    const cacheKey = `${def.shortName}\u0000${value.value}`;
    const hit = this.valueCache.get(cacheKey);
    if (hit) return hit;
    const before = this.diags.list.length;
    const compiled = compileValue(def, value, this.tokenText(value.pos), this.diags);
    // Only diagnostic-free results are shared, so every occurrence of a bad value is still reported.
    if (compiled && this.diags.list.length === before) this.valueCache.set(cacheKey, compiled);
    return compiled;
  }

  private descriptions(items: readonly { kind: string; pos: Position }[], where: string): void {
    const descs = items.filter((i): i is DescriptionNode => i.kind === 'description');
    for (const d of descs.slice(0, -1)) this.diags.warn(d.pos, ErrorCodes.POLICY_DUPLICATE, `${where} has several descriptions; only the last is kept`);
  }

  obligations(items: readonly { kind: string }[], where: string): PolicyObligation[] {
    const out: PolicyObligation[] = [];
    const seen = new Set<string>();
    for (const o of items.filter((i): i is ObligationNode => i.kind === 'obligation')) {
      if (seen.has(o.id.value)) this.diags.warn(o.pos, ErrorCodes.POLICY_DUPLICATE, `obligation "${o.id.value}" appears twice in ${where}`);
      seen.add(o.id.value);
      if (o.id.value.trim() === '') this.diags.error(o.id.pos, ErrorCodes.POLICY_BAD_VALUE, 'obligation id cannot be empty');
      const attributes: ObligationAttribute[] = [];
      for (const a of o.assignments) {
        const def = this.definition(a.id, `obligation "${o.id.value}"`);
        const v = def ? this.value(def, a.value) : undefined;
        if (def && v) attributes.push({ id: def.xacmlId, name: def.shortName, dataType: def.dataType, value: v.xacmlValue });
      }
      out.push({ id: o.id.value, attributes });
    }
    return out;
  }

  /** The compiled rule (undefined on errors) and a key equal for rules whose conditions mean the same. */
  rule(rule: RuleNode, index: number): { compiled: CompiledRule | undefined; conditions: string } {
    const matchers: Matcher[] = [];
    const keys = new Set<string>();
    const singles = new Map<string, Assignment>();
    let ok = true;
    for (const a of rule.assignments) {
      const def = this.definition(a.id, 'rule');
      const v = def ? this.value(def, a.value) : undefined;
      if (!def || !v) {
        ok = false;
        continue;
      }
      if (keys.has(v.key)) this.diags.warn(a.id.pos, ErrorCodes.POLICY_DUPLICATE, `"${a.id.value} = ${a.value.value}" is repeated in this rule`);
      else if (SINGLE_VALUED.has(def.shortName) && singles.has(def.shortName)) {
        this.diags.warn(a.id.pos, ErrorCodes.POLICY_NEVER_MATCHES, `a request has one ${def.shortName}; two different values in one rule never match`);
      }
      keys.add(v.key);
      singles.set(def.shortName, a);
      matchers.push(v.match);
    }
    this.ruleCount += 1;
    const conditions = [...keys].sort().join('\u0001');
    if (!ok) return { compiled: undefined, conditions };
    const compiled: CompiledRule = {
      index,
      effect: rule.effect === 'permit' ? 'Permit' : 'Deny',
      line: rule.pos.line,
      column: rule.pos.column,
      text: printRuleInline(rule),
      match: allOf(matchers),
    };
    return { compiled, conditions };
  }

  action(node: ActionNode): CompiledAction | undefined {
    const where = `action "${node.value.value}"`;
    const pattern = this.value(attributeDefinition('action') as AttributeDefinition, node.value);
    this.descriptions(node.items, where);
    const obligations = this.obligations(node.items, where);
    const rules: CompiledRule[] = [];
    const seen = new Map<string, number>();
    let ok = pattern !== undefined;
    const ruleNodes = node.items.filter((i): i is RuleNode => i.kind === 'rule');
    if (ruleNodes.length === 0) {
      this.diags.warn(node.pos, ErrorCodes.POLICY_NEVER_MATCHES, `${where} has no rules, so it is always NotApplicable`);
    }
    ruleNodes.forEach((r, index) => {
      const { compiled, conditions } = this.rule(r, index);
      if (!compiled) {
        ok = false;
        return;
      }
      // Keys are canonical (DN, FQAN), so "/CN=x" after "CN=x" is recognised as the same condition.
      const earlier = seen.get(conditions);
      if (earlier !== undefined) {
        this.diags.warn(r.pos, ErrorCodes.POLICY_DUPLICATE, `this rule can never apply: the rule on line ${earlier} has the same conditions`);
      } else {
        seen.set(conditions, r.pos.line);
      }
      rules.push(compiled);
    });
    if (!ok || !pattern) return undefined;
    return {
      policyId: `${this.source}:${node.pos.line}`,
      value: node.value.value,
      private: node.private,
      line: node.pos.line,
      match: pattern.match,
      obligations,
      rules,
    };
  }

  resource(node: ResourceNode): CompiledResource | undefined {
    const where = `resource "${node.value.value}"`;
    const pattern = this.value(attributeDefinition('resource') as AttributeDefinition, node.value);
    this.descriptions(node.items, where);
    const obligations = this.obligations(node.items, where);
    const actionNodes = node.items.filter((i): i is ActionNode => i.kind === 'action');
    if (actionNodes.length === 0) {
      this.diags.warn(node.pos, ErrorCodes.POLICY_NEVER_MATCHES, `${where} has no action blocks, so it is always NotApplicable`);
    }
    const actions = actionNodes.map((a) => this.action(a));
    if (!pattern || actions.some((a) => a === undefined)) return undefined;
    return {
      policySetId: `${this.source}:${node.pos.line}`,
      source: this.source,
      value: node.value.value,
      line: node.pos.line,
      match: pattern.match,
      obligations,
      actions: actions as CompiledAction[],
    };
  }

  get rules(): number {
    return this.ruleCount;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

export interface CompileOutcome {
  readonly set: PolicySet | undefined;
  readonly diagnostics: readonly PolicyDiagnostic[];
}

/**
 * Checks and compiles one parsed document. `text` is the source it came from (for in-value error columns);
 * pass '' for documents built in code.
 */
export function compileDocument(document: PolicyDocument, sourceName: string, text: string): CompileOutcome {
  const compiler = new Compiler(sourceName, text.split(/\r\n|\r|\n/));
  const resources: CompiledResource[] = [];
  let ok = true;
  for (const item of document.items) {
    if (item.kind === 'action') {
      compiler.diags.error(
        item.pos,
        ErrorCodes.POLICY_NOT_STANDALONE,
        'a top-level action block has no resource: this is an "apf <file> <resource>" fragment, not a policy on its own',
      );
      ok = false;
      continue;
    }
    const compiled = compiler.resource(item);
    if (compiled) resources.push(compiled);
    else ok = false;
  }
  if (!ok || compiler.diags.hasErrors) return { set: undefined, diagnostics: compiler.diags.list };
  const set: PolicySet = { sources: [{ name: sourceName, document: deepFreeze(document) }], resources, ruleCount: compiler.rules };
  return { set: deepFreeze(set), diagnostics: compiler.diags.list };
}

/**
 * PAP-level combination (§6.2.4): sources in order, first applicable wins. First-applicable over first-applicable
 * sets equals first-applicable over their concatenated children, so the resource lists are simply joined.
 */
export function combinePolicySets(sets: readonly PolicySet[]): PolicySet {
  return deepFreeze({
    sources: sets.flatMap((s) => s.sources),
    resources: sets.flatMap((s) => s.resources),
    ruleCount: sets.reduce((n, s) => n + s.ruleCount, 0),
  });
}

/**
 * Checks one attribute value outside a policy (bans, test cases) and returns the key two values share exactly
 * when the policy engine treats them as equal (canonical DN, parsed FQAN, raw text otherwise).
 */
export function attributeValueKey(
  shortName: string,
  value: string,
): { readonly ok: true; readonly key: string; readonly xacmlValue: string } | { readonly ok: false; readonly diagnostics: readonly PolicyDiagnostic[] } {
  const diags = new Diagnostics();
  const def = attributeDefinition(shortName);
  if (!def) {
    diags.error({ line: 0, column: 0 }, ErrorCodes.POLICY_UNKNOWN_ATTRIBUTE, `unknown attribute "${shortName}"`);
    return { ok: false, diagnostics: diags.list };
  }
  const compiled = compileValue(def, { value, pos: { line: 0, column: 0 } }, '', diags);
  if (!compiled || diags.hasErrors) return { ok: false, diagnostics: diags.list };
  return { ok: true, key: compiled.key, xacmlValue: compiled.xacmlValue };
}
