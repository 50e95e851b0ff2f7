import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli-runner.js';

/** Every `.ts` file under `dir` that the build compiles (tests are not built). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** A Node older than the one mdec needs, when this machine has one (CI machines ship Node 20). */
function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const major = Number(version.stdout.split('.')[0]);
    if (major > 0 && major < 22) return candidate;
  }
  return undefined;
}

describe('the runtime', () => {
  it('the tests run on Node 22.12 or newer, as mdec requires', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    expect(major > 22 || (major === 22 && minor >= 12), process.versions.node).toBe(true);
  });

  it('dist/ is built from the sources as they are now (the CLI tests run it)', () => {
    const src = join(ROOT, 'src');
    for (const file of sources(src)) {
      const built = join(ROOT, 'dist', file.slice(src.length + 1).replace(/\.ts$/, '.js'));
      expect(existsSync(built), built).toBe(true);
      expect(statSync(built).mtimeMs, built).toBeGreaterThanOrEqual(statSync(file).mtimeMs);
    }
  });

  it('dist/ holds no compiled file whose source is gone (a moved module cannot be imported from an old build)', () => {
    const dist = join(ROOT, 'dist');
    const compiled = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return path === join(dist, 'web') ? [] : compiled(path);
        return entry.name.endsWith('.js') ? [path] : [];
      });
    const orphans = compiled(dist).filter((file) => {
      const stem = join(ROOT, 'src', file.slice(dist.length + 1).replace(/\.js$/, ''));
      return !existsSync(`${stem}.ts`) && !existsSync(`${stem}.tsx`);
    });
    expect(orphans).toEqual([]);
  });

  it.skipIf(oldNode() === undefined)('under an older Node, mdec names the Node it needs and exits 1', () => {
    const run = spawnSync(oldNode()!, [join(ROOT, 'bin', 'mdec.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/needs Node\.js 22\.12 or newer/);
    expect(run.stderr).not.toMatch(/Assertion failed|Segmentation/);
  });
});
