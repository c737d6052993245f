import type { Failure } from '@gridauthz/domain';

/** One finding in a file or configuration; `line` is 1-based, `file` names a gridmapdir entry or input file. */
export interface Problem {
  readonly line?: number;
  readonly file?: string;
  readonly message: string;
  /** A stable code for findings a caller acts on (e.g. MAPPING_STATIC_ON_LEASED_POOL). */
  readonly code?: string;
}

/** A failure that carries every problem found, so an operator can fix a file in one pass. */
export interface ProblemFailure<C extends string> extends Failure<C> {
  readonly problems: readonly Problem[];
}

/** Like the domain Result, but a failure lists all problems. */
export type Checked<T, C extends string> = { ok: true; value: T } | { ok: false; error: ProblemFailure<C> };

export function describeProblem(p: Problem): string {
  const where = [p.file, p.line !== undefined ? `line ${p.line}` : undefined].filter((x) => x !== undefined).join(' ');
  return where === '' ? p.message : `${where}: ${p.message}`;
}

export function failWithProblems<C extends string>(code: C, problems: readonly Problem[]): { ok: false; error: ProblemFailure<C> } {
  return { ok: false, error: { code, detail: problems.map(describeProblem).join('; '), problems } };
}
