/**
 * Entry points from text: parse + check + compile, and lint. Errors are values; nothing here throws for any input.
 */
import type { Failure } from '@gridauthz/domain';
import type { DiagnosticCode, PolicyDiagnostic, PolicyDocument } from './ast';
import { compileDocument, type PolicySet } from './compile';
import { parseSyntax, type SyntaxOptions } from './parser';

export type PolicyOptions = SyntaxOptions;

export interface PolicyFailure extends Failure<DiagnosticCode> {
  /** Every diagnostic, errors and warnings, in source order. */
  readonly diagnostics: readonly PolicyDiagnostic[];
}

export type PolicyResult<T> =
  | { readonly ok: true; readonly value: T; readonly warnings: readonly PolicyDiagnostic[] }
  | { readonly ok: false; readonly error: PolicyFailure };

function bySource(a: PolicyDiagnostic, b: PolicyDiagnostic): number {
  return a.line - b.line || a.column - b.column;
}

function failure(diagnostics: readonly PolicyDiagnostic[], sourceName: string): { ok: false; error: PolicyFailure } {
  const sorted = [...diagnostics].sort(bySource);
  const first = sorted.find((d) => d.severity === 'error') ?? sorted[0];
  return {
    ok: false,
    error: {
      code: first?.code ?? 'POLICY_SYNTAX',
      detail: first ? formatDiagnostic(sourceName, first) : `${sourceName}: invalid policy`,
      diagnostics: sorted,
    },
  };
}

/** Parses SPL text to its syntax tree only (accepts `apf` fragments made of top-level action blocks). */
export function parsePolicyDocument(text: string, sourceName: string, options: PolicyOptions = {}): PolicyResult<PolicyDocument> {
  const syntax = parseSyntax(text, options);
  if (!syntax.document || syntax.diagnostics.some((d) => d.severity === 'error')) return failure(syntax.diagnostics, sourceName);
  return { ok: true, value: syntax.document, warnings: syntax.diagnostics };
}

/** Parses, checks and compiles a policy file into an immutable policy set ready for `evaluate`. */
export function parsePolicy(text: string, sourceName: string, options: PolicyOptions = {}): PolicyResult<PolicySet> {
  const syntax = parseSyntax(text, options);
  if (!syntax.document || syntax.diagnostics.some((d) => d.severity === 'error')) return failure(syntax.diagnostics, sourceName);
  const compiled = compileDocument(syntax.document, sourceName, text);
  const all = [...syntax.diagnostics, ...compiled.diagnostics].sort(bySource);
  if (!compiled.set) return failure(all, sourceName);
  return { ok: true, value: compiled.set, warnings: all };
}

/** Every diagnostic (errors and warnings) for a file, in source order; empty means clean. */
export function lintPolicy(text: string, sourceName: string, options: PolicyOptions = {}): readonly PolicyDiagnostic[] {
  const result = parsePolicy(text, sourceName, options);
  return result.ok ? result.warnings : result.error.diagnostics;
}

/** `file:line:col: severity: message [CODE]`, the form editors and CI annotate. */
export function formatDiagnostic(sourceName: string, d: PolicyDiagnostic): string {
  return `${sourceName}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]`;
}

export function renderDiagnostics(sourceName: string, diagnostics: readonly PolicyDiagnostic[]): string {
  return diagnostics.map((d) => `${formatDiagnostic(sourceName, d)}\n`).join('');
}
