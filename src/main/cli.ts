import { Command, CommanderError } from 'commander';
import { registerSimulatorCommand } from '../cli/simulator-command.js';
import { EXIT, UsageError } from '../cli/usage-error.js';

/** Composition root of the `mdec` command line (design.md 6). */
async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('mdec')
    .description('Microsoft Defender for Endpoint connector')
    .showHelpAfterError()
    .exitOverride();
  registerSimulatorCommand(program);
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
