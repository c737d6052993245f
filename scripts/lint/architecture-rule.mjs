// The import arrows of docs/architecture.md as an ESLint rule, so that a change that breaks them fails `npm test`:
// - a lib imports only the libs it may (ALLOWED), by their @gridauthz/<lib> alias, never by a relative path that
//   leaves its own folder;
// - no lib imports Nest, and only persistence imports typeorm or pg;
// - apps reach libs through the alias only;
// - production code never imports a test kit (*.testkit.ts, test-support/, test/).
// A second rule, no-dialect-in-core, keeps protocol dialect names out of the decision core (see DIALECT_NAMES).
import { dirname, relative, resolve, sep } from 'node:path';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');

/** Which libs each lib may import (besides itself). Keep in step with docs/architecture.md. */
export const ALLOWED = {
  domain: [],
  credentials: ['domain'],
  'dev-pki': ['domain', 'credentials'],
  // Codecs read certificates (splitting and ordering a PEM chain, naming its owner) with credentials' strict
  // parser; they never make a trust decision.
  protocols: ['domain', 'credentials'],
  policy: ['domain'],
  mapping: ['domain'],
  decision: ['domain', 'policy', 'mapping'],
  persistence: ['domain', 'mapping', 'decision'],
};
/** Imports a test kit may add (test material is built with the dev PKI). */
const TESTKIT_EXTRA = { credentials: ['dev-pki'], protocols: ['dev-pki', 'credentials'] };

/** A test kit or test-support file, whether the import names it with or without its .ts extension. */
const isTestMaterial = (target) =>
  /\.testkit(\.ts)?$/.test(target) || target.split(sep).includes('test-support') || target.startsWith(`test${sep}`);

const isTestFile = (rel) =>
  /\.spec\.ts$/.test(rel) || /\.testkit\.ts$/.test(rel) || /\.contract\.ts$/.test(rel) || rel.split(sep).includes('test-support') || rel.startsWith(`test${sep}`);

function where(file) {
  const rel = relative(ROOT, file);
  const parts = rel.split(sep);
  if (parts[0] === 'libs' && parts.length > 2) return { rel, kind: 'lib', lib: parts[1] };
  if (parts[0] === 'apps') return { rel, kind: 'app' };
  return { rel, kind: 'other' };
}

export const architectureRule = {
  meta: {
    type: 'problem',
    docs: { description: 'enforce the import arrows of docs/architecture.md' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const here = where(file);
    const testFile = isTestFile(here.rel);
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      const report = (message) => context.report({ node, message });
      if (!testFile && spec.startsWith('.') && isTestMaterial(relative(ROOT, resolve(dirname(file), spec)))) {
        return report(`production code imports test code (${spec})`);
      }
      if (here.kind === 'lib') {
        if (spec.startsWith('@nestjs/')) return report(`libs never import Nest (${spec}); wiring belongs in apps/`);
        if ((spec === 'typeorm' || spec === 'pg' || spec.startsWith('typeorm/')) && here.lib !== 'persistence') {
          return report(`only libs/persistence imports ${spec}`);
        }
        const alias = /^@gridauthz\/([a-z-]+)(\/.*)?$/.exec(spec);
        if (alias) {
          const [, lib, deep] = alias;
          if (deep) return report(`no deep import into another lib: import '@gridauthz/${lib}' (its index.ts)`);
          if (lib === here.lib) return testFile ? undefined : report(`a lib imports its own files by relative path, not by its alias`);
          const allowed = [...(ALLOWED[here.lib] ?? []), ...(testFile ? (TESTKIT_EXTRA[here.lib] ?? []) : [])];
          if (!allowed.includes(lib)) return report(`libs/${here.lib} may not import @gridauthz/${lib} (allowed: ${allowed.join(', ') || 'none'})`);
          return undefined;
        }
        if (spec.startsWith('.')) {
          const target = relative(ROOT, resolve(dirname(file), spec));
          const own = `libs${sep}${here.lib}${sep}`;
          // Tests may use the repository's shared test material (test/pki, test/support).
          if (testFile && target.startsWith(`test${sep}`)) return undefined;
          if (!target.startsWith(own)) return report(`relative import leaves libs/${here.lib}: use the other lib's @gridauthz alias (${spec})`);
        }
        return undefined;
      }
      if (here.kind === 'app' && spec.startsWith('.')) {
        const target = relative(ROOT, resolve(dirname(file), spec));
        if (target.startsWith(`libs${sep}`)) return report(`apps reach libs through @gridauthz/<lib>, not a relative path (${spec})`);
      }
      return undefined;
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

/**
 * Protocol and dialect names, as the codecs spell them. The decision core (decision, mapping, policy) decides on
 * protocol-neutral requests: what a dialect means for a decision reaches it as data (AuthzQuery.accountExpected,
 * obligations), never as a name it compares against (issue 18, item 7).
 */
export const DIALECT_NAMES = ['authz-interop', 'grid-wn', 'grid-ce', 'emi', 'prima', 'xacml', 'saml2-xacml2', 'pepd', 'hessian', 'authzen'];
const CORE_LIBS = ['decision', 'mapping', 'policy'];

export const noDialectInCoreRule = {
  meta: {
    type: 'problem',
    docs: { description: 'the decision core names no protocol dialect (docs/architecture.md, "Import arrows the linter enforces")' },
    schema: [],
  },
  create(context) {
    const here = where(context.filename);
    if (here.kind !== 'lib' || !CORE_LIBS.includes(here.lib) || isTestFile(here.rel)) return {};
    const check = (node, text) => {
      if (typeof text === 'string' && DIALECT_NAMES.includes(text.toLowerCase())) {
        context.report({ node, message: `libs/${here.lib} names the dialect '${text}': the core decides on protocol-neutral data; let the codec say what the dialect means` });
      }
    };
    // Comments are not nodes: only string literals (types included) and expression-free template literals count.
    return {
      Literal: (node) => check(node, node.value),
      TemplateLiteral: (node) => node.expressions.length === 0 && check(node, node.quasis[0]?.value.cooked),
    };
  },
};
