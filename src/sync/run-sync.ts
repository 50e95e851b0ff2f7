import { describeFailure } from '../mde/classify-failure.js';
import type { MdeClient } from '../mde/mde-client.js';
import { AuthError, NotLicensedError } from '../mde/mde-errors.js';
import type { SecretBox } from '../security/secret-box.js';
import { CheckpointRepository } from '../store/checkpoint-repository.js';
import { type Connector, ConnectorRepository } from '../store/connector-repository.js';
import { FindingWriter } from '../store/finding-writer.js';
import { HostWriter } from '../store/host-writer.js';
import { KeyedWriter } from '../store/keyed-writer.js';
import type { Store } from '../store/open-store.js';
import {
  emptyCounters,
  RunRepository,
  type RunState,
  type RunTrigger,
  type StreamCounters,
} from '../store/run-repository.js';
import { TransformMapRepository } from '../store/transform-map-repository.js';
import { chooseMode, type RequestedMode } from './choose-mode.js';
import { compileTransformMap, reportCustomFieldProblems } from './custom-field-run.js';
import { runPostSyncSteps } from './post-sync.js';
import { type ProgressReporter, silentProgress } from './progress.js';
import { syncAlerts } from './streams/alerts-stream.js';
import {
  syncRecommendations,
  syncSoftware,
  syncVulnerabilityDefinitions,
} from './streams/catalog-streams.js';
import { syncInstalledSoftware } from './streams/installed-software-stream.js';
import { syncMachines } from './streams/machines-stream.js';
import { PROFILES_STREAM, syncProfiles } from './streams/profiles-stream.js';
import { syncVulnerabilitiesDelta } from './streams/vulnerabilities-delta-stream.js';
import { syncVulnerabilitiesFull, VULNERABILITIES_STREAM } from './streams/vulnerabilities-full-stream.js';
import { getVulnerabilityWatermark } from './streams/vulnerability-watermark.js';
import type { SyncContext } from './sync-context.js';
import { SyncScoring } from './sync-scoring.js';

export interface SyncDependencies {
  store: Store;
  secrets: SecretBox;
  /** Builds the MDE client of a connector (the composition root decides transport, CA, limiter). */
  createClient(
    connector: Connector,
    credentials: Awaited<ReturnType<ConnectorRepository['credentials']>>,
    signal?: AbortSignal,
  ): MdeClient;
  now?: () => Date;
  progress?: ProgressReporter;
}

export interface SyncRequest {
  connector: string;
  mode?: RequestedMode;
  trigger?: RunTrigger;
  signal?: AbortSignal;
}

export interface SyncResult {
  runId: number;
  connector: string;
  mode: 'full' | 'delta';
  modeReason: string;
  state: RunState;
  counters: Record<string, StreamCounters>;
  apiCalls: number;
  retries: number;
  throttledMs: number;
  snapshotTime: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string;
}

export class SyncRefusedError extends Error {
  readonly code = 'sync-refused' as const;
}

/** Streams that can fail on their own without stopping the run (design.md 3: degrade to partial). */
type StreamRunner = (ctx: SyncContext) => Promise<unknown>;

/**
 * Runs one sync of one connector (design.md 2 and 5): machines first, then vulnerabilities (full or
 * delta), the catalogs and alerts, with recommendations fetched alongside. Every outcome lands in the
 * run history; a partial or failed run closes and deletes nothing.
 */
export async function runSync(deps: SyncDependencies, request: SyncRequest): Promise<SyncResult> {
  const now = deps.now ?? (() => new Date());
  const progress = deps.progress ?? silentProgress;
  const connectors = new ConnectorRepository(deps.store, deps.secrets, now);
  const runs = new RunRepository(deps.store);
  const checkpoints = new CheckpointRepository(deps.store);
  const connector = await connectors.byName(request.connector);
  if (!connector) throw new SyncRefusedError(`no connector named "${request.connector}"`);
  const abandoned = await runs.failAbandoned(connector.id, now());
  if (abandoned.length > 0)
    progress.note(`run ${abandoned.join(', ')} had been interrupted; resuming from its checkpoints`);

  const options = connector.options;
  const watermark = await getVulnerabilityWatermark({ checkpoints, connector });
  const interrupted = (await checkpoints.get(connector.id, VULNERABILITIES_STREAM)) !== undefined;
  const { mode, reason } = chooseMode({
    requested: request.mode ?? 'auto',
    options,
    watermark,
    interruptedFullPass: interrupted,
    now: now().getTime(),
  });
  const startedAt = now();
  const runId = await runs.start(connector.id, mode, request.trigger ?? 'manual', startedAt);
  await connectors.setState(connector.id, 'processing', runId);

  const counters: Record<string, StreamCounters> = {};
  const hostWriter = new HostWriter(deps.store);
  let client: MdeClient | undefined;
  let snapshotTime: string | null = null;
  let error: string | null = null;
  let fatal = false;
  let customFields: SyncContext['customFields'];
  let scoring: SyncScoring | undefined;
  try {
    scoring = await SyncScoring.begin(deps.store, connector.id);
    client = deps.createClient(connector, await connectors.credentials(connector.id), request.signal);
    // Seed 004 transform maps: the custom field mappings, compiled once per run, applied per record.
    customFields = compileTransformMap(
      await new TransformMapRepository(deps.store).customFields(connector.id),
    );
    const ctx: SyncContext = {
      store: deps.store,
      connector,
      runId,
      mode,
      client,
      hosts: hostWriter,
      findings: new FindingWriter(deps.store),
      keyed: new KeyedWriter(deps.store),
      checkpoints,
      progress,
      now,
      ...(request.signal ? { signal: request.signal } : {}),
      hostIndex: new Map(),
      scoreFindings: scoring.scoreFindings,
      scoreFinding: scoring.scoreFinding,
      // Any rule that keeps some devices out also keeps their findings, software and alerts out.
      deviceFilterActive: options.tags.length > 0 || options.filter !== undefined || options.staleDays > 0,
      customFields,
      counters(stream) {
        counters[stream] ??= emptyCounters();
        return counters[stream]!;
      },
    };
    await syncMachines(ctx);
    progress.finish('machines', 'complete');
    // Seed 002: dynamic profiles follow the hosts the machines stream just wrote.
    await runStream(ctx, PROFILES_STREAM, syncProfiles, progress);
    const types = new Set(options.dataTypes);
    // Recommendations are a separate API family; fetch them alongside (issue 3).
    const recommendations = types.has('recommendations')
      ? runStream(ctx, 'recommendations', syncRecommendations, progress)
      : Promise.resolve();
    // Issue 4 item 2: definitions (EPSS, exploit flags) before vulnerabilities, so findings are
    // written with this run's scoring inputs.
    if (types.has('vulnerability-definitions'))
      await runStream(ctx, 'vulnerability-definitions', syncVulnerabilityDefinitions, progress);
    if (types.has('vulnerabilities')) {
      await scoring.prepare();
      await runStream(
        ctx,
        VULNERABILITIES_STREAM,
        async (c) => {
          const r = mode === 'full' ? await syncVulnerabilitiesFull(c) : await syncVulnerabilitiesDelta(c);
          snapshotTime = r.snapshotTime;
        },
        progress,
      );
    }
    const sequential: Array<[string, StreamRunner]> = [
      ['software', syncSoftware],
      ['installed-software', syncInstalledSoftware],
      ['alerts', syncAlerts],
    ];
    for (const [name, runner] of sequential) {
      if (types.has(name as never)) await runStream(ctx, name, runner, progress);
    }
    await recommendations;
  } catch (err) {
    fatal = true;
    error = describeError(err);
    progress.note(`sync failed: ${error}`);
  }
  if (scoring && !request.signal?.aborted) {
    // Even after a failure: whatever inputs did change must not leave stale scores behind.
    await scoring.finish(now().toISOString(), progress, request.signal).catch((err: unknown) => {
      progress.note(`rescoring after the run failed: ${describeError(err)}`);
    });
  }

  reportCustomFieldProblems(counters, customFields);
  const state: RunState = fatal
    ? 'failed'
    : Object.values(counters).every((c) => c.outcome === 'complete')
      ? 'succeeded'
      : 'partial';
  if (!fatal && state === 'partial') {
    error = Object.entries(counters)
      .filter(([, c]) => c.outcome !== 'complete')
      .map(([name, c]) => `${name}: ${c.problem ?? c.outcome}`)
      .join('; ');
  }
  // issue 4, items 1 and 3: definitions in depth and host risk, after complete or partial runs only.
  if (state !== 'failed')
    await runPostSyncSteps(deps.store, connector.id, progress, now, startedAt.toISOString());
  const finishedAt = now();
  const stats = client?.stats ?? { apiCalls: 0, retries: 0, throttledMs: 0 };
  const result = {
    state,
    counters,
    apiCalls: stats.apiCalls,
    retries: stats.retries,
    throttledMs: stats.throttledMs,
    snapshotTime,
    error,
  };
  await runs.finish(runId, result, finishedAt);
  await connectors.setState(connector.id, state === 'failed' ? 'failed' : 'processed');
  return {
    runId,
    connector: connector.name,
    mode,
    modeReason: reason,
    ...result,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
  };
}

/**
 * Runs one stream; its failure is recorded on the stream and the run goes on, except for problems
 * every stream would hit (sign-in): those end the run.
 */
async function runStream(
  ctx: SyncContext,
  name: string,
  runner: StreamRunner,
  progress: ProgressReporter,
): Promise<void> {
  const counters = ctx.counters(name);
  try {
    await runner(ctx);
  } catch (err) {
    if (err instanceof AuthError || ctx.signal?.aborted) throw err;
    if (err instanceof NotLicensedError) {
      // design.md 5: no license or no consent is its own state, never "zero vulnerabilities".
      counters.outcome = 'not-licensed';
      counters.problem = `not licensed or not consented: ${err.message}`;
      if (name === VULNERABILITIES_STREAM)
        await ctx.hosts.setVulnerabilityDataState(ctx.connector.id, 'not-licensed');
    } else {
      counters.outcome = 'failed';
      counters.problem = describeError(err);
    }
  }
  progress.finish(name, counters.outcome ?? 'failed', counters.problem);
}

/** The failure's class, message and fix for the client's errors; any other error's own message. */
function describeError(err: unknown): string {
  return describeFailure(err);
}
