import { formatRetryNotice } from '../mde/http/retry-notice.js';
import type { ProgressReporter } from '../sync/progress.js';

/**
 * The progress display of `mdec sync`: on a terminal one line per stream that updates in place;
 * elsewhere (a pipe, CI) plain lines on stderr when a stream ends or something happens. Every retry
 * gets a line of its own as it is scheduled (`retrying in 8 s (3 of 10): connect ECONNREFUSED ...`).
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const tty = stream.isTTY === true;
  const started = new Map<string, number>();
  let live: string | undefined;
  let lastDraw = 0;
  const clear = () => {
    if (tty && live !== undefined) stream.write('\r\x1b[2K');
    live = undefined;
  };
  const draw = (text: string, force = false) => {
    if (!tty) return;
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    stream.write(`\r\x1b[2K${text}`);
    live = text;
  };
  const rate = (name: string, done: number) => {
    const seconds = (Date.now() - (started.get(name) ?? Date.now())) / 1000;
    return seconds > 1 ? `, ${Math.round(done / seconds).toLocaleString('en-US')}/s` : '';
  };
  return {
    start(name) {
      started.set(name, Date.now());
      draw(`${name}: starting`, true);
    },
    update(name, done, total) {
      const of = total ? ` of ${total.toLocaleString('en-US')}` : '';
      draw(`${name}: ${done.toLocaleString('en-US')}${of} records${rate(name, done)}`);
    },
    finish(name, outcome, detail) {
      clear();
      const seconds = ((Date.now() - (started.get(name) ?? Date.now())) / 1000).toFixed(1);
      stream.write(
        `${outcome === 'complete' ? '✓' : '!'} ${name}: ${outcome} in ${seconds}s${detail ? ` (${detail})` : ''}\n`,
      );
    },
    note(message) {
      clear();
      stream.write(`  ${message}\n`);
    },
    retry(notice) {
      clear();
      stream.write(`  ${formatRetryNotice(notice)}\n`);
    },
  };
}
