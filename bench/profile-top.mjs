// Top self-time functions of one or more .cpuprofile files (node --cpu-prof), merged.
// Usage: node bench/profile-top.mjs <file-or-dir>... [--top N] [--by-package]
// --by-package: self time summed per npm package, per lib/app of ours, per node: module and per native group.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = process.argv.slice(2);
const ti = args.indexOf('--top');
const top = ti >= 0 ? Number(args.splice(ti, 2)[1]) : 25;
const bi = args.indexOf('--by-package');
const byPackage = bi >= 0 && args.splice(bi, 1).length > 0;
const files = args.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(p, f)) : [p]));
const self = new Map();
let total = 0;
for (const f of files) {
  const prof = JSON.parse(readFileSync(f, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  // timeDeltas[i] is the time before sample i: charge it to that sample's node (self time).
  prof.samples.forEach((id, i) => {
    const n = byId.get(id);
    const cf = n.callFrame;
    const url = cf.url.replace(/^file:\/\//, '');
    const where = url ? `${url.includes('node_modules') ? url.slice(url.lastIndexOf('node_modules/') + 13) : url.includes('/dist/') ? url.slice(url.indexOf('/dist/') + 1) : url}:${cf.lineNumber + 1}` : '';
    const key = byPackage ? packageOf(url, cf.functionName) : `${cf.functionName || '(anonymous)'} ${where}`.trim();
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
}
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`| self % | self ms | function |\n|---|---|---|`);
for (const [k, us] of rows) console.log(`| ${((100 * us) / total).toFixed(1)} | ${(us / 1000).toFixed(0)} | \`${k}\` |`);
console.log(`\n${files.length} profile(s), ${(total / 1e6).toFixed(1)} s sampled`);

function packageOf(url, name) {
  if (!url) return name.startsWith('(') ? name : `native: ${name || '(anonymous)'}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 13).split('/');
    return `npm: ${parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const dist = url.match(/\/dist\/(libs|apps)\/([^/]+)/);
  if (dist) return `gridauthz: ${dist[1]}/${dist[2]}`;
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/').slice(0, 2).join('/')}`;
  return url;
}
