// Runs one benchmark scenario against the built code (dist/) and writes its table, with the date, the machine and
// the exact command, to bench/results/<date>-<scenario>.md (one file per run). BENCHMARKS.md holds only the
// current figures and the sizing advice; update its table by hand from the new result file when a figure moves.
// Usage: npm run bench -- <scenario> [options] [--no-append] (npm run bench -- --list).
// npm run bench -- <scenario> --compare <git-ref> [--pairs N]: A/B against the ref's build (bench/compare.mjs).
// --no-append prints the result without writing a file (trial runs).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const scenarios = readdirSync(join(here, 'scenarios')).filter((f) => f.endsWith('.mjs')).map((f) => f.replace(/\.mjs$/, ''));
const name = process.argv[2];
if (!name || name === '--list' || !scenarios.includes(name)) {
  console.log(`scenarios: ${scenarios.join(', ')}`);
  process.exit(name && name !== '--list' ? 2 : 0);
}
const dryRun = process.argv.includes('--no-append');
const compareAt = process.argv.indexOf('--compare');
if (compareAt >= 0) {
  // A/B against a git ref (bench/compare.mjs), one sitting: the result goes to bench/results/<date>-compare-<name>.md.
  const ref = process.argv[compareAt + 1];
  const { compare } = await import(join(here, 'compare.mjs'));
  const text = await compare(name, ref, process.argv.slice(3).filter((_, i) => i + 3 !== compareAt && i + 3 !== compareAt + 1));
  console.log(text);
  if (!dryRun) {
    const file = join(here, 'results', `${new Date().toISOString().replace(/:/g, '').replace(/\.\d+Z$/, 'Z')}-compare-${name}.md`);
    writeFileSync(file, text);
    console.log(`\nwritten to ${file}`);
  }
  process.exit(0);
}
const { run } = await import(join(here, 'scenarios', `${name}.mjs`));
const result = await run({ root: join(here, '..'), args: process.argv.slice(3).filter((a) => a !== '--no-append') });

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
const date = new Date().toISOString();
const text = [
  `# ${result.title}`,
  '',
  `- date: ${date}`,
  `- machine: ${machine}`,
  `- command: \`npm run bench -- ${process.argv.slice(2).join(' ')}\``,
  '',
  result.table,
  '',
  ...(result.notes ? [result.notes, ''] : []),
].join('\n');
console.log(text);
if (dryRun) process.exit(0);
const dir = join(here, 'results');
if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
const file = join(dir, `${date.replace(/:/g, '').replace(/\.\d+Z$/, 'Z')}-${name}.md`);
writeFileSync(file, text);
console.log(`\nwritten to ${file}; update the table in BENCHMARKS.md if a current figure changed`);
