import { EventEmitter } from 'node:events';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import type { SecretBox } from '../security/secret-box.js';
import type { Store } from '../store/db/store.js';
import { createMdeClient } from '../sync/mde-client-factory.js';
import type { ProgressReporter } from '../sync/progress.js';
import { runSync, type SyncResult } from '../sync/run-sync.js';

/** A progress event of a live run (docs/api.md#runs): a stream started, moved on or finished. */
export interface RunProgress {
  stream: string;
  phase: 'start' | 'update' | 'finish' | 'note';
  done?: number;
  total?: number;
  outcome?: string;
  message?: string;
}

interface LiveRun {
  events: EventEmitter;
  abort: AbortController;
  done: Promise<unknown>;
}

/**
 * The syncs `mdec serve` starts in its own process (`POST /api/connectors/:name/runs`): each runs
 * through runSync under the connector's lease, so a sync started elsewhere (CLI, worker) is refused
 * with SyncRunningError. Live runs publish progress for `GET /api/runs/:id/events` and can be
 * cancelled; stopping the server cancels them and waits, so each records how it ended.
 */
export class RunSupervisor {
  private readonly live = new Map<number, LiveRun>();
  /** Connectors with a sync started here that has not ended. */
  private readonly busy = new Set<string>();
  private readonly limiter: ClientRateLimiter;

  constructor(
    private readonly deps: {
      store: Store;
      secrets: SecretBox;
      caFile?: string;
      /** The syncs' clock (the wall clock by default). */
      now?: () => Date;
      onFinished?: (result: SyncResult) => void;
      /** Shared by every sync of the process (its default: MDE's documented limits). */
      limiter?: ClientRateLimiter;
    },
  ) {
    this.limiter = deps.limiter ?? new ClientRateLimiter();
  }

  /** Starts a sync; resolves with its run id once recorded, rejects when it is refused. */
  start(connector: string, mode: 'auto' | 'full' | 'delta'): Promise<number> {
    const events = new EventEmitter();
    events.setMaxListeners(0);
    this.busy.add(connector);
    const abort = new AbortController();
    let resolve!: (id: number) => void;
    let reject!: (err: unknown) => void;
    const started = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    let runId: number | undefined;
    const publish = (p: RunProgress) => events.emit('progress', p);
    const progress: ProgressReporter = {
      start: (stream, total) =>
        publish({ stream, phase: 'start', done: 0, ...(total === undefined ? {} : { total }) }),
      update: (stream, done, total) =>
        publish({ stream, phase: 'update', done, ...(total === undefined ? {} : { total }) }),
      finish: (stream, outcome) => publish({ stream, phase: 'finish', outcome }),
      note: (message) => publish({ stream: 'run', phase: 'note', message }),
    };
    const caFile = this.deps.caFile;
    const done = runSync(
      {
        store: this.deps.store,
        secrets: this.deps.secrets,
        progress,
        ...(this.deps.now ? { now: this.deps.now } : {}),
        createClient: (c, creds, signal) =>
          createMdeClient(c, creds, { limiter: this.limiter, ...(caFile ? { caFile } : {}) }, signal),
      },
      {
        connector,
        mode,
        signal: abort.signal,
        onStarted: (id) => {
          runId = id;
          this.live.set(id, { events, abort, done });
          resolve(id);
        },
      },
    ).then(
      (result) => {
        this.deps.onFinished?.(result);
        return result;
      },
      (err: unknown) => {
        reject(err);
        return undefined;
      },
    );
    void done.finally(() => {
      this.busy.delete(connector);
      if (runId !== undefined) this.live.delete(runId);
      events.emit('end');
    });
    return started;
  }

  /** True while a sync of the connector started here has not ended. */
  isRunning(connector: string): boolean {
    return this.busy.has(connector);
  }

  /** The progress events of a run this process is running; undefined when it is not. */
  events(runId: number): EventEmitter | undefined {
    return this.live.get(runId)?.events;
  }

  /** Asks a live run to stop (it checkpoints and records itself cancelled); false when it is not live here. */
  cancel(runId: number): boolean {
    const run = this.live.get(runId);
    if (!run) return false;
    run.abort.abort(new Error('cancelled through the API'));
    return true;
  }

  /** Cancels every live run and waits for each to record how it ended. */
  async stopAll(): Promise<void> {
    const runs = [...this.live.values()];
    for (const r of runs) r.abort.abort(new Error('the server is stopping'));
    await Promise.all(runs.map((r) => r.done));
  }
}
