import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { defaultReadThreads } from '../api/read-thread-count.js';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { DATA_TYPES, parseConnectorOptions } from '../normalize/connector-options.js';
import { RISK_LEVEL_ORDER } from '../normalize/host-risk.js';
import { hashPassword } from '../security/password-hash.js';
import { defaultSimulatorOptions } from '../simulator/simulator-options.js';
import { startSimulator } from '../simulator/start-simulator.js';
import { ConnectorRepository } from '../store/connectors/connector-repository.js';
import type { StoreSummary } from '../store/connectors/store-summary.js';
import { storeSummary } from '../store/connectors/store-summary.js';
import type { Store } from '../store/db/store.js';
import { UserRepository } from '../store/users/user-repository.js';
import { createMdeClient } from '../sync/mde-client-factory.js';
import { runSync } from '../sync/run-sync.js';
import {
  type CliContext,
  DEFAULT_DB,
  databaseLocation,
  type GlobalFlags,
  openCliContext,
} from './cli-context.js';
import { openCliJobQueue } from './cli-job-queue.js';
import { printJson } from './output.js';
import { inProcessWorker } from './serve-command.js';
import { printSyncSummary } from './sync-command.js';
import { terminalProgress } from './terminal-progress.js';
import { EXIT, UsageError } from './usage-error.js';

const SEVERITY = ['', 'informational', 'low', 'medium', 'high', 'critical'];

/**
 * `mdec demo`: a simulated tenant, a connector pointing at it, a first full sync into the embedded
 * SQLite, a summary of what landed, then the REST API on loopback until Ctrl-C, with a one-time admin
 * password (`--no-serve`: exit after the summary). The README's run command.
 */
export function registerDemoCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('demo')
    .description(
      'start a simulated tenant, sync it into the local database, show what landed, then serve the API until Ctrl-C',
    )
    .option('--devices <n>', 'devices in the simulated tenant', '1000')
    .option('--seed <n>', 'seed of the simulated tenant', '1')
    .option(
      '--keep-running',
      'keep the simulator running afterwards, for more `mdec sync --connector demo` runs',
    )
    .option('--no-serve', 'exit after the summary instead of serving the API')
    .option('--port <n>', 'port of the API (0, the default, picks a free one)', '0')
    .action(
      async (flags: {
        devices: string;
        seed: string;
        keepRunning?: boolean;
        serve: boolean;
        port: string;
      }) => {
        if (!/^\d+$/.test(flags.port) || Number(flags.port) > 65535)
          throw new UsageError(`--port must be 0 to 65535 (got "${flags.port}")`);
        if (!/^\d+$/.test(flags.devices) || Number(flags.devices) < 1 || Number(flags.devices) > 200_000) {
          throw new UsageError(`--devices must be a whole number from 1 to 200000 (got "${flags.devices}")`);
        }
        if (!/^\d+$/.test(flags.seed))
          throw new UsageError(`--seed must be a whole number (got "${flags.seed}")`);
        const json = globals().json ?? false;
        const say = (text: string) => {
          if (!json) process.stderr.write(text);
        };
        const sim = await startSimulator({
          ...defaultSimulatorOptions(),
          devices: Number(flags.devices),
          seed: Number(flags.seed),
          followRealTime: true,
        });
        say(`Simulated tenant of ${flags.devices} devices at ${sim.info.apiUrl}\n`);
        const ctx = await openCliContext(globals(), 'create');
        try {
          const repo = new ConnectorRepository(ctx.store, ctx.secrets);
          const settings = {
            network: 'demo',
            tenantId: sim.info.tenantId,
            clientId: sim.info.clientId,
            cloud: 'custom' as const,
            apiUrl: sim.info.apiUrl,
            loginUrl: sim.info.loginUrl,
            scope: 'https://api.securitycenter.microsoft.com/.default',
            active: true,
            schedule: null,
            options: parseConnectorOptions({
              // The demo shows everything the product collects: every data type.
              dataTypes: [...DATA_TYPES],
              staleDays: 30,
            }),
            credentials: { clientSecret: sim.info.clientSecret },
          };
          const existing = await repo.byName('demo');
          const connector = existing
            ? await repo.update(existing.id, settings)
            : await repo.create({ name: 'demo', ...settings });
          say(`Connector "demo" in ${ctx.store.location}; syncing...\n`);
          const limiter = new ClientRateLimiter();
          const progress = json ? undefined : terminalProgress();
          const result = await runSync(
            {
              store: ctx.store,
              secrets: ctx.secrets,
              // Retries are shown as they happen, as in `mdec sync`.
              createClient: (c, creds, signal) =>
                createMdeClient(
                  c,
                  creds,
                  { limiter, ...(progress ? { onRetry: (notice) => progress.retry?.(notice) } : {}) },
                  signal,
                ),
              ...(progress ? { progress } : {}),
            },
            { connector: 'demo', mode: 'full' },
          );
          const summary = await storeSummary(ctx.store, connector.id);
          if (flags.serve) {
            if (!json) {
              printSyncSummary(result);
              process.stdout.write(formatWhatLanded(summary));
            }
            await serveDemo(ctx, globals(), Number(flags.port), json);
            return;
          }
          if (json) printJson({ simulator: { ...sim.info, clientSecret: undefined }, run: result, summary });
          else {
            printSyncSummary(result);
            process.stdout.write(formatWhatLanded(summary));
            process.stdout.write(formatNextSteps(demoDbFlag(globals(), ctx.store.location), summary));
          }
          process.exitCode =
            result.state === 'succeeded' ? EXIT.ok : result.state === 'partial' ? EXIT.partial : EXIT.failure;
        } finally {
          await ctx.close();
          if (flags.keepRunning) {
            say(`The simulator keeps running at ${sim.info.apiUrl}; stop it with Ctrl-C.\n`);
            await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
          }
          await sim.close();
        }
      },
    );
}

/** The demo's API user: an admin whose password is new at every start and shown once. */
const DEMO_USER = 'admin';

/** Sets a fresh random password on the demo admin (creating it), and answers it. */
async function oneTimeAdminPassword(store: Store): Promise<string> {
  const password = randomBytes(18).toString('base64url');
  const users = new UserRepository(store);
  const hash = await hashPassword(password);
  const existing = await users.byName(DEMO_USER);
  if (existing) {
    await users.setRole(existing.id, 'admin');
    await users.setPasswordHash(existing.id, hash);
  } else await users.create(DEMO_USER, 'admin', hash);
  return password;
}

/**
 * Serves the API over the demo's store on loopback, with the in-process worker, until Ctrl-C or
 * SIGTERM. With `--json` one line `{"url","username","password"}` on stdout, else the same in words.
 */
async function serveDemo(ctx: CliContext, flags: GlobalFlags, port: number, json: boolean): Promise<void> {
  const { serveApi } = await import('../api/serve.js');
  const password = await oneTimeAdminPassword(ctx.store);
  const queue = await openCliJobQueue(ctx, flags);
  const worker = await inProcessWorker(ctx, queue, undefined);
  const server = await serveApi({
    store: ctx.store,
    secrets: ctx.secrets,
    host: '127.0.0.1',
    port,
    queue,
    worker,
    readThreads: { threads: defaultReadThreads(), location: ctx.storeOpenedAt },
    warn: (message) => process.stderr.write(`warning: ${message}\n`),
    logger: false,
  }).catch(async (err: unknown) => {
    await worker.stop();
    await queue.close().catch(() => {});
    throw err;
  });
  if (json) process.stdout.write(`${JSON.stringify({ url: server.url, username: DEMO_USER, password })}\n`);
  else
    process.stdout.write(
      `\nThe API listens on ${server.url} (docs/api.md); sign in as "${DEMO_USER}" with the password ${password}\n(shown once; a new one at every start). Ctrl-C stops it.\n`,
    );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  try {
    await server.close();
  } finally {
    await queue.close().catch(() => {});
  }
}

const count = (n: number) => n.toLocaleString('en-US');
const share = (n: number, of: number) => (of === 0 ? '0%' : `${((100 * n) / of).toFixed(1)}%`);

/** "What landed": the counts of {@link storeSummary}, which are those of the connector's exports. */
export function formatWhatLanded(summary: StoreSummary): string {
  const lines = ['', 'What landed:'];
  lines.push(
    `  hosts: ${
      Object.entries(summary.hosts)
        .sort(([, a], [, b]) => b - a)
        .map(([k, v]) => `${count(v)} ${k}`)
        .join(', ') || 'none'
    }`,
  );
  const rated = RISK_LEVEL_ORDER.reduce((n, level) => n + (summary.hostsByRiskLevel[level] ?? 0), 0);
  const unrated = Object.entries(summary.hostsByRiskLevel)
    .filter(([k]) => !RISK_LEVEL_ORDER.includes(k as never))
    .reduce((n, [, v]) => n + v, 0);
  lines.push(`  host risk (docs/host-risk.md), ${count(rated)} hosts rated:`);
  const width = Math.max(...RISK_LEVEL_ORDER.map((l) => count(summary.hostsByRiskLevel[l] ?? 0).length));
  for (const level of RISK_LEVEL_ORDER) {
    const n = summary.hostsByRiskLevel[level] ?? 0;
    const bar = '#'.repeat(rated === 0 ? 0 : Math.round((40 * n) / rated));
    lines.push(`    ${level.padEnd(8)} ${count(n).padStart(width)}  ${share(n, rated).padStart(6)}  ${bar}`);
  }
  if (unrated > 0) lines.push(`    (${count(unrated)} merged hosts carry no risk: their survivor does)`);
  lines.push(`  OS profiles: ${count(summary.profiles)}`);
  const open = Object.entries(summary.openFindingsBySeverity)
    .sort(([a], [b]) => Number(b) - Number(a))
    .map(([s, n]) => `${count(n)} ${SEVERITY[Number(s)] ?? s}`);
  lines.push(`  open findings: ${open.join(', ') || 'none'}; fixed: ${count(summary.fixedFindings)}`);
  lines.push(
    `  most widespread CVEs: ${summary.topCves.map((c) => `${c.cveId} (${count(c.hosts)} hosts)`).join(', ') || 'none'}`,
  );
  lines.push(
    `  CVE definitions: ${count(summary.vulnerabilityDefinitions)}; installed software: ${count(summary.installedSoftware)}; recommendations: ${count(summary.recommendations)}`,
  );
  lines.push(
    `  alerts: ${
      Object.entries(summary.alertsBySeverity)
        .map(([k, v]) => `${count(v)} ${k}`)
        .join(', ') || 'none'
    }`,
  );
  return `${lines.join('\n')}\n`;
}

/** A word as a POSIX shell reads it back: bare when safe, else single-quoted. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The `--db` the suggested commands need: none for the default database, else the database the demo
 * wrote (`location` is the store's, without any password).
 */
export function demoDbFlag(
  flags: GlobalFlags,
  location: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (databaseLocation(flags, env) === databaseLocation({ db: DEFAULT_DB }, {})) return '';
  return ` --db ${shellWord(location)}`;
}

/** What to run next: exports into files (tens of thousands of rows are no terminal reading). */
export function formatNextSteps(dbFlag: string, summary: StoreSummary): string {
  const findings = Object.values(summary.openFindingsBySeverity).reduce((a, b) => a + b, 0);
  const mdec = `npx mdec${dbFlag}`;
  const lines = [
    '',
    'Next, into files:',
    `  ${mdec} export hosts --connector demo --format csv --out hosts.csv`,
    `  ${mdec} export findings --connector demo --format csv --out findings.csv   (${count(findings)} open findings)`,
    `  ${mdec} export hosts --connector demo --query 'risk:Critical' --format csv --out critical-hosts.csv`,
    'or a first look on the terminal:',
    `  ${mdec} export findings --connector demo --format csv | head -20`,
  ];
  if (dbFlag.includes('***')) lines.push('(put the database password back in place of ***)');
  return `${lines.join('\n')}\n`;
}
