/**
 * Bounded fuzzing of the parser/checker/printer: random and mutated input must never throw, hang or produce
 * anything but typed diagnostics, and whatever parses must survive a print/parse round trip.
 * Duration: POLICY_FUZZ_SECONDS (default 5); reproduce a run with POLICY_FUZZ_SEED.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, Dn, Fqan } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { withoutPositions, type PolicyDiagnostic } from './ast';
import { evaluate } from './evaluate';
import { parsePolicy, parsePolicyDocument } from './policy';
import { printPolicy } from './printer';
import { SPEC_7_1 } from './testing/fixtures';

const SECONDS = Number(process.env.POLICY_FUZZ_SECONDS ?? '5');
const SEED = Number(process.env.POLICY_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MAX_MS = 200;
const HUGE = 200_000;
const CODES = new Set<string>(Object.values(ErrorCodes).filter((c) => c.startsWith('POLICY_')));

/** mulberry32: small, seedable, good enough to drive mutations reproducibly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpus(): string[] {
  const root = join(__dirname, '..', '..', 'policies');
  const files = [
    ...readdirSync(root).filter((f) => f.endsWith('.spl')).map((f) => join(root, f)),
    ...readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.spl')).map((f) => join(root, 'examples', f)),
  ];
  return [SPEC_7_1, ...files.map((f) => readFileSync(f, 'utf8'))];
}

// Lexically meaningful pieces to splice in; the tokenizer regex below is linear (no nested quantifiers).
const PIECES = ['resource', 'action', 'rule', 'permit', 'deny', 'obligation', 'description', 'private', '{', '}', '=', '#', '"', "'", '\\', '\\.', '\\,', '\\n', '\n', '\r', '\t', '/', '.*', '(?i)', '[', ']', '*+', 'subject', 'pfqan', 'fqan', 'vo', '""', '"/atlas/*"', '"CN=x"', '\u0000', '\ud800', '😀', '\u2028', 'x'.repeat(300)];

function tokens(text: string): string[] {
  return text.match(/"[^"\n]*"|'[^'\n]*'|#[^\n]*\n?|[A-Za-z0-9_-]+|\s+|[^]/g) ?? [];
}

function mutate(base: string, random: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const ts = tokens(base);
  const n = 1 + Math.floor(random() * 4);
  for (let k = 0; k < n && ts.length > 0; k += 1) {
    const i = Math.floor(random() * ts.length);
    const j = Math.floor(random() * ts.length);
    switch (Math.floor(random() * 5)) {
      case 0:
        ts.splice(i, 1);
        break;
      case 1:
        ts.splice(i, 0, ts[i] ?? '');
        break;
      case 2: {
        const t = ts[i] as string;
        ts[i] = ts[j] as string;
        ts[j] = t;
        break;
      }
      case 3:
        ts.splice(i, 0, pick(PIECES));
        break;
      default: {
        const bytes = Array.from({ length: 1 + Math.floor(random() * 8) }, () => String.fromCharCode(Math.floor(random() * 0x3000)));
        ts.splice(i, 0, bytes.join(''));
      }
    }
  }
  return ts.join('');
}

function generated(random: () => number, seeds: readonly string[]): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const kind = random();
  if (kind < 0.7) return mutate(pick(seeds), random);
  if (kind < 0.8) return Array.from({ length: Math.floor(random() * 60) }, () => pick(PIECES)).join(random() < 0.5 ? ' ' : '');
  if (kind < 0.87) {
    const depth = Math.floor(random() * 50_000);
    return random() < 0.5 ? `resource "x" ${'{ '.repeat(depth)}` : `${'resource "x" { action "y" { '.repeat(depth / 10)}rule deny { vo = v }${' }'.repeat(depth / 5)}`;
  }
  if (kind < 0.93) return Array.from({ length: Math.floor(random() * 2000) }, () => String.fromCharCode(Math.floor(random() * 0x10000))).join('');
  // Huge but legal-looking input, ~50 times a real site policy: a long file, one long value or one long comment.
  const big = random();
  const seed = pick(seeds);
  if (big < 0.34) return mutate(seed.repeat(Math.ceil(HUGE / seed.length)), random);
  if (big < 0.67) return `resource "${'a'.repeat(HUGE)}" { action "y" { rule deny { vo = v } } }`;
  return `# ${'c'.repeat(HUGE)}\nresource "x" { action "y" { rule deny { vo = v } } }\n`;
}

function checkDiagnostics(diags: readonly PolicyDiagnostic[], context: string): void {
  for (const d of diags) {
    const ok =
      Number.isInteger(d.line) && d.line >= 1 && Number.isInteger(d.column) && d.column >= 1 && CODES.has(d.code) && (d.severity === 'error' || d.severity === 'warning') && typeof d.message === 'string' && d.message.length > 0;
    if (!ok) throw new Error(`untyped diagnostic ${JSON.stringify(d)} (${context})`);
  }
}

const REQUEST = {
  subject: { dn: Dn.parse('/DC=org/DC=example/CN=Alice'), issuerDns: [Dn.parse('CN=Example Grid CA,O=Example,C=XX')], fqans: [Fqan.parse('/atlas')], primaryFqan: Fqan.parse('/atlas'), vo: ['atlas'] },
  resource: 'http://authz-interop.org/xacml/resource/resource-type/wn',
  action: 'http://glite.org/xacml/action/execute',
};

describe(`parser fuzzing (${SECONDS}s, seed ${SEED})`, () => {
  it('never throws, never hangs, reports only typed diagnostics and round-trips what it accepts', () => {
    const random = rng(SEED);
    const seeds = corpus();
    // Warm the JIT first so the time limit measures the algorithm, not V8's first compilation.
    for (const seed of seeds) for (let k = 0; k < 20; k += 1) parsePolicy(seed, 'warm.spl');
    const deadline = performance.now() + SECONDS * 1000;
    let runs = 0;
    let accepted = 0;
    while (performance.now() < deadline) {
      const input = generated(random, seeds);
      const context = `seed ${SEED}, run ${runs}, input ${JSON.stringify(input.slice(0, 200))}…`;
      let start = performance.now();
      const result = parsePolicy(input, 'fuzz.spl');
      let elapsed = performance.now() - start;
      if (elapsed > MAX_MS) {
        // Other test files share the CPU and GC can pause; a real hang or super-linear case is slow every time.
        start = performance.now();
        parsePolicy(input, 'fuzz.spl');
        elapsed = performance.now() - start;
        if (elapsed > MAX_MS) throw new Error(`parse took ${elapsed.toFixed(0)} ms twice (${context})`);
      }
      checkDiagnostics(result.ok ? result.warnings : result.error.diagnostics, context);
      if (!result.ok) expect(result.error.diagnostics.some((d) => d.severity === 'error'), context).toBe(true);
      const doc = parsePolicyDocument(input, 'fuzz.spl');
      if (doc.ok) {
        const again = parsePolicyDocument(printPolicy(doc.value), 'fuzz.spl');
        if (!again.ok) throw new Error(`printed form does not parse: ${again.error.detail} (${context})`);
        expect(withoutPositions(again.value), context).toEqual(withoutPositions(doc.value));
      }
      if (result.ok) {
        accepted += 1;
        const decision = evaluate(result.value, REQUEST);
        expect(['Permit', 'Deny', 'NotApplicable', 'Indeterminate']).toContain(decision.decision);
      }
      runs += 1;
    }
    if (process.env.POLICY_FUZZ_STATS) process.stderr.write(`fuzz: ${runs} inputs, ${accepted} accepted\n`);
    // The mutations must sometimes keep the input valid, or the round-trip branch is never exercised.
    expect(runs).toBeGreaterThan(50);
    expect(accepted).toBeGreaterThan(0);
  }, SECONDS * 1000 + 30_000);
});
