/**
 * The seam between whoever asks for a run (the scheduler, `mdec sync --enqueue`, the API) and the
 * workers that run it (docs/scheduling.md#the-job-queue). The run itself is a row of the run history,
 * recorded as `queued` before it is handed over; the queue only carries its id. Which library carries
 * it is decided in open-job-queue.ts alone.
 */
export interface QueuedRun {
  runId: number;
  connectorId: number;
}

/** A run a worker took from the queue; it holds it until it completes or releases it. */
export interface ClaimedRun extends QueuedRun {
  /** The queue's own id of the job. */
  jobId: string;
}

export interface JobQueue {
  /** Hands a queued run to the workers, to start no earlier than `after` (default: now). */
  enqueue(run: QueuedRun, options?: { after?: Date }): Promise<void>;
  /**
   * The next run that is due, held by this worker for the queue's lease length; undefined when none
   * is. A run whose worker stopped renewing its hold (killed) is due again once the hold expires.
   */
  claim(): Promise<ClaimedRun | undefined>;
  /** Keeps holding a claimed run for another lease length. */
  extend(job: ClaimedRun): Promise<void>;
  /** The run ended (whatever its outcome): it leaves the queue. */
  complete(job: ClaimedRun): Promise<void>;
  /** Gives a claimed run back, to be claimed again no earlier than `after` (default: now). */
  release(job: ClaimedRun, after?: Date): Promise<void>;
  /** Takes a run that no worker holds out of the queue; true when it was waiting there. */
  remove(runId: number): Promise<boolean>;
  close(): Promise<void>;
}

/** How long a worker holds a claimed run without renewing it. */
export interface QueueTiming {
  leaseMs: number;
}
