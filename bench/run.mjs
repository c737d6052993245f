// Runs one benchmark scenario against the built code (dist/) and appends its table to BENCHMARKS.md with the
// date, the machine and the exact command. Usage: npm run bench -- <scenario> [options] [--no-append]
// (npm run bench -- --list). --no-append prints the section without writing BENCHMARKS.md (trial runs).
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
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
const { run } = await import(join(here, 'scenarios', `${name}.mjs`));
const dryRun = process.argv.includes('--no-append');
const result = await run({ root: join(here, '..'), args: process.argv.slice(3).filter((a) => a !== '--no-append') });

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
const section = [
  `## ${result.title}`,
  '',
  `- date: ${new Date().toISOString()}`,
  `- machine: ${machine}`,
  `- command: \`npm run bench -- ${process.argv.slice(2).join(' ')}\``,
  '',
  result.table,
  '',
  ...(result.notes ? [result.notes, ''] : []),
].join('\n');
console.log(section);
if (dryRun) process.exit(0);
const file = join(here, '..', 'BENCHMARKS.md');
if (!existsSync(file)) writeFileSync(file, '# Benchmarks\n\nEach section is appended by the command it names (`bench/run.mjs`); targets sit beside the figures.\n\n');
appendFileSync(file, `${section}\n`);
