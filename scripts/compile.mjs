// Compiles src/ into dist/ and removes from dist/ every compiled file whose source is gone, so a
// moved or deleted module can never be imported from an old build. dist/web (the console, built by
// Vite) is left alone. Used by `npm run build`, `npm ci` (prepare) and the test suite's global setup.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = join(root, 'dist');
const src = join(root, 'src');

function compiledFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join(dist, 'web') ? [] : compiledFiles(path);
    return /\.js(\.map)?$/.test(entry.name) ? [path] : [];
  });
}

let removed = 0;
for (const file of compiledFiles(dist)) {
  const stem = relative(dist, file).replace(/\.js(\.map)?$/, '');
  if (!existsSync(join(src, `${stem}.ts`)) && !existsSync(join(src, `${stem}.tsx`))) {
    rmSync(file);
    removed += 1;
  }
}
if (removed > 0) console.log(`removed ${removed} compiled file(s) whose source is gone`);

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
