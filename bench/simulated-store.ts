import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SimulatorInfo } from '../src/simulator/start-simulator.js';

const ROOT = new URL('../', import.meta.url).pathname;

/** Runs `mdec --db DB ...args` with `env`, and returns its stdout. */
export async function runMdec(
  db: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [`${ROOT}bin/mdec.js`, '--db', db, ...args],
    {
      env,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout;
}

/**
 * Adds the connector `bench` pointed at a running simulator and syncs it in full through the CLI, as
 * a person would fill a store: what the benchmarks that need a large store start from. With `reuse`
 * the store already holds that tenant (a kept store of the same size and seed): the connector is only
 * pointed at the new simulator's address and the load is skipped.
 */
export async function syncSimulatedTenant(
  db: string,
  sim: { info: SimulatorInfo },
  env: Record<string, string | undefined>,
  options: { reuse?: boolean } = {},
): Promise<void> {
  const info = sim.info;
  await runMdec(
    db,
    [
      'connector',
      options.reuse ? 'edit' : 'add',
      '--name',
      'bench',
      '--tenant-id',
      info.tenantId,
      '--client-id',
      info.clientId,
      '--client-secret-env',
      'BENCH_SECRET',
      '--cloud',
      'custom',
      '--api-url',
      info.apiUrl,
      '--login-url',
      info.loginUrl,
      '--scope',
      'https://api.securitycenter.microsoft.com/.default',
    ],
    { ...env, BENCH_SECRET: info.clientSecret },
  );
  if (!options.reuse) await runMdec(db, ['sync', '--connector', 'bench', '--mode', 'full'], env);
}
