import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const depcruise = join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
const config = join(repo, '.dependency-cruiser.cjs');

/** A small source tree: each file is a module of a part, importing what its name says. */
const TREE: Record<string, string> = {
  'src/mde/plain.ts': 'export const mde = 1;\n',
  'src/mde/uses-store.ts': "export { store } from '../store/plain.js';\n",
  'src/normalize/uses-store.ts': "export { store } from '../store/plain.js';\n",
  'src/normalize/uses-cli.ts': "export { command } from '../cli/some-command.js';\n",
  'src/store/plain.ts': 'export const store = 1;\n',
  'src/store/uses-sync.ts': "export { sync } from '../sync/plain.js';\n",
  'src/store/uses-main.ts': "export { main } from '../main/cli.js';\n",
  'src/store/uses-simulator.test.ts': "export { simulator } from '../simulator/start.js';\n",
  'src/sync/plain.ts': 'export const sync = 1;\n',
  'src/export/a.ts': "import type { B } from './b.js';\nexport interface A {\n  b?: B;\n}\n",
  'src/export/b.ts': "import type { A } from './a.js';\nexport interface B {\n  a?: A;\n}\n",
  'src/cli/some-command.ts':
    "export { simulator } from '../simulator/start.js';\nexport const command = 1;\n",
  'src/cli/demo-command.ts': "export { simulator } from '../simulator/start.js';\n",
  'src/cli/simulator-command.ts': "export { simulator } from '../simulator/start.js';\n",
  'src/main/cli.ts': "export { command } from '../cli/some-command.js';\nexport const main = 1;\n",
  'src/simulator/start.ts': "export { mde } from '../mde/plain.js';\nexport const simulator = 1;\n",
};

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the project's rules (the lint's own config file) over a tree: the violations, and the exit status. */
function cruise(tree: Record<string, string>): { status: number | null; violations: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'mdec-layering-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }),
  );
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const depcruiseIn = (...args: string[]) =>
    spawnSync(process.execPath, [depcruise, 'src', '--config', config, ...args], {
      cwd: dir,
      encoding: 'utf8',
    });
  const result = JSON.parse(depcruiseIn('--output-type', 'json').stdout) as {
    summary: { violations: Violation[] };
  };
  const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  // The lint's own invocation (the default reporter) is what must fail the command.
  return { status: depcruiseIn().status, violations: violations.sort() };
}

describe('the layering rules of npm run lint', () => {
  it('fail each forbidden import and let the allowed ones through', () => {
    const { status, violations } = cruise(TREE);
    expect(violations).toEqual(
      [
        'client-knows-no-store: src/mde/uses-store.ts -> src/store/plain.ts',
        'no-cycle: src/export/a.ts -> src/export/b.ts', // a cycle through type-only imports
        'normalizer-does-no-io: src/normalize/uses-store.ts -> src/store/plain.ts',
        'nothing-below-sync-imports-it: src/store/uses-sync.ts -> src/sync/plain.ts',
        'nothing-imports-main: src/store/uses-main.ts -> src/main/cli.ts',
        'only-main-imports-cli: src/normalize/uses-cli.ts -> src/cli/some-command.ts',
        'production-never-imports-simulator: src/cli/some-command.ts -> src/simulator/start.ts',
      ].sort(),
    );
    expect(status).not.toBe(0);
  });

  it('pass a tree that keeps them', () => {
    const allowed = Object.fromEntries(
      Object.entries(TREE).filter(
        ([path]) => !/uses-(store|sync|main|cli)\.ts$|export\/|some-command/.test(path),
      ),
    );
    const { status, violations } = cruise(allowed);
    expect(violations).toEqual([]);
    expect(status).toBe(0);
  });
});
