import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

/**
 * The worker's log (docs/operations.md#worker-logs): one JSON line per event on stderr, each with the
 * run id and connector it is about; on a terminal the same events as short human lines. Nothing that
 * reaches it carries a secret: events are built from run records and error messages the MDE client
 * has already redacted.
 */
export function workerLogger(
  options: { human?: boolean; level?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const destination = options.destination ?? process.stderr;
  const human = options.human ?? (destination === process.stderr && process.stderr.isTTY === true);
  const base = { base: { pid: process.pid }, level: options.level ?? 'info' };
  if (!human)
    return pino(base, destination === process.stderr ? pino.destination({ fd: 2, sync: true }) : destination);
  return pino(base, humanLines(destination));
}

const SKIP = new Set(['level', 'time', 'pid', 'msg', 'hostname']);

/** A JSON line as `HH:MM:SS level message key=value ...`. */
function humanLines(out: NodeJS.WritableStream): Writable {
  const levels: Record<number, string> = {
    10: 'trace',
    20: 'debug',
    30: 'info',
    40: 'warn',
    50: 'error',
    60: 'fatal',
  };
  return new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        const event = JSON.parse(line) as Record<string, unknown>;
        const time = new Date(Number(event.time)).toISOString().slice(11, 19);
        const fields = Object.entries(event)
          .filter(([k]) => !SKIP.has(k))
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        out.write(
          `${time} ${levels[Number(event.level)] ?? 'info'} ${String(event.msg ?? '')}${fields ? ` ${fields}` : ''}\n`,
        );
      }
      done();
    },
  });
}
