'use strict';
// Lets a child process `require` the repository's TypeScript directly (node -r this file): SWC compiles each .ts to
// CommonJS on load and @gridauthz/<lib> resolves to libs/<lib>/index.ts, as in vitest. Test helper only.
const Module = require('node:module');
const { join, resolve } = require('node:path');
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

const root = resolve(__dirname, '..', '..', '..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const alias = /^@gridauthz\/([^/]+)$/.exec(request);
  const target = alias ? join(root, 'libs', alias[1], 'index.ts') : request;
  try {
    return resolveFilename.call(this, target, parent, ...rest);
  } catch (err) {
    // Extensionless relative imports of .ts files.
    if (!alias && (request.startsWith('.') || request.startsWith('/'))) return resolveFilename.call(this, `${request}.ts`, parent, ...rest);
    throw err;
  }
};
Module._extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true } },
  });
  module._compile(code, filename);
};
