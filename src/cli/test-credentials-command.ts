import type { Command } from 'commander';
import { formatRetryNotice } from '../mde/http/retry-notice.js';
import { ConnectorRepository } from '../store/connectors/connector-repository.js';
import { type CredentialCheck, TEST_CREDENTIALS_RETRIES, testCredentials } from '../sync/test-credentials.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { printJson } from './output.js';
import { EXIT, UsageError } from './usage-error.js';

/** `mdec test-credentials --connector NAME`: sign-in, permissions and endpoints, each with its fix. */
export function registerTestCredentialsCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('test-credentials')
    .description(
      `check sign-in, permissions and endpoints of a connector (each request is retried at most ${TEST_CREDENTIALS_RETRIES} times, every retry shown on stderr)`,
    )
    .requiredOption('--connector <name>', 'the connector')
    .option('--ca-file <path>', 'extra CA certificates (PEM) to trust, e.g. a TLS-inspecting proxy')
    .action(async (flags: { connector: string; caFile?: string }) => {
      const ctx = await openCliContext(globals(), 'existing');
      let checks: CredentialCheck[];
      try {
        const repo = new ConnectorRepository(ctx.store, ctx.secrets);
        const connector = await repo.byName(flags.connector);
        if (!connector) throw new UsageError(`--connector: no connector named "${flags.connector}"`);
        const caFile = flags.caFile ?? process.env.MDEC_CA_FILE;
        checks = await testCredentials(repo, connector, {
          ...(caFile ? { caFile } : {}),
          onRetry: (check, notice) => process.stderr.write(`  ${check}: ${formatRetryNotice(notice)}\n`),
        });
      } finally {
        await ctx.close();
      }
      if (ctx.json) printJson(checks);
      else {
        for (const c of checks) {
          process.stdout.write(
            `${c.ok ? '✓' : '✗'} ${c.check}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}\n`,
          );
        }
      }
      process.exitCode = checks.every((c) => c.ok) ? EXIT.ok : EXIT.failure;
    });
}
