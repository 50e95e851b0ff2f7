import type { Store } from '../store/db/store.js';
import { findStoreError } from '../store/db/store-failure.js';
import { enrichDefinitions } from '../store/derive/definition-enrichment-step.js';
import { computeHostRisk } from '../store/derive/host-risk-step.js';
import { derivePackageVersions } from '../store/derive/package-versions-step.js';
import type { ProgressReporter } from './progress.js';

/**
 * Set-based steps after a complete or partial run: definitions gain what the findings and
 * recommendations say about them, hosts get their risk, software packages their installed versions. They only update rows, so a partial run's
 * data is safe to derive from; a failure here is a note, except a store error, which fails the run.
 */
export async function runPostSyncSteps(
  store: Store,
  connectorId: number,
  progress: ProgressReporter,
  now: () => Date,
  /** When the run started: host risk is recomputed for the hosts it wrote since. */
  runStartedAt?: string,
): Promise<void> {
  const steps: Array<[string, () => Promise<unknown>]> = [
    ['vulnerability definitions', () => enrichDefinitions(store, connectorId, now().toISOString())],
    ['host risk', () => computeHostRisk(store, connectorId, now().toISOString(), undefined, runStartedAt)],
    ['package versions', () => derivePackageVersions(store, connectorId, now().toISOString())],
  ];
  for (const [name, step] of steps) {
    progress.start(name);
    try {
      await step();
      progress.finish(name, 'complete');
    } catch (err) {
      if (findStoreError(err)) {
        progress.finish(name, 'failed', (err as Error).message);
        throw err;
      }
      const problem = err instanceof Error ? err.message : String(err);
      progress.finish(name, 'failed', problem);
      progress.note(`deriving ${name} failed: ${problem}`);
    }
  }
}
