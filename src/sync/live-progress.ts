import type { ProgressReporter } from './progress.js';

/** A progress event of a live run (docs/api.md#runs): a stream started, moved on or finished, or a note. */
export interface RunProgress {
  stream: string;
  phase: 'start' | 'update' | 'finish' | 'note';
  done?: number;
  total?: number;
  outcome?: string;
  message?: string;
}

/**
 * How far a running sync got, as its run row carries it (`live_progress`, docs/sync-runs.md#live-progress):
 * each stream's records handled so far (and its total when known, its outcome once it ended), and the
 * latest notes, numbered so a follower sends each once.
 */
export interface LiveProgress {
  streams: Record<string, { done: number; total?: number; outcome?: string }>;
  notes: Array<{ seq: number; message: string }>;
}

/** The notes a run row keeps: a follower that looks every second misses none in practice. */
const KEPT_NOTES = 20;

/** How often, at most, a stream's moving count is written (starts, ends and notes are written at once). */
export const LIVE_PROGRESS_WRITE_MS = 2_000;

/**
 * A ProgressReporter that keeps a run's LiveProgress and hands it to `write` (the run row): at once
 * when a stream starts or ends or a note comes, and at most every `everyMs` while counts move, so a
 * sync writes its row a few times a minute, not once a batch. Writes never overlap; one that fails is
 * reported to `onError` and the next change writes again.
 */
export class LiveProgressRecorder implements ProgressReporter {
  private readonly state: LiveProgress = { streams: {}, notes: [] };
  private seq = 0;
  private lastWrite = 0;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (progress: string) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly everyMs = LIVE_PROGRESS_WRITE_MS,
  ) {}

  start(stream: string, total?: number): void {
    this.state.streams[stream] = { done: 0, ...(total === undefined ? {} : { total }) };
    this.changed(true);
  }

  update(stream: string, done: number, total?: number): void {
    const s = this.state.streams[stream] ?? { done: 0 };
    s.done = done;
    if (total !== undefined) s.total = total;
    this.state.streams[stream] = s;
    this.changed(false);
  }

  finish(stream: string, outcome: string): void {
    const s = this.state.streams[stream] ?? { done: 0 };
    s.outcome = outcome;
    this.state.streams[stream] = s;
    this.changed(true);
  }

  note(message: string): void {
    this.state.notes.push({ seq: ++this.seq, message });
    if (this.state.notes.length > KEPT_NOTES) this.state.notes.shift();
    this.changed(true);
  }

  /** Writes what has not been written yet, and waits for it. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    if (this.dirty) await this.writeNow();
  }

  private changed(now: boolean): void {
    this.dirty = true;
    if (this.writing) return;
    const wait = now ? 0 : this.lastWrite + this.everyMs - Date.now();
    if (wait <= 0) {
      void this.writeNow();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.writeNow();
      }, wait);
      this.timer.unref();
    }
  }

  private writeNow(): Promise<void> {
    if (this.writing) return this.writing;
    this.dirty = false;
    this.lastWrite = Date.now();
    this.writing = this.write(JSON.stringify(this.state))
      .catch(this.onError)
      .finally(() => {
        this.writing = undefined;
        // Changes that came while writing go out at the next slot.
        if (this.dirty) this.changed(false);
      });
    return this.writing;
  }
}

/** Reads a run row's live progress; undefined when it has none or it is not readable. */
export function parseLiveProgress(text: string | null): LiveProgress | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as LiveProgress;
    return parsed && typeof parsed.streams === 'object' && Array.isArray(parsed.notes) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The progress events that lead from one reading of a run's live progress to the next: a stream seen
 * for the first time starts, a count that moved updates, an outcome that appeared finishes, and each
 * note not sent yet is sent.
 */
export function progressEventsBetween(before: LiveProgress | undefined, after: LiveProgress): RunProgress[] {
  const events: RunProgress[] = [];
  for (const [stream, now] of Object.entries(after.streams)) {
    const was = before?.streams[stream];
    const total = now.total === undefined ? {} : { total: now.total };
    if (!was) events.push({ stream, phase: 'start', done: 0, ...total });
    if (now.done !== (was?.done ?? 0) || (now.total !== undefined && now.total !== was?.total))
      events.push({ stream, phase: 'update', done: now.done, ...total });
    if (now.outcome !== undefined && was?.outcome === undefined)
      events.push({ stream, phase: 'finish', outcome: now.outcome });
  }
  const lastSent = before?.notes.at(-1)?.seq ?? 0;
  for (const n of after.notes)
    if (n.seq > lastSent) events.push({ stream: 'run', phase: 'note', message: n.message });
  return events;
}
