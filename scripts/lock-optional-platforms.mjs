// The npm registry this project installs from does not serve every platform's prebuilt binary (e.g. the macOS
// and Windows builds of @swc/core answer 404), so `npm install` leaves those optional packages out of
// package-lock.json and `npm ci` then refuses the lock as out of sync. This adds the missing entries, with
// os/cpu read from the package name, so that npm ci skips them on Linux as it would with a complete lock.
// Run it after any `npm install` that changes the lock: `node scripts/lock-optional-platforms.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const lockPath = join(import.meta.dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;
const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openbsd', 'netbsd', 'sunos', 'aix'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'];
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `${path === '' ? '' : `${path}/`}node_modules/${name}`.replace(/^\//, '');
    const hoisted = `node_modules/${name}`;
    if (packages[key] || packages[hoisted]) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((p) => OS.includes(p));
    const cpu = parts.find((p) => CPU.includes(p));
    if (!os || !cpu || !/^\d+\.\d+\.\d+/.test(range)) continue; // not a platform binary: leave it for npm to resolve
    packages[hoisted] = { version: range, cpu: [cpu], ...(entry.dev ? { dev: true } : {}), optional: true, os: [os] };
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform-specific optional entries`);
