import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { CHART, lookup, readText, readYaml, REPO } from './chart-files';

/** No Docker engine runs where the tests do, so the Dockerfile's invariants are checked on its text. */
interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly stage: number;
}

function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  const out: Instruction[] = [];
  let stage = -1;
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`unparsable Dockerfile line: ${line}`);
    const op = match[1]!.toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: match[2]!.trim(), stage });
  }
  return out;
}

const dockerfile = readText(REPO, 'Dockerfile');
const steps = parseDockerfile(dockerfile);
const finalStage = Math.max(...steps.map((s) => s.stage));
const inFinal = steps.filter((s) => s.stage === finalStage);
const argDefault = (name: string): string | undefined =>
  steps.find((s) => s.op === 'ARG' && s.args.startsWith(`${name}=`))?.args.slice(name.length + 1);
const copySources = (s: Instruction): string[] => {
  const words = s.args.split(/\s+/).filter((w) => !w.startsWith('--'));
  return words.slice(0, -1);
};
const dockerignore = readText(REPO, '.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

describe('Dockerfile', () => {
  it('is a multi-stage build on node 24 (bookworm-slim) for every stage', () => {
    const froms = steps.filter((s) => s.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]!.args).toMatch(/\bAS build$/i);
    expect(argDefault('NODE_IMAGE')).toMatch(/^node:24-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    for (const from of froms) {
      const image = from.args.split(/\s+/)[0]!;
      expect(image === '${NODE_IMAGE}' || /^node:24-bookworm-slim\b/.test(image), image).toBe(true);
    }
  });

  it('copies scripts/ before npm ci (prepare runs the build), then builds and prunes dev dependencies', () => {
    const build = steps.filter((s) => s.stage === 0);
    const index = (predicate: (s: Instruction) => boolean): number => build.findIndex(predicate);
    const scripts = index((s) => s.op === 'COPY' && copySources(s).includes('scripts/'));
    const ci = index((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args));
    const buildAndPrune = index((s) => s.op === 'RUN' && /npm run build/.test(s.args) && /npm prune --omit=dev/.test(s.args));
    expect(scripts).toBeGreaterThanOrEqual(0);
    expect(ci).toBeGreaterThan(scripts);
    expect(buildAndPrune).toBeGreaterThan(ci);
  });

  it('runs as the non-root uid the chart expects', () => {
    const users = steps.filter((s) => s.op === 'USER');
    const last = users.at(-1);
    expect(last?.stage).toBe(finalStage);
    const uid = last!.args.split(':')[0]!;
    expect(uid).not.toMatch(/^(0|root)$/);
    expect(Number(uid)).toBe(lookup(readYaml(CHART, 'values.yaml'), ['podSecurityContext', 'runAsUser']));
    expect(dockerfile).toMatch(new RegExp(`useradd [^\\n]*--uid ${uid}\\b`));
    // Nothing after USER may run as root again in the final stage.
    const userIndex = inFinal.indexOf(last!);
    expect(inFinal.slice(userIndex + 1).filter((s) => s.op === 'RUN')).toEqual([]);
  });

  it('starts gridauthz serve through bin/gridauthz.js in exec form', () => {
    const entrypoint = inFinal.filter((s) => s.op === 'ENTRYPOINT').at(-1);
    const cmd = inFinal.filter((s) => s.op === 'CMD').at(-1);
    expect(JSON.parse(entrypoint!.args)).toEqual(['node', '/app/bin/gridauthz.js']);
    expect(JSON.parse(cmd!.args)).toEqual(['serve']);
  });

  it('puts into the runtime image only the built service, from the build stage', () => {
    const copies = inFinal.filter((s) => s.op === 'COPY' || s.op === 'ADD');
    expect(copies.every((s) => s.op === 'COPY' && /--from=build\b/.test(s.args))).toBe(true);
    const sources = copies.flatMap(copySources).map((p) => p.replace(/^\/src\//, '').replace(/\/$/, ''));
    expect(sources.sort()).toEqual(['bin', 'dist', 'node_modules', 'package.json', 'policies']);
  });

  it('copies no key, certificate, local state or environment file, and bakes in no secret', () => {
    const sources = steps.filter((s) => s.op === 'COPY' || s.op === 'ADD').flatMap(copySources);
    for (const source of sources) {
      expect(source, source).not.toMatch(/\.pem$|\.key$|(^|\/)var(\/|$)|(^|\/)\.env|^\.$|^\.\/$/);
    }
    for (const s of steps.filter((x) => x.op === 'ENV' || x.op === 'ARG')) {
      expect(s.args, s.args).not.toMatch(/PASSWORD|SECRET|TOKEN|DATABASE_URL|PRIVATE/i);
    }
    expect(steps.some((s) => s.op === 'HEALTHCHECK')).toBe(false);
  });
});

describe('.dockerignore', () => {
  it('denies everything by default and excludes keys, local state and tests inside what it allows', () => {
    expect(dockerignore[0]).toBe('*');
    for (const pattern of ['**/*.pem', '**/var', '**/node_modules', '**/dist', '**/.env', '**/*.spec.ts']) expect(dockerignore).toContain(pattern);
  });

  it('lets through every path the Dockerfile copies from the build context', () => {
    const fromContext = steps.filter((s) => s.op === 'COPY' && !/--from=/.test(s.args)).flatMap(copySources);
    expect(fromContext.length).toBeGreaterThan(5);
    const allowed = dockerignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    for (const source of fromContext) expect(allowed, source).toContain(source);
  });
});

describe('Node.js version: image, docs and dependencies agree', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }>;
  };
  const minimum = semver.minVersion(pkg.engines.node)?.version ?? '';

  it('every runtime dependency supports the oldest Node.js package.json admits', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && !p.dev && p.engines && !Array.isArray(p.engines) && p.engines.node !== undefined)
      .filter(([, p]) => !semver.satisfies(minimum, (p.engines as { node: string }).node))
      .map(([path, p]) => `${path} wants node ${(p.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  it('the image and docs/operations.md name the same Node.js major, and package.json admits it', () => {
    const dockerfile = readFileSync(join(__dirname, '..', '..', 'Dockerfile'), 'utf8');
    const imageMajor = /ARG NODE_IMAGE=node:(\d+)-/.exec(dockerfile)?.[1];
    expect(imageMajor).toBeDefined();
    const operations = readFileSync(join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
    expect(operations).toContain(`Install Node.js ${imageMajor} (the image's version`);
    expect(semver.satisfies(`${imageMajor}.0.0`, pkg.engines.node)).toBe(true);
  });
});
