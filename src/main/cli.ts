import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerActionCommand } from '../cli/action-command.js';
import { registerAuditCommand } from '../cli/audit-command.js';
import type { GlobalFlags } from '../cli/cli-context.js';
import { registerConnectorCommand } from '../cli/connector-command.js';
import { registerDemoCommand } from '../cli/demo-command.js';
import { registerExportCommand } from '../cli/export-command.js';
import { registerMappingCommand } from '../cli/mapping-command.js';
import { registerMigrateCommand } from '../cli/migrate-command.js';
import { registerRunsCommand } from '../cli/runs-command.js';
import { registerScoringCommand } from '../cli/scoring-command.js';
import { registerServeCommand } from '../cli/serve-command.js';
import { registerSimulatorCommand } from '../cli/simulator-command.js';
import { registerSyncCommand } from '../cli/sync-command.js';
import { registerTestCredentialsCommand } from '../cli/test-credentials-command.js';
import { registerTokenCommand } from '../cli/token-command.js';
import { type ErrorCode, EXIT, UsageError } from '../cli/usage-error.js';
import { registerUserCommand } from '../cli/user-command.js';
import { registerWorkerCommand } from '../cli/worker-command.js';

/** The package's version: the one `mdec --version` prints. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** `--json` among the arguments, known before commander parses them so that its errors are JSON too. */
function wantsJson(argv: string[]): boolean {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

/** An error for people (`mdec: message`), or with `--json` one line `{"error":{"code","message"}}`; both on stderr. */
function reportError(json: boolean, code: ErrorCode, message: string): void {
  process.stderr.write(json ? `${JSON.stringify({ error: { code, message } })}\n` : `mdec: ${message}\n`);
}

/** Composition root of the `mdec` command line (docs/operations.md). */
async function main(argv: string[]): Promise<void> {
  const json = wantsJson(argv);
  let interrupted = false;

  // A reader that stops early (`mdec export ... | head`) ends the command quietly; nothing was wrong.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit();
    reportError(json, 'failure', `cannot write to standard output: ${err.message}`);
    process.exit(EXIT.failure);
  });
  // Nowhere is left to report a failing stderr.
  process.stderr.on('error', () => {});

  // Ctrl-C: a command that listens for SIGINT itself (sync: it checkpoints and stops) ends on its own
  // and exits 130; any other stops at once with 130, its partial output files removed (writeOutput).
  // SIGTERM stops at once the same way (143). A second Ctrl-C always stops at once.
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ||= signal === 'SIGINT';
    if (process.listenerCount(signal) > 1) return;
    reportError(json, 'interrupted', `interrupted (${signal})`);
    process.exit(signal === 'SIGINT' ? EXIT.interrupted : 128 + 15);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const program = new Command()
    .name('mdec')
    .description('Microsoft Defender for Endpoint connector')
    .version(packageVersion(), '-V, --version', 'print the version of mdec')
    .option('--db <location>', 'SQLite file or postgres:// URL (default: MDEC_DB or ./data/mdec.sqlite)')
    .option('--json', 'machine-readable output; errors as {"error":{"code","message"}} on stderr')
    // Subcommands copy these settings when created: their help lists the global flags, their errors
    // are thrown to the handler below, and with --json commander prints nothing of its own.
    .configureHelp({ showGlobalOptions: true })
    .configureOutput(json ? { writeErr: () => {} } : {})
    .showHelpAfterError(!json)
    .exitOverride();
  const globals = () => program.opts<GlobalFlags>();
  registerSimulatorCommand(program);
  registerDemoCommand(program, globals);
  registerConnectorCommand(program, globals);
  registerTestCredentialsCommand(program, globals);
  registerSyncCommand(program, globals);
  registerRunsCommand(program, globals);
  registerWorkerCommand(program, globals);
  registerExportCommand(program, globals);
  registerMappingCommand(program, globals);
  registerScoringCommand(program, globals);
  registerActionCommand(program, globals);
  registerAuditCommand(program, globals);
  registerMigrateCommand(program, globals);
  registerServeCommand(program, globals);
  registerUserCommand(program, globals);
  registerTokenCommand(program, globals);
  try {
    await program.parseAsync(argv);
    if (interrupted) process.exitCode = EXIT.interrupted;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other commander error is bad usage.
      if (err.exitCode === 0) process.exit(EXIT.ok);
      if (json) {
        // Commander shows the help (not written with --json) when a command is missing.
        const message =
          err.code === 'commander.help'
            ? 'a command is needed; `mdec --help` lists them'
            : err.message.replace(/^error:\s*/, '');
        reportError(json, 'usage', message);
      }
      process.exit(EXIT.usage);
    }
    if (interrupted) {
      reportError(json, 'interrupted', 'interrupted (SIGINT)');
      process.exit(EXIT.interrupted);
    }
    if (err instanceof UsageError) {
      reportError(json, 'usage', err.message);
      process.exit(EXIT.usage);
    }
    reportError(json, 'failure', err instanceof Error ? err.message : String(err));
    process.exit(EXIT.failure);
  }
}

await main(process.argv);
