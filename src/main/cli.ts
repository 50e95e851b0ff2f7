import { Command, CommanderError } from 'commander';
import type { GlobalFlags } from '../cli/cli-context.js';
import { registerConnectorCommand } from '../cli/connector-command.js';
import { registerDemoCommand } from '../cli/demo-command.js';
import { registerExportCommand } from '../cli/export-command.js';
import { registerMappingCommand } from '../cli/mapping-command.js';
import { registerMigrateCommand } from '../cli/migrate-command.js';
import { registerScoringCommand } from '../cli/scoring-command.js';
import { registerSimulatorCommand } from '../cli/simulator-command.js';
import { registerSyncCommand } from '../cli/sync-command.js';
import { registerTestCredentialsCommand } from '../cli/test-credentials-command.js';
import { EXIT, UsageError } from '../cli/usage-error.js';

/** Composition root of the `mdec` command line (design.md 6). */
async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('mdec')
    .description('Microsoft Defender for Endpoint connector')
    .option('--db <location>', 'SQLite file or postgres:// URL (default: MDEC_DB or ./data/mdec.sqlite)')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();
  const globals = () => program.opts<GlobalFlags>();
  registerSimulatorCommand(program);
  registerDemoCommand(program, globals);
  registerConnectorCommand(program, globals);
  registerTestCredentialsCommand(program, globals);
  registerSyncCommand(program, globals);
  registerExportCommand(program, globals);
  registerMappingCommand(program, globals);
  registerScoringCommand(program, globals);
  registerMigrateCommand(program, globals);
  // Subcommands inherit the exit override, so their parse errors are usage errors too.
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other commander error is bad usage.
      process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
    }
    if (err instanceof UsageError) {
      process.stderr.write(`mdec: ${err.message}\n`);
      process.exit(EXIT.usage);
    }
    process.stderr.write(`mdec: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT.failure);
  }
}

await main(process.argv);
