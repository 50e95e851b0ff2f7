/**
 * `npm run bench:web [-- --devices N --runs R --db PATH --keep]`: the console's hosts page over a large
 * store (docs/benchmarks.md#web-console). A simulated tenant of N devices (100,000 by default, about 30
 * findings each) is synced into a fresh SQLite store (or `--db` names one built before), `mdec serve`
 * serves it and the console in a process of its own, and Debian's Chromium (playwright-core) signs in
 * and measures, R times each (5):
 *
 * - first paint after navigation: a fresh load of `/hosts` until the first page of hosts is on screen
 *   (milliseconds from the navigation's start, by the page's own clock), and the browser's first
 *   contentful paint;
 * - the move from Integrations to Hosts through the menu, until the hosts are on screen;
 * - paging: "Next page" until the next 50 hosts are on screen.
 *
 * Prints one JSON line: the median and worst of each, against the targets (first paint under 1 s,
 * paging under 300 ms), and the load average while it ran. A benchmark, not a test: nothing fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Page } from 'playwright-core';
import { defaultSimulatorOptions } from '../src/simulator/simulator-options.js';
import { startSimulator } from '../src/simulator/start-simulator.js';
import { runMdec, syncSimulatedTenant } from './simulated-store.js';

const ROOT = new URL('../', import.meta.url).pathname;
const MASTER_KEY = '07'.repeat(32);
const PASSWORD = 'a bench password long enough';
const CHROMIUM = process.env.MDEC_CHROMIUM ?? '/usr/bin/chromium';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const DEVICES = Number(flag('devices', '100000'));
// Each run turns four pages of 50 hosts.
if (!(DEVICES >= 250)) throw new Error('--devices must be at least 250 (four page turns of 50 hosts)');
const RUNS = Number(flag('runs', '5'));
const GIVEN_DB = flag('db', '');
const KEEP = process.argv.includes('--keep');
const say = (text: string) => process.stderr.write(`${text}\n`);
const env = { ...process.env, MDEC_MASTER_KEY: MASTER_KEY, BENCH_SECRET: '', BENCH_PASSWORD: PASSWORD };

/** A store of a simulated tenant of `devices` devices, synced in full, with an admin `bench`. */
async function buildStore(db: string, devices: number): Promise<number> {
  const sim = await startSimulator({ ...defaultSimulatorOptions(), devices, seed: 1, followRealTime: true });
  try {
    const t0 = Date.now();
    await syncSimulatedTenant(db, sim, env);
    await runMdec(
      db,
      ['user', 'add', '--name', 'bench', '--role', 'admin', '--password-env', 'BENCH_PASSWORD'],
      env,
    );
    return (Date.now() - t0) / 1000;
  } finally {
    await sim.close();
  }
}

/** Milliseconds on the page's clock (since its navigation began) when the hosts range reads `from–`. */
function hostsShown(page: Page, from: number): Promise<number> {
  return page
    .waitForFunction(
      (first) => {
        // The page's DOM, typed here without the DOM library (the bench is compiled for Node).
        const doc = (
          globalThis as unknown as {
            document: { querySelector(selector: string): { textContent: string | null } | null };
          }
        ).document;
        const status = doc.querySelector('.list-status')?.textContent ?? '';
        return status.startsWith(`${first}–`) && doc.querySelector('tbody tr') ? performance.now() : false;
      },
      from,
      { timeout: 60_000, polling: 'raf' },
    )
    .then((handle) => handle.jsonValue() as Promise<number>);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const worst = (xs: number[]) => Math.max(...xs);
const figure = (xs: number[]) => ({ medianMs: Math.round(median(xs)), worstMs: Math.round(worst(xs)) });

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/web/index.html')))
    throw new Error('build the console first: npm run build');
  const dir = mkdtempSync(join(tmpdir(), 'mdec-bench-web-'));
  const db = GIVEN_DB || join(dir, 'mdec.sqlite');
  let server: ChildProcess | undefined;
  const loads: number[] = [];
  try {
    let buildSeconds: number | undefined;
    if (!GIVEN_DB) {
      say(`syncing a simulated tenant of ${DEVICES.toLocaleString()} devices into ${db} …`);
      buildSeconds = await buildStore(db, DEVICES);
      say(`store built in ${Math.round(buildSeconds)} s`);
    }
    server = spawn(
      process.execPath,
      [`${ROOT}bin/mdec.js`, '--db', db, '--json', 'serve', '--port', '0', '--no-worker'],
      {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server!.stdout! }).once('line', resolve);
      server!.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const url = (JSON.parse(first) as { url: string }).url;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      const page = await context.newPage();
      // Signed in on the hosts page: the dashboard's first read of the figures (one pass over millions of
      // findings) would hold a SQLite server while the hosts are measured.
      await page.goto(`${url}/hosts`);
      await page.getByLabel('User name').fill('bench');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();

      const firstPaint: number[] = [];
      const contentfulPaint: number[] = [];
      const fromMenu: number[] = [];
      const paging: number[] = [];
      // One warm-up load: the browser's cache then holds the assets, as for someone who signed in.
      await page.goto(`${url}/hosts`);
      await hostsShown(page, 1);
      const status = (await page.locator('.list-status').textContent()) ?? '';
      for (let i = 0; i < RUNS; i++) {
        loads.push(loadavg()[0]!);
        await page.goto(`${url}/hosts`, { waitUntil: 'commit' });
        firstPaint.push(await hostsShown(page, 1));
        contentfulPaint.push(
          await page.evaluate(
            () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
          ),
        );

        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: 'Integrations' })
          .click();
        await page.getByRole('heading', { name: 'Microsoft Defender for Endpoint' }).waitFor();
        const clicked = await page.evaluate(() => performance.now());
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: 'Hosts', exact: true })
          .click();
        fromMenu.push((await hostsShown(page, 1)) - clicked);

        for (let p = 1; p <= 4; p++) {
          const before = await page.evaluate(() => performance.now());
          await page.getByRole('button', { name: 'Next page' }).click();
          paging.push((await hostsShown(page, p * 50 + 1)) - before);
        }
      }
      await context.close();
      process.stdout.write(
        `${JSON.stringify({
          devices: GIVEN_DB ? undefined : DEVICES,
          hostsPageSays: status.trim(),
          storeBuildSeconds: buildSeconds === undefined ? undefined : Math.round(buildSeconds),
          runs: RUNS,
          hostsFirstPaint: { ...figure(firstPaint), targetMs: 1000 },
          firstContentfulPaint: figure(contentfulPaint),
          hostsFromMenu: figure(fromMenu),
          nextPage: { ...figure(paging), samples: paging.length, targetMs: 300 },
          loadAverage1m: { min: Math.min(...loads), max: Math.max(...loads) },
          cores: (await import('node:os')).cpus().length,
        })}\n`,
      );
    } finally {
      await browser.close();
    }
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (KEEP || GIVEN_DB) say(`store kept: ${db}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
