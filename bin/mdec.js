#!/usr/bin/env node
// The `mdec` command. Runs the compiled CLI (built by `npm ci` through the `prepare` script).
// Written in plain JavaScript that any Node can parse, so an old Node gets a message, not a crash
// of the native SQLite module: better-sqlite3 13 needs Node 22.12 or newer (docs/operations.md).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `mdec: Node.js ${process.versions.node} is too old; mdec needs Node.js 22.12 or newer (24 LTS recommended).\n` +
      '      Get it with: npm i --prefix ~/.cache/node24 node@24 && export PATH=~/.cache/node24/node_modules/node/bin:$PATH\n',
  );
  process.exit(1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'main', 'cli.js');
if (!existsSync(entry)) {
  process.stderr.write('mdec: the project is not built yet; run `npm run build` first.\n');
  process.exit(1);
}
await import(entry);
