import { PgBoss } from 'pg-boss';
import type { ClaimedRun, JobQueue, QueuedRun, QueueTiming } from './job-queue.js';

/** The pg-boss queue that carries sync runs. */
const QUEUE = 'mdec-sync';

/**
 * The heartbeat every job asks for: pg-boss's floor. Whoever queues a run (a worker, the CLI, the
 * API) sends the same, and a worker touches its job more often than this (JOB_TOUCH_MS in worker.ts).
 */
export const JOB_HEARTBEAT_SECONDS = 10;

/**
 * The job queue on PostgreSQL, carried by pg-boss (docs/scheduling.md#the-job-queue): any number of
 * `mdec worker` processes on any number of machines fetch from it. The queue is a `singleton` queue
 * keyed by connector, so pg-boss never hands out two runs of one connector at once (the sync lease
 * stays the ground truth); a worker that stops sending heartbeats (killed) loses its job to the next
 * worker, which pg-boss counts as a retry of the job, not of the run.
 */
export class PgBossJobQueue implements JobQueue {
  private constructor(private readonly boss: PgBoss) {}

  static async open(connectionString: string, timing: QueueTiming): Promise<PgBossJobQueue> {
    // How often pg-boss looks for jobs whose heartbeat stopped: a killed worker's run goes to
    // another worker within about a heartbeat plus this.
    const checkSeconds = Math.max(1, Math.min(60, Math.ceil(timing.leaseMs / 1000)));
    const boss = new PgBoss({
      connectionString,
      max: 2,
      schedule: false,
      monitorIntervalSeconds: checkSeconds,
      superviseIntervalSeconds: checkSeconds,
    });
    // Errors of pg-boss's own background work are retried by it; they must not end the process.
    boss.on('error', () => {});
    await boss.start();
    const existing = await boss.getQueue(QUEUE);
    if (!existing) await boss.createQueue(QUEUE, { policy: 'singleton' });
    return new PgBossJobQueue(boss);
  }

  async enqueue(run: QueuedRun, options: { after?: Date } = {}): Promise<void> {
    await this.boss.send(
      QUEUE,
      { runId: run.runId, connectorId: run.connectorId },
      {
        singletonKey: `connector-${run.connectorId}`,
        ...(options.after ? { startAfter: options.after } : {}),
        heartbeatSeconds: JOB_HEARTBEAT_SECONDS,
        // A sync may take hours; only a missed heartbeat means its worker is gone.
        expireInSeconds: 24 * 3600,
        // Redelivery after a lost worker; failed runs are retried by the worker as new runs.
        retryLimit: 1000,
        retryDelay: 0,
      },
    );
  }

  async claim(): Promise<ClaimedRun | undefined> {
    const [job] = await this.boss.fetch<QueuedRun>(QUEUE, { batchSize: 1 });
    if (!job) return undefined;
    return { jobId: job.id, runId: Number(job.data.runId), connectorId: Number(job.data.connectorId) };
  }

  async extend(job: ClaimedRun): Promise<void> {
    await this.boss.touch(QUEUE, job.jobId);
  }

  async complete(job: ClaimedRun): Promise<void> {
    await this.boss.complete(QUEUE, job.jobId);
  }

  async release(job: ClaimedRun, after?: Date): Promise<void> {
    // pg-boss has no "give back": the run goes in again as a new job, then the held one ends.
    await this.enqueue(job, after ? { after } : {});
    await this.boss.deleteJob(QUEUE, job.jobId);
  }

  async remove(runId: number): Promise<boolean> {
    const waiting = await this.boss.findJobs<QueuedRun>(QUEUE, { data: { runId }, queued: true });
    if (waiting.length === 0) return false;
    await this.boss.deleteJob(
      QUEUE,
      waiting.map((j) => j.id),
    );
    return true;
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false });
  }
}
