import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { TestSimulator } from './simulator-fixture.js';

/** The project root: CLI tests run `bin/mdec.js` over `dist/`, as a user does (the test setup builds it first). */
export const ROOT = new URL('../../', import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Starts `mdec ...args` (no `--db` added) in a process of its own, stdout and stderr piped. */
export function spawnMdec(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): ChildProcess {
  return spawn(process.execPath, [`${ROOT}bin/mdec.js`, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a started mdec's output until it exits. */
export async function completion(child: ChildProcess): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => {
    stdout += String(c);
  });
  child.stderr?.on('data', (c) => {
    stderr += String(c);
  });
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

/** Runs `mdec ...args` (no `--db` added) to its end. */
export function runMdec(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliRun> {
  return completion(spawnMdec(args, options));
}

/**
 * Runs `mdec --db DB ...args` in a process of its own, in `cwd`, with `MDE_SECRET` set to `secret`.
 * `where` is read at each call, so a suite can create its folder in `beforeAll`.
 */
export function mdecRunner(where: () => { db: string; cwd: string }, secret: string) {
  return async (args: string[], env: Record<string, string> = {}): Promise<CliRun> => {
    const { db, cwd } = where();
    return runMdec(['--db', db, ...args], { cwd, env: { MDE_SECRET: secret, ...env } });
  };
}

/** `mdec connector add` with a name, tenant, app and the secret from MDE_SECRET: valid, endpoints aside. */
export function connectorIdentityArgs(
  name: string,
  ids: { tenantId: string; clientId: string } = {
    tenantId: '11111111-2222-4333-8444-555555555555',
    clientId: '11111111-2222-4333-8444-555555555555',
  },
): string[] {
  return [
    'connector',
    'add',
    '--name',
    name,
    '--tenant-id',
    ids.tenantId,
    '--client-id',
    ids.clientId,
    '--client-secret-env',
    'MDE_SECRET',
  ];
}

/** `mdec connector add` of a connector named `name` pointing at the simulator, secret from MDE_SECRET. */
export function connectorAddArgs(sim: TestSimulator, name = 'lab'): string[] {
  return [
    ...connectorIdentityArgs(name, sim.sim.info),
    '--cloud',
    'custom',
    '--api-url',
    sim.url,
    '--login-url',
    sim.url,
    '--scope',
    'https://api.securitycenter.microsoft.com/.default',
  ];
}

/** `mdec mapping add` of one custom field on connector `connector`. */
export function mappingAddArgs(
  field: { entity: string; source: string; type: string; target: string },
  connector = 'lab',
): string[] {
  return [
    'mapping',
    'add',
    '--connector',
    connector,
    '--entity',
    field.entity,
    '--source',
    field.source,
    '--type',
    field.type,
    '--target',
    field.target,
  ];
}
