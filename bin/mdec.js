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

// A long-running command is started again, in this same process (same pid, signals and streams),
// under the product's V8 flags, unless they were given already (bin/node-flags.js).
const { PRODUCT_NODE_FLAGS, LONG_RUNNING_COMMANDS } = await import('./node-flags.js');
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
if (
  typeof process.execve === 'function' &&
  process.argv.slice(2).some((arg) => LONG_RUNNING_COMMANDS.has(arg)) &&
  !PRODUCT_NODE_FLAGS.every((flag) => given.some((g) => g.split('=')[0] === flag.split('=')[0]))
) {
  const script = fileURLToPath(import.meta.url);
  process.execve(
    process.execPath,
    [process.execPath, ...PRODUCT_NODE_FLAGS, ...process.execArgv, script, ...process.argv.slice(2)],
    process.env,
  );
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'main', 'cli.js');
if (!existsSync(entry)) {
  process.stderr.write('mdec: the project is not built yet; run `npm run build` first.\n');
  process.exit(1);
}
await import(entry);
