import type { RetryNotice } from '../mde/http/retry-notice.js';

/** Where long work reports how far it got; the CLI draws it on a terminal, tests ignore it. */
export interface ProgressReporter {
  /** A stream started; `total` when known. */
  start(stream: string, total?: number): void;
  /** `done` records of the stream handled so far. */
  update(stream: string, done: number, total?: number): void;
  /** The stream ended with an outcome such as `complete` or `partial`. */
  finish(stream: string, outcome: string, detail?: string): void;
  /** A notable event worth a line of its own (a retry storm, an expired link). */
  note(message: string): void;
  /** The client scheduled a retry: shown as it happens, so a wait is never silent. */
  retry?(notice: RetryNotice): void;
}

export const silentProgress: ProgressReporter = {
  start() {},
  update() {},
  finish() {},
  note() {},
  retry() {},
};

/** One reporter that tells each of `reporters` everything (a worker's log and its run row). */
export function fanOutProgress(...reporters: ProgressReporter[]): ProgressReporter {
  return {
    start: (stream, total) => {
      for (const r of reporters) r.start(stream, total);
    },
    update: (stream, done, total) => {
      for (const r of reporters) r.update(stream, done, total);
    },
    finish: (stream, outcome, detail) => {
      for (const r of reporters) r.finish(stream, outcome, detail);
    },
    note: (message) => {
      for (const r of reporters) r.note(message);
    },
    retry: (notice) => {
      for (const r of reporters) r.retry?.(notice);
    },
  };
}
