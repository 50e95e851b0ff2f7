import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import type { Store } from '../../src/store/db/store.js';
import { CheckpointRepository } from '../../src/store/runs/checkpoint-repository.js';
import { RunRepository, type RunState } from '../../src/store/runs/run-repository.js';
import { spawnMdec } from '../helpers/cli-runner.js';

/** The key TEST_SECRETS seals with, so mdec in a child process opens the connectors' secrets. */
export const MASTER_KEY = '07'.repeat(32);

/** Short leases and polls so a test sees takeovers in seconds (the defaults are minutes). */
export const FAST_WORKER_FLAGS = [
  '--lease-seconds',
  '3',
  '--heartbeat-seconds',
  '0.5',
  '--poll-seconds',
  '0.2',
  '--tick-seconds',
  '1',
  '--retry-delay-seconds',
  '0.5',
];

/** A running `mdec worker` with what it logged so far. */
export interface WorkerProcess {
  child: ChildProcess;
  log(): string;
}

export function startWorker(db: string): WorkerProcess {
  const child = spawnMdec(['--db', db, 'worker', ...FAST_WORKER_FLAGS], {
    env: { MDEC_MASTER_KEY: MASTER_KEY },
  });
  let stderr = '';
  child.stderr!.on('data', (c) => {
    stderr += String(c);
  });
  return { child, log: () => stderr };
}

/** Waits (polling, bounded) until `check` holds. */
export async function waitFor(what: string, check: () => Promise<boolean>, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}`);
}

const Position = z.object({ fileIndex: z.number() });

/** How many export files of the connector's full pass are stored (its checkpoint), or -1. */
export async function filesStored(store: Store, connectorId: number): Promise<number> {
  const saved = await new CheckpointRepository(store).read(connectorId, 'vulnerabilities', Position);
  return saved && 'value' in saved ? saved.value.fileIndex : -1;
}

export async function runState(store: Store, runId: number): Promise<RunState | undefined> {
  return (await new RunRepository(store).byId(runId))?.state;
}
