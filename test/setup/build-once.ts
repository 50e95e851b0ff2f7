import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup: compiles `src/` into `dist/` (and removes compiled files whose source is gone)
 * before any test runs, so the CLI tests, which run `bin/mdec.js` over `dist/` as a user does, test
 * the code as it is now and not an older build.
 */
export default function buildOnce(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, ['scripts/compile.mjs'], { cwd: root, stdio: 'inherit' });
}
