/**
 * Policy unit tests for sites (`gridauthz policy test <file> <cases.yaml>`): each YAML case gives request
 * attributes by SPL short name and the expected decision, obligations and optionally the deciding rule's line.
 *
 *   defaults:                 # optional, merged under every case's request
 *     resource: http://authz-interop.org/xacml/resource/resource-type/wn
 *   cases:
 *     - name: banned user is denied
 *       request: { subject: "/DC=org/DC=example/CN=Mallory", fqan: [/atlas] }
 *       expect: { decision: Deny, line: 4 }
 *     - name: atlas user maps
 *       request: { pfqan: /atlas }
 *       expect:
 *         decision: Permit
 *         obligations: [http://glite.org/xacml/obligation/local-environment-map]
 *
 * `fqan` takes a list, `pfqan` defaults to its first entry (and alone implies `fqan: [pfqan]`); DN-valued
 * names accept slash or RFC 2253 form. Omitted `obligations` means none are expected.
 */
import { Dn, Fqan, type DecisionValue } from '@gridauthz/domain';
import { parseDocument } from 'yaml';
import type { PolicyDiagnostic } from './ast';
import { ATTRIBUTES } from './attributes';
import { describeMatch, evaluate, type PolicyDecision } from './evaluate';
import { formatDiagnostic, parsePolicy, type PolicyOptions } from './policy';
import type { PolicyRequest } from './request-view';

export interface ExpectedObligation {
  readonly id: string;
  /** When given, the obligation's attributes must be exactly these (short name → value). */
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface PolicyTestCaseResult {
  readonly name: string;
  readonly passed: boolean;
  readonly expected?: { readonly decision: DecisionValue; readonly obligations: readonly ExpectedObligation[]; readonly line?: number };
  readonly actual?: PolicyDecision;
  /** Human-readable differences, empty when passed. */
  readonly diff: readonly string[];
}

export interface PolicyTestReport {
  readonly passed: boolean;
  readonly policyName: string;
  readonly casesName: string;
  /** Policy errors and warnings (a policy with errors runs no case). */
  readonly policyDiagnostics: readonly PolicyDiagnostic[];
  /** Problems with the cases file as a whole (YAML syntax, missing `cases`). */
  readonly casesErrors: readonly string[];
  readonly cases: readonly PolicyTestCaseResult[];
}

export interface PolicyTestOptions extends PolicyOptions {
  readonly policyName?: string;
  readonly casesName?: string;
}

const DECISIONS: readonly DecisionValue[] = ['Permit', 'Deny', 'NotApplicable', 'Indeterminate'];

class CaseError extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(key: string, v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((item) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw new CaseError(`request.${key}: expected a string or a list of strings`);
  });
}

function single(key: string, v: unknown): string {
  const list = strings(key, v);
  if (list.length !== 1) throw new CaseError(`request.${key}: expected exactly one value`);
  return list[0] as string;
}

function parseOrCaseError<T>(key: string, value: string, parse: (s: string) => T): T {
  try {
    return parse(value);
  } catch (e) {
    throw new CaseError(`request.${key}: "${value}" ${(e as Error).message}`);
  }
}

function buildRequest(raw: Record<string, unknown>): PolicyRequest {
  let dn: Dn | undefined;
  let issuerDns: Dn[] | undefined;
  let fqans: Fqan[] | undefined;
  let primaryFqan: Fqan | undefined;
  let vo: string[] | undefined;
  let resource: string | undefined;
  let action: string | undefined;
  const attributes: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'subject':
        dn = parseOrCaseError(key, single(key, value), (s) => Dn.parse(s));
        break;
      case 'subject-issuer':
        issuerDns = strings(key, value).map((s) => parseOrCaseError(key, s, (t) => Dn.parse(t)));
        break;
      case 'fqan':
        fqans = strings(key, value).map((s) => parseOrCaseError(key, s, (t) => Fqan.parse(t)));
        break;
      case 'pfqan':
        primaryFqan = parseOrCaseError(key, single(key, value), (s) => Fqan.parse(s));
        break;
      case 'vo':
        vo = strings(key, value);
        break;
      case 'resource':
        resource = single(key, value);
        break;
      case 'action':
        action = single(key, value);
        break;
      default:
        if (!ATTRIBUTES.has(key)) throw new CaseError(`request.${key}: not an SPL attribute short name`);
        attributes[key] = strings(key, value);
    }
  }
  // VOMS puts the primary FQAN first, so each of fqan/pfqan implies the other when only one is given.
  if (primaryFqan === undefined && fqans !== undefined) primaryFqan = fqans[0];
  if (fqans === undefined) fqans = primaryFqan ? [primaryFqan] : [];
  return {
    subject: { fqans, ...(dn && { dn }), ...(issuerDns && { issuerDns }), ...(primaryFqan && { primaryFqan }), ...(vo && { vo }) },
    ...(resource !== undefined && { resource }),
    ...(action !== undefined && { action }),
    attributes,
  };
}

function buildExpected(raw: unknown): NonNullable<PolicyTestCaseResult['expected']> {
  if (!isRecord(raw)) throw new CaseError('expect: must be a map with at least "decision"');
  for (const key of Object.keys(raw)) {
    if (!['decision', 'obligations', 'line'].includes(key)) throw new CaseError(`expect.${key}: unknown key (decision, obligations, line)`);
  }
  const decision = DECISIONS.find((d) => d === raw.decision);
  if (!decision) throw new CaseError(`expect.decision: must be one of ${DECISIONS.join(', ')}`);
  const rawObligations = raw.obligations ?? [];
  if (!Array.isArray(rawObligations)) throw new CaseError('expect.obligations: must be a list');
  const obligations = rawObligations.map((o): ExpectedObligation => {
    if (typeof o === 'string') return { id: o };
    if (isRecord(o) && typeof o.id === 'string') {
      if (o.attributes === undefined) return { id: o.id };
      if (!isRecord(o.attributes)) throw new CaseError('expect.obligations[].attributes: must be a map');
      return { id: o.id, attributes: Object.fromEntries(Object.entries(o.attributes).map(([k, v]) => [k, String(v)])) };
    }
    throw new CaseError('expect.obligations: each entry is an id or {id, attributes}');
  });
  if (raw.line !== undefined && (typeof raw.line !== 'number' || !Number.isInteger(raw.line))) throw new CaseError('expect.line: must be an integer');
  return { decision, obligations, ...(typeof raw.line === 'number' && { line: raw.line }) };
}

function showObligations(list: readonly { id: string; attributes?: unknown }[]): string {
  return `[${list.map((o) => o.id).join(', ')}]`;
}

function compare(expected: NonNullable<PolicyTestCaseResult['expected']>, actual: PolicyDecision): string[] {
  const diff: string[] = [];
  const by = actual.matched ? ` (decided by ${describeMatch(actual.matched)})` : '';
  if (expected.decision !== actual.decision) diff.push(`decision: expected ${expected.decision}, got ${actual.decision}${by}`);
  const ids = (xs: readonly { id: string }[]): string => xs.map((x) => x.id).join('\u0000');
  if (ids(expected.obligations) !== ids(actual.obligations)) {
    diff.push(`obligations: expected ${showObligations(expected.obligations)}, got ${showObligations(actual.obligations)}`);
  } else {
    expected.obligations.forEach((e, i) => {
      if (!e.attributes) return;
      const got = Object.fromEntries((actual.obligations[i]?.attributes ?? []).map((a) => [a.name, a.value]));
      if (JSON.stringify(Object.entries(got).sort()) !== JSON.stringify(Object.entries(e.attributes).sort())) {
        diff.push(`obligation ${e.id} attributes: expected ${JSON.stringify(e.attributes)}, got ${JSON.stringify(got)}`);
      }
    });
  }
  if (expected.line !== undefined && expected.line !== actual.matched?.line) {
    diff.push(`deciding rule: expected line ${expected.line}, got ${actual.matched ? `line ${actual.matched.line}` : 'no rule'}`);
  }
  return diff;
}

export function runPolicyTests(policyText: string, casesYamlText: string, options: PolicyTestOptions = {}): PolicyTestReport {
  const policyName = options.policyName ?? 'policy.spl';
  const casesName = options.casesName ?? 'cases.yaml';
  const policy = parsePolicy(policyText, policyName, options);
  const policyDiagnostics = policy.ok ? policy.warnings : policy.error.diagnostics;
  const doc = parseDocument(casesYamlText, { prettyErrors: false });
  if (doc.errors.length > 0) {
    return { policyName, casesName, passed: false, policyDiagnostics, casesErrors: doc.errors.map((e) => `${casesName}: ${e.message}`), cases: [] };
  }
  const root: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isRecord(root) || !Array.isArray(root.cases)) {
    return { policyName, casesName, passed: false, policyDiagnostics, casesErrors: [`${casesName}: expected a map with a "cases" list`], cases: [] };
  }
  const defaults = root.defaults === undefined ? {} : root.defaults;
  if (!isRecord(defaults)) return { policyName, casesName, passed: false, policyDiagnostics, casesErrors: [`${casesName}: "defaults" must be a map`], cases: [] };
  const cases = root.cases.map((rawCase: unknown, index): PolicyTestCaseResult => {
    const name = isRecord(rawCase) && typeof rawCase.name === 'string' ? rawCase.name : `case #${index + 1}`;
    try {
      if (!isRecord(rawCase)) throw new CaseError('a case must be a map with name, request and expect');
      for (const key of Object.keys(rawCase)) {
        if (!['name', 'request', 'expect'].includes(key)) throw new CaseError(`${key}: unknown key (name, request, expect)`);
      }
      const rawRequest = rawCase.request ?? {};
      if (!isRecord(rawRequest)) throw new CaseError('request: must be a map of SPL short names to values');
      // fromEntries defines keys as a spread does: a `__proto__` key in the YAML stays a key (Object.assign would not).
      const request = buildRequest(Object.fromEntries([...Object.entries(defaults), ...Object.entries(rawRequest)]));
      const expected = buildExpected(rawCase.expect);
      if (!policy.ok) return { name, passed: false, expected, diff: ['policy does not compile'] };
      const actual = evaluate(policy.value, request);
      const diff = compare(expected, actual);
      return { name, passed: diff.length === 0, expected, actual, diff };
    } catch (e) {
      if (e instanceof CaseError) return { name, passed: false, diff: [`invalid case: ${e.message}`] };
      throw e;
    }
  });
  return { policyName, casesName, passed: policy.ok && cases.length > 0 && cases.every((c) => c.passed), policyDiagnostics, casesErrors: cases.length === 0 ? [`${casesName}: no cases`] : [], cases };
}

/** Plain-text report for the CLI. */
export function renderPolicyTestReport(report: PolicyTestReport): string {
  const lines: string[] = report.policyDiagnostics.map((d) => formatDiagnostic(report.policyName, d));
  lines.push(...report.casesErrors);
  for (const c of report.cases) {
    lines.push(`${c.passed ? 'ok  ' : 'FAIL'} ${c.name}`);
    for (const d of c.diff) lines.push(`     ${d}`);
  }
  const failed = report.cases.filter((c) => !c.passed).length;
  lines.push(`${report.casesName}: ${report.cases.length} cases, ${report.cases.length - failed} passed, ${failed} failed${report.passed ? '' : ' — FAILED'}`);
  return `${lines.join('\n')}\n`;
}
