import type { Command } from 'commander';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { defaultSimulatorOptions } from '../simulator/simulator-options.js';
import { startSimulator } from '../simulator/start-simulator.js';
import { ConnectorRepository } from '../store/connector-repository.js';
import { storeSummary } from '../store/store-summary.js';
import { parseConnectorOptions } from '../sync/connector-options.js';
import { createMdeClient } from '../sync/mde-client-factory.js';
import { runSync } from '../sync/run-sync.js';
import { databaseLocation, type GlobalFlags, openCliContext } from './cli-context.js';
import { printJson } from './output.js';
import { printSyncSummary } from './sync-command.js';
import { terminalProgress } from './terminal-progress.js';
import { EXIT, UsageError } from './usage-error.js';

const SEVERITY = ['', 'informational', 'low', 'medium', 'high', 'critical'];

/**
 * `mdec demo`: a simulated tenant, a connector pointing at it, a first full sync into the embedded
 * SQLite, and a summary of what landed (design.md 6). The README's run command.
 */
export function registerDemoCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('demo')
    .description('start a simulated tenant, sync it into the local database and show what landed')
    .option('--devices <n>', 'devices in the simulated tenant', '1000')
    .option('--seed <n>', 'seed of the simulated tenant', '1')
    .option(
      '--keep-running',
      'keep the simulator running afterwards, for more `mdec sync --connector demo` runs',
    )
    .action(async (flags: { devices: string; seed: string; keepRunning?: boolean }) => {
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
            dataTypes: [
              'machines',
              'vulnerabilities',
              'vulnerability-definitions',
              'software',
              'installed-software',
              'recommendations',
              'alerts',
            ],
            staleDays: 30,
          }),
          credentials: { clientSecret: sim.info.clientSecret },
        };
        const existing = await repo.byName('demo');
        const connector = existing
          ? await repo.update(existing.id, settings)
          : await repo.create({ name: 'demo', ...settings });
        say(`Connector "demo" in ${databaseLocation(globals())}; syncing...\n`);
        const limiter = new ClientRateLimiter();
        const result = await runSync(
          {
            store: ctx.store,
            secrets: ctx.secrets,
            createClient: (c, creds, signal) => createMdeClient(c, creds, { limiter }, signal),
            ...(json ? {} : { progress: terminalProgress() }),
          },
          { connector: 'demo', mode: 'full' },
        );
        const summary = await storeSummary(ctx.store, connector.id);
        if (json) printJson({ simulator: { ...sim.info, clientSecret: undefined }, run: result, summary });
        else {
          printSyncSummary(result);
          process.stdout.write('\nWhat landed:\n');
          process.stdout.write(
            `  hosts: ${Object.entries(summary.hosts)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ')}\n`,
          );
          const levels = ['Critical', 'High', 'Medium', 'Low', 'None', 'unknown'];
          process.stdout.write(
            `  host risk: ${Object.entries(summary.hostsByRiskLevel)
              .sort(([a], [b]) => levels.indexOf(a) - levels.indexOf(b))
              .map(([k, v]) => `${v} ${k}`)
              .join(', ')}; OS profiles: ${summary.profiles}\n`,
          );
          const open = Object.entries(summary.openFindingsBySeverity)
            .sort(([a], [b]) => Number(b) - Number(a))
            .map(([s, n]) => `${n} ${SEVERITY[Number(s)] ?? s}`);
          process.stdout.write(
            `  open findings: ${open.join(', ') || 'none'}; fixed: ${summary.fixedFindings}\n`,
          );
          process.stdout.write(
            `  most widespread CVEs: ${summary.topCves.map((c) => `${c.cveId} (${c.hosts} hosts)`).join(', ') || 'none'}\n`,
          );
          process.stdout.write(
            `  CVE definitions: ${summary.vulnerabilityDefinitions}; installed software: ${summary.installedSoftware}; recommendations: ${summary.recommendations}\n`,
          );
          process.stdout.write(
            `  alerts: ${
              Object.entries(summary.alertsBySeverity)
                .map(([k, v]) => `${v} ${k}`)
                .join(', ') || 'none'
            }\n`,
          );
          process.stdout.write(
            '\nNext: `npx mdec export findings --format csv --connector demo` or `npx mdec export hosts`.\n',
          );
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
    });
}
