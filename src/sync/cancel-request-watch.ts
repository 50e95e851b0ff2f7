import type { RunRepository } from '../store/runs/run-repository.js';

/** How often a running sync looks for `mdec runs cancel` by default: one read of its run row. */
export const DEFAULT_CANCEL_CHECK_MS = 2_000;

/** The reason a run stopped at a cancel request, as its run history shows it. */
export const CANCEL_REQUESTED = 'cancelled by mdec runs cancel';

/**
 * Watches a running sync's row for a cancel request (`mdec runs cancel ID` from any process, or the
 * API) and aborts `signal` when one is seen; the run then stops after the batch it is writing, whose
 * checkpoint is stored with it (docs/sync-runs.md#cancelling). Whoever runs the sync (a worker, or
 * `mdec sync` at a terminal) is watched the same way. The run id is known only once the run starts,
 * so the watch begins with `follow`.
 */
export class CancelRequestWatch {
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly runs: RunRepository,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  follow(runId: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.inFlight || this.abort.signal.aborted) return;
      this.inFlight = this.runs
        .byId(runId)
        .then((run) => {
          if (run?.cancelRequestedAt && !this.abort.signal.aborted)
            this.abort.abort(new Error(CANCEL_REQUESTED));
        }, this.onError)
        .finally(() => {
          this.inFlight = undefined;
        });
    }, this.intervalMs);
    // The watch alone never keeps the process alive.
    this.timer.unref();
  }

  /** Stops watching; waits for a look under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }
}
