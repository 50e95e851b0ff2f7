import { describeFailure } from '../mde/classify-failure.js';
import type { MdeClient } from '../mde/mde-client.js';
import { AuthError, NotLicensedError } from '../mde/mde-errors.js';
import type { SecretBox } from '../security/secret-box.js';
import { KeyedWriter } from '../store/catalog/keyed-writer.js';
import { type Connector, ConnectorRepository } from '../store/connectors/connector-repository.js';
import { TransformMapRepository } from '../store/connectors/transform-map-repository.js';
import type { Store } from '../store/db/store.js';
import { findStoreError, storeFailure } from '../store/db/store-failure.js';
import { FindingWriter } from '../store/findings/finding-writer.js';
import { HostWriter } from '../store/hosts/host-writer.js';
import { CheckpointRepository } from '../store/runs/checkpoint-repository.js';
import {
  emptyCounters,
  RunRepository,
  type RunState,
  type RunTrigger,
  type StreamCounters,
} from '../store/runs/run-repository.js';
import {
  type SyncLease,
  type SyncLeaseOptions,
  SyncLeaseRepository,
} from '../store/runs/sync-lease-repository.js';
import { CancelRequestWatch, DEFAULT_CANCEL_CHECK_MS } from './cancel-request-watch.js';
import { chooseMode, type RequestedMode } from './choose-mode.js';
import { compileTransformMap, reportCustomFieldProblems } from './custom-field-run.js';
import { DEFAULT_LEASE_TIMING, keepLeaseAlive, type LeaseTiming } from './lease-heartbeat.js';
import { runPostSyncSteps } from './post-sync.js';
import { type ProgressReporter, silentProgress } from './progress.js';
import { syncAlerts } from './streams/alerts-stream.js';
import {
  syncRecommendations,
  syncSoftware,
  syncVulnerabilityDefinitions,
} from './streams/catalog-streams.js';
import { removeFixedFindings } from './streams/finding-status-scope.js';
import { syncInstalledSoftware } from './streams/installed-software-stream.js';
import { syncMachines } from './streams/machines-stream.js';
import { PROFILES_STREAM, syncProfiles } from './streams/profiles-stream.js';
import { syncVulnerabilitiesDelta } from './streams/vulnerabilities-delta-stream.js';
import { syncVulnerabilitiesFull, VULNERABILITIES_STREAM } from './streams/vulnerabilities-full-stream.js';
import {
  readsVulnerabilityExport,
  requestVulnerabilityExport,
  type VulnerabilityExportRequest,
} from './streams/vulnerability-export-request.js';
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
  /** The connector's sync lease: its owner and timing (default: this process); its times are the database's. */
  lease?: SyncLeaseOptions & Partial<LeaseTiming>;
  /** How often the running sync looks for a cancel request (`mdec runs cancel`); 2 s by default. */
  cancelCheckMs?: number;
}

export interface SyncRequest {
  connector: string;
  mode?: RequestedMode;
  trigger?: RunTrigger;
  signal?: AbortSignal;
  /** A run recorded earlier as queued (a worker's job): it is this run that starts. */
  runId?: number;
  /** Told the run's id as soon as the run is recorded, long before it ends (the API answers with it). */
  onStarted?: (runId: number) => void;
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

/** Another sync of the connector holds its lease. */
export class SyncRunningError extends Error {
  readonly code = 'sync-running' as const;
  constructor(
    connector: string,
    readonly holder: SyncLease,
  ) {
    const run = holder.runId === null ? 'run starting' : `run ${holder.runId}`;
    super(
      `a sync of "${connector}" is running (${run}, pid ${holder.pid} on ${holder.host}, since ${holder.acquiredAt.replace(/\.\d{3}Z$/, 'Z')})`,
    );
  }
}

/**
 * Streams that can fail on their own without stopping the run (docs/data-model.md#syncrun: degrade to
 * partial).
 */
type StreamRunner = (ctx: SyncContext) => Promise<unknown>;

/**
 * Runs one sync of one connector (docs/architecture.md#parts, docs/sync.md): machines first (with a
 * full pass's export request already sent), then vulnerabilities (full or delta), the catalogs and alerts, with recommendations fetched alongside. Every
 * outcome lands in the run history; a partial or failed run closes and deletes nothing.
 */
export async function runSync(deps: SyncDependencies, request: SyncRequest): Promise<SyncResult> {
  const progress = deps.progress ?? silentProgress;
  const timing: LeaseTiming = { ...DEFAULT_LEASE_TIMING, ...pickTiming(deps.lease) };
  const leases = new SyncLeaseRepository(deps.store, deps.lease);
  const connector = await storeStep(deps.store, () =>
    new ConnectorRepository(deps.store, deps.secrets).byName(request.connector),
  );
  if (!connector) throw new SyncRefusedError(`no connector named "${request.connector}"`);
  const claim = await storeStep(deps.store, () => leases.acquire(connector.id, timing.ttlMs));
  if (!claim.acquired) throw new SyncRunningError(connector.name, claim.holder);
  const lease = claim.lease;
  // Losing the lease (it expired while this process stalled, and another took it over) stops the run.
  const lost = new AbortController();
  const heartbeat = keepLeaseAlive(leases, lease, timing, {
    onLost: () =>
      lost.abort(new Error('another sync took over the lease of this connector after it expired')),
    onError: (err) => progress.note(`renewing the sync lease failed: ${describeError(err)}`),
  });
  // A cancel request from another process stops the run like Ctrl-C: after the batch in hand.
  const cancel = new CancelRequestWatch(
    new RunRepository(deps.store),
    deps.cancelCheckMs ?? DEFAULT_CANCEL_CHECK_MS,
    (err) => progress.note(`looking for a cancel request failed: ${describeError(err)}`),
  );
  const signal = AbortSignal.any([...(request.signal ? [request.signal] : []), lost.signal, cancel.signal]);
  try {
    return await runLeased(deps, { ...request, signal }, connector, { lease, leases, timing, cancel });
  } finally {
    await cancel.stop();
    await heartbeat.stop();
    // A lease taken over by another process is left to it; one that cannot be released expires.
    if (!lost.signal.aborted) await leases.release(lease).catch(() => {});
  }
}

/** The run itself, under the connector's lease: only now may interrupted runs be failed and resumed. */
async function runLeased(
  deps: SyncDependencies,
  request: SyncRequest & { signal: AbortSignal },
  connector: Connector,
  held: { lease: SyncLease; leases: SyncLeaseRepository; timing: LeaseTiming; cancel: CancelRequestWatch },
): Promise<SyncResult> {
  const { lease, leases, timing } = held;
  const now = deps.now ?? (() => new Date());
  const progress = deps.progress ?? silentProgress;
  const connectors = new ConnectorRepository(deps.store, deps.secrets, now);
  const runs = new RunRepository(deps.store);
  const checkpoints = new CheckpointRepository(deps.store);
  const abandoned = await storeStep(deps.store, () => runs.failAbandoned(connector.id, now(), request.runId));
  if (abandoned.length > 0)
    progress.note(`run ${abandoned.join(', ')} had been interrupted; resuming from its checkpoints`);

  const options = connector.options;
  const { mode, reason, runId, startedAt } = await storeStep(deps.store, async () => {
    const watermark = await getVulnerabilityWatermark({ checkpoints, connector }, (why) =>
      progress.note(why),
    );
    const interrupted = await checkpoints.has(connector.id, VULNERABILITIES_STREAM);
    const chosen = chooseMode({
      requested: request.mode ?? 'auto',
      options,
      watermark,
      interruptedFullPass: interrupted,
      now: now().getTime(),
    });
    const at = now();
    let id: number;
    if (request.runId === undefined)
      id = await runs.start(connector.id, chosen.mode, request.trigger ?? 'manual', at);
    else {
      id = request.runId;
      await runs.begin(id, chosen.mode, at);
    }
    // A sync by hand lifts a suspension after failed runs (docs/scheduling.md#failed-runs).
    if ((request.trigger ?? 'manual') === 'manual') await connectors.liftSuspension(connector.id);
    await leases.attachRun(lease, id);
    await connectors.setState(connector.id, 'processing', id);
    return { ...chosen, runId: id, startedAt: at };
  });
  held.cancel.follow(runId);
  request.onStarted?.(runId);

  const counters: Record<string, StreamCounters> = {};
  const hostWriter = new HostWriter(deps.store);
  // Stops the streams still running once one error has ended the run.
  const stop = new AbortController();
  const signal = AbortSignal.any([request.signal, stop.signal]);
  let failure: unknown;
  const failRun = (err: unknown) => {
    failure ??= err;
    stop.abort(err);
  };
  let client: MdeClient | undefined;
  let snapshotTime: string | null = null;
  let customFields: SyncContext['customFields'];
  let scoring: SyncScoring | undefined;
  let alongside: Promise<void> = Promise.resolve();
  let vulnerabilityExport: VulnerabilityExportRequest | undefined;
  try {
    scoring = await SyncScoring.begin(deps.store, connector.id);
    client = deps.createClient(connector, await connectors.credentials(connector.id), signal);
    // Transform maps: the custom field mappings, compiled once per run, applied per record.
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
      signal,
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
    // Asked for now, the export is built while the machines are read (docs/sync.md); its files are
    // read once the machines are stored, since findings attach to their hosts.
    vulnerabilityExport = readsVulnerabilityExport(ctx) ? requestVulnerabilityExport(ctx) : undefined;
    await syncMachines(ctx);
    progress.finish('machines', 'complete');
    // Dynamic profiles follow the hosts the machines stream just wrote.
    await runStream(ctx, PROFILES_STREAM, syncProfiles, progress);
    const types = new Set(options.dataTypes);
    // Recommendations are a separate API family; fetch them alongside. An error that ends the run
    // there stops the other streams too.
    if (types.has('recommendations'))
      alongside = runStream(ctx, 'recommendations', syncRecommendations, progress).catch(failRun);
    // Definitions (EPSS, exploit flags) before vulnerabilities, so findings are written with this
    // run's scoring inputs.
    if (types.has('vulnerability-definitions'))
      await runStream(ctx, 'vulnerability-definitions', syncVulnerabilityDefinitions, progress);
    if (types.has('vulnerabilities')) {
      await scoring.prepare();
      await runStream(
        ctx,
        VULNERABILITIES_STREAM,
        async (c) => {
          const r =
            mode === 'full'
              ? await syncVulnerabilitiesFull(c, vulnerabilityExport)
              : await syncVulnerabilitiesDelta(c);
          snapshotTime = r.snapshotTime;
          await removeFixedFindings(c);
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
  } catch (err) {
    failRun(err);
  }
  await alongside;
  // A run that ended before its full pass began still waits for the export request it sent (the
  // run's signal cancels it), so nothing of the run is in flight when it is recorded.
  await vulnerabilityExport?.settled;
  let error: string | null = null;
  let storeFailed = false;
  const fail = (err: unknown) => {
    const cause = findStoreError(err);
    storeFailed ||= cause !== undefined;
    error = cause ? storeFailure(cause, deps.store).message : describeError(err);
  };
  if (failure !== undefined) {
    fail(failure);
    // A stream the failure stopped before it could say how it ended did not complete.
    for (const c of Object.values(counters)) c.outcome ??= request.signal.aborted ? 'cancelled' : 'failed';
  }
  if (scoring && !request.signal.aborted && !storeFailed) {
    // Even after a failure: whatever inputs did change must not leave stale scores behind.
    await scoring.finish(now().toISOString(), progress, request.signal).catch((err: unknown) => {
      if (findStoreError(err)) {
        failure ??= err;
        fail(err);
      } else progress.note(`rescoring after the run failed: ${describeError(err)}`);
    });
  }

  reportCustomFieldProblems(counters, customFields);
  // Stopped by whoever started it (Ctrl-C, a shutdown): cancelled, unless the store failed meanwhile.
  const cancelled = failure !== undefined && request.signal.aborted && !storeFailed;
  let state: RunState = cancelled
    ? 'cancelled'
    : failure !== undefined
      ? 'failed'
      : Object.values(counters).every((c) => c.outcome === 'complete')
        ? 'succeeded'
        : 'partial';
  if (state === 'partial') {
    error = Object.entries(counters)
      .filter(([, c]) => c.outcome !== 'complete')
      .map(([name, c]) => `${name}: ${c.problem ?? c.outcome}`)
      .join('; ');
  }
  // Definitions in depth and host risk, after complete or partial runs only.
  if (state === 'succeeded' || state === 'partial') {
    try {
      await runPostSyncSteps(deps.store, connector.id, progress, now, startedAt.toISOString());
    } catch (err) {
      state = 'failed';
      fail(err);
    }
  }
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
  try {
    await runs.finish(runId, result, finishedAt);
    // After a takeover the connector's state is the new holder's to set.
    if (await leases.renew(lease, timing.ttlMs))
      await connectors.setState(
        connector.id,
        state === 'succeeded' || state === 'partial' ? 'processed' : 'failed',
      );
  } catch (err) {
    // The outcome is still reported; the run history keeps this run as processing until the next
    // sync fails it as interrupted.
    result.state = 'failed';
    result.error = `${error ? `${error}; ` : ''}the run could not be recorded: ${describeError(err)}`;
  }
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

/** A store step outside the streams: its store error names the database and the fix. */
async function storeStep<T>(store: Store, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const cause = findStoreError(err);
    throw cause ? storeFailure(cause, store) : err;
  }
}

function pickTiming(lease: Partial<LeaseTiming> | undefined): Partial<LeaseTiming> {
  return {
    ...(lease?.ttlMs !== undefined ? { ttlMs: lease.ttlMs } : {}),
    ...(lease?.heartbeatMs !== undefined ? { heartbeatMs: lease.heartbeatMs } : {}),
  };
}

/**
 * Runs one stream; its failure is recorded on the stream and the run goes on, except for problems
 * every stream would hit: sign-in, and any store error (the database, not the stream, failed).
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
    if (findStoreError(err)) {
      counters.outcome = 'failed';
      counters.problem = describeError(err);
      progress.finish(name, 'failed', counters.problem);
      throw err;
    }
    if (err instanceof AuthError || ctx.signal?.aborted) throw err;
    if (err instanceof NotLicensedError) {
      // docs/mde-api.md#not-licensed: no license or no consent is its own state, never "zero
      // vulnerabilities".
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
