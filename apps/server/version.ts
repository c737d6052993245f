import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readVersion(): string {
  for (const up of ['../..', '../../..']) {
    try {
      return (JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // source (apps/server) and build (dist/apps/server) sit at different depths
    }
  }
  return 'unknown';
}

export const SERVICE_VERSION = readVersion();
