import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT, runMdec, spawnMdec } from '../helpers/cli-runner.js';

/** Debian's Chromium (.ci/run installs it); never a browser download. */
export const CHROMIUM = process.env.MDEC_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_AVAILABLE = existsSync(CHROMIUM);

/** Screenshots of every page the browser tests visit (git-ignored). */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');

const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

/** Builds the console into dist/web, so the tests see the sources as they are now. */
export function buildConsole(): void {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
      '--logLevel',
      'error',
    ],
    {
      cwd: ROOT,
      stdio: 'inherit',
      // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
}

export interface ServedConsole {
  url: string;
  db: string;
  close(): Promise<void>;
}

/** `mdec serve --port 0 --json` over a fresh SQLite store with the given users (one password for all). */
export async function serveConsole(
  users: Array<{ name: string; role: 'admin' | 'analyst' | 'viewer' }>,
  password: string,
): Promise<ServedConsole> {
  const dir = mkdtempSync(join(tmpdir(), 'mdec-web-'));
  const db = join(dir, 'mdec.sqlite');
  const env = { MDEC_MASTER_KEY: Buffer.alloc(32, 5).toString('base64'), USER_PASSWORD: password };
  for (const u of users) {
    const add = await runMdec(
      ['--db', db, 'user', 'add', '--name', u.name, '--role', u.role, '--password-env', 'USER_PASSWORD'],
      { env },
    );
    if (add.code !== 0) throw new Error(`user add ${u.name}: ${add.stderr}`);
  }
  const server: ChildProcess = spawnMdec(['--db', db, '--json', 'serve', '--port', '0'], { env });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`mdec serve exited with ${code}`)));
  });
  return {
    url: (JSON.parse(first) as { url: string }).url,
    db,
    async close() {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A page that fails the test on any script error or browser dialog (an `alert` would mean tenant
 * data ran as script), with downloads allowed.
 */
export async function openPage(
  browser: Browser,
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`browser dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) problems.push(msg.text());
  });
  return { context, page, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** axe-core's serious and critical violations on the page as it is now, one line each. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // evaluate runs outside the page's content security policy, which (rightly) refuses inline scripts.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(): Promise<{ violations: Array<Record<string, unknown>> }> } }
    ).axe;
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => {
        const nodes = (v.nodes as Array<{ target: unknown[] }>)
          .slice(0, 3)
          .map((n) => JSON.stringify(n.target));
        return `${String(v.id)} (${String(v.impact)}): ${String(v.help)} at ${nodes.join(', ')}`;
      });
  });
  return violations;
}
