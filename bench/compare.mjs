// A/B of one scenario between a git ref ("A", e.g. main before a refactor) and this working tree ("B"), in one
// sitting on one box: the ref is checked out with `git worktree add` under /tmp, shares this tree's node_modules
// through a symlink and is built there; then the scenario (this tree's scenario code and controls, so both builds
// meet the same load) runs alternately A B A B …, and every figure is reported per run and as the ratio of the
// means B / A. A figure more than 5 % worse in B is flagged (issue 18's rule: no figure worse by more than 5 %).
// Usage: node bench/compare.mjs <scenario> <git-ref> [--pairs N] [--keep] [scenario options]
//        npm run bench -- <scenario> --compare <git-ref> [--pairs N] [--keep] [scenario options]
// --pairs: A B rounds (default 2). --keep: leave the worktree in /tmp for the next comparison.
// Each run is a fresh Node process (this file with --run-one): an in-process scenario (policy, credentials) run in
// one process for both sides shares V8's type feedback between A's and B's code, which made identical policy code
// measure 8–11 % apart.
// Scenarios that return no `figures` are still run alternately; their tables are printed, no ratio.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from './harness.mjs';
import { fmt, table } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const rootB = join(here, '..');

function opt(args, name, dflt) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

/** Checks out `ref` into /tmp/gridauthz-compare-<sha> (reused when present) and builds it there. */
function prepare(ref) {
  const git = (...a) => execFileSync('git', ['-C', rootB, ...a], { encoding: 'utf8' }).trim();
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = `/tmp/gridauthz-compare-${sha.slice(0, 12)}`;
  if (!existsSync(join(dir, 'package.json'))) git('worktree', 'add', '--quiet', '--detach', dir, sha);
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(realpathSync(join(rootB, 'node_modules')), join(dir, 'node_modules'));
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: dir, stdio: 'inherit' });
  return {
    sha,
    dir,
    remove() {
      git('worktree', 'remove', '--force', dir);
    },
  };
}

export async function compare(name, ref, argv) {
  const args = [...argv];
  const pairs = Number(opt(args, 'pairs', 2));
  const keep = args.includes('--keep');
  const scenarioArgs = args.filter((a) => a !== '--keep' && a !== '--no-append');
  const a = prepare(ref);
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: rootB, stdio: 'inherit' });
  const head = execFileSync('git', ['-C', rootB, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['-C', rootB, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
  const labels = { A: `${ref} (${a.sha.slice(0, 9)})`, B: `this tree (${head}${dirty ? ', uncommitted changes' : ''})` };
  const runs = [];
  try {
    for (let i = 0; i < pairs; i += 1) {
      for (const side of ['A', 'B']) {
        const root = side === 'A' ? a.dir : rootB;
        const loadBefore = loadavg();
        console.error(`[compare] ${name} round ${i + 1}/${pairs}, ${side} = ${labels[side]}, load average ${loadBefore}`);
        const result = await runOne(name, root, scenarioArgs);
        runs.push({ side, round: i + 1, loadBefore, loadAfter: loadavg(), result });
      }
    }
  } finally {
    if (!keep) a.remove();
  }
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.result.figures ?? {})))];
  const rows = names.map((f) => {
    const of = (side) => runs.filter((r) => r.side === side).map((r) => r.result.figures?.[f]?.value).filter(Number.isFinite);
    const [va, vb] = [of('A'), of('B')];
    const better = runs.find((r) => r.result.figures?.[f])?.result.figures[f].better ?? 'higher';
    const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
    const ratio = mean(vb) / mean(va);
    const worse = better === 'higher' ? ratio < 0.95 : ratio > 1.05;
    const digits = Math.abs(mean(va)) < 10 ? 2 : 0;
    return [f, va.map((v) => fmt(v, digits)).join(', '), vb.map((v) => fmt(v, digits)).join(', '), `**${fmt(ratio, 3)}**`, `${better} is better${worse ? ': **B worse by more than 5 %**' : ''}`];
  });
  const text = [
    `# compare ${name}: A = ${labels.A}, B = ${labels.B}`,
    '',
    `- date: ${new Date().toISOString()}`,
    `- command: \`${['npm run bench --', name, '--compare', ref, ...argv].join(' ')}\``,
    `- order: ${runs.map((r) => r.side).join(' ')} (alternating, one sitting); load average before each run: ${runs.map((r) => `${r.side}${r.round} ${r.loadBefore}`).join('; ')}`,
    '',
    names.length > 0 ? table(['figure', 'A runs', 'B runs', 'B / A (means)', ''], rows) : '(the scenario reports no machine-readable figures; see the tables below)',
    '',
    ...runs.flatMap((r) => [`## ${r.side}${r.round}: ${r.side === 'A' ? labels.A : labels.B}`, '', r.result.table, '']),
  ].join('\n');
  return text;
}

/** One run of `name` against `root` in its own Node process; its result (table, figures) comes back as JSON. */
function runOne(name, root, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--run-one', name, root, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${name} against ${root} exited ${code}`));
      // The result is the last line: the scenario may print progress before it.
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)));
      } catch (err) {
        reject(new Error(`${name} against ${root}: no result (${err.message})`));
      }
    });
  });
}

if (process.argv[2] === '--run-one') {
  const [name, root, ...args] = process.argv.slice(3);
  const { run } = await import(join(here, 'scenarios', `${name}.mjs`));
  const result = await run({ root, args });
  process.stdout.write(`\n${JSON.stringify({ table: result.table, figures: result.figures, notes: result.notes })}\n`);
  process.exit(0);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, ref, ...rest] = process.argv.slice(2);
  if (!name || !ref) {
    console.error('usage: node bench/compare.mjs <scenario> <git-ref> [--pairs N] [--keep] [scenario options]');
    process.exit(2);
  }
  console.log(await compare(name, ref, rest));
}
