import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, statSync, unlinkSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { flagFileMessage } from './flag-files.js';
import { UsageError } from './usage-error.js';

/** Machine output (`--json`): one JSON document on stdout, or on `out`. */
export function printJson(value: unknown, out: Writable = process.stdout): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table for people. */
export function printTable(headers: string[], rows: string[][], out: Writable = process.stdout): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  out.write(`${line(headers)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) out.write(`${line(r)}\n`);
}

/**
 * Runs `write` against standard output, or against the file `path` (the value of `flag`, `--out`)
 * when one is given. Every command that writes a file goes through here, and keeps its rule: the
 * file is written beside its final name under a temporary one and renamed over it only once complete
 * and flushed, so a failure or Ctrl-C leaves the previous file untouched and no partial file behind.
 * A place that cannot be written is bad input (exit 2) naming the flag; a failure while writing is a
 * failure (exit 1) naming it too.
 */
export async function writeOutput<T>(
  path: string | undefined,
  write: (out: Writable) => Promise<T>,
  flag = '--out',
): Promise<T> {
  if (path === undefined) return write(process.stdout);
  const target = resolve(path);
  let mode = 0o666;
  try {
    const existing = statSync(target);
    if (existing.isDirectory()) throw new UsageError(`${flag}: ${path} is a directory; name a file`);
    // A file written again keeps its permissions.
    mode = existing.mode & 0o777;
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.partial`,
  );
  // The last resort when the process ends before the promise settles (Ctrl-C, a closed pipe).
  const removeOnExit = () => {
    try {
      unlinkSync(temp);
    } catch {}
  };
  process.on('exit', removeOnExit);
  try {
    const out = createWriteStream(temp, { flags: 'wx', mode, flush: true });
    // Errors surface through `out.errored`, a rejected wait or `finished`, never as an uncaught event.
    out.on('error', () => {});
    try {
      await once(out, 'open');
    } catch (err) {
      throw new UsageError(flagFileMessage(flag, 'write', path, err));
    }
    try {
      const result = await write(out);
      out.end();
      await finished(out);
      await rename(temp, target);
      return result;
    } catch (err) {
      out.destroy();
      await rm(temp, { force: true });
      if (isFileSystemError(err)) throw new Error(flagFileMessage(flag, 'write', path, err), { cause: err });
      throw err;
    }
  } finally {
    process.off('exit', removeOnExit);
  }
}

function isFileSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}
