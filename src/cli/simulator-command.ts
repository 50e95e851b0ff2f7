import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  OptionError,
  type SimulatorFlags,
  simulatorOptionsFromFlags,
} from '../simulator/simulator-options.js';
import { startSimulator } from '../simulator/start-simulator.js';
import { readFlagFile } from './flag-files.js';
import { EXIT, UsageError } from './usage-error.js';

/**
 * `mdec simulator`: starts a simulated tenant and prints one JSON line once it listens. It runs until
 * SIGINT (exit 130) or SIGTERM (exit 0); a CA file it wrote is removed however it ends.
 */
export function registerSimulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description('start a simulated Microsoft Defender for Endpoint tenant (Entra sign-in + MDE API)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--devices <n>', 'devices in the tenant', '1000')
    .option('--seed <n>', 'seed of the deterministic tenant', '1')
    .option('--tenant-id <guid>', 'Entra tenant id')
    .option('--client-id <guid>', 'client id of the registered app')
    .option('--client-secret <secret>', 'client secret of the registered app')
    .option('--rate-limits <mode>', "real: MDE's documented budgets; off: none", 'real')
    .option('--faults <spec>', 'faults to inject, e.g. "5xx:503@/api/machines*3,429~0.05"')
    .option('--token-lifetime <seconds>', 'access token lifetime', '3600')
    .option('--start-time <iso>', 'simulated time zero (default: the current hour)')
    .option('--devices-per-file <n>', 'devices per export file', '5000')
    .option('--export-delay <seconds>', "seconds an export's files take to appear after it is requested", '0')
    .option('--tls', 'serve HTTPS with a generated self-signed certificate')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .action(async (flags: SimulatorFlags) => {
      let options: ReturnType<typeof simulatorOptionsFromFlags>;
      try {
        options = simulatorOptionsFromFlags(flags, (p) =>
          readFlagFile(p === flags.tlsCert ? '--tls-cert' : '--tls-key', p),
        );
      } catch (err) {
        if (err instanceof OptionError) throw new UsageError(err.message);
        throw err;
      }
      const sim = await startSimulator(options);
      const { caCertPem, ...info } = sim.info;
      let caCertFile: string | undefined;
      if (caCertPem) {
        const file = join(process.cwd(), `.mdec-simulator-ca-${process.pid}.pem`);
        caCertFile = file;
        // 'exit' runs on every way out of the process but a kill -9.
        process.on('exit', () => {
          try {
            unlinkSync(file);
          } catch {}
        });
        writeFileSync(file, caCertPem, { mode: 0o600 });
      }
      process.stdout.write(`${JSON.stringify({ ...info, ...(caCertFile ? { caCertFile } : {}) })}\n`);
      const stop = (signal: NodeJS.Signals) => {
        void sim.close().finally(() => process.exit(signal === 'SIGINT' ? EXIT.interrupted : EXIT.ok));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
