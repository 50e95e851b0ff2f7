import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.js';

/**
 * A file-system error as users read it: `ENOENT (no such file or directory)`, without Node's
 * `, open '/path'` or `, write` tail, since the message names the path already.
 */
export function fileErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.message === 'string') {
    const text = e.message
      .replace(new RegExp(`^${e.code}:\\s*`), '')
      .replace(/,\s*\w+(\s+'[^']*'(\s*->\s*'[^']*')?)?$/, '');
    return `${e.code} (${text})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The message of a file a flag names that cannot be used: `--file: cannot read /x/y: ENOENT (...)`. */
export function flagFileMessage(flag: string, verb: 'read' | 'write', path: string, err: unknown): string {
  return `${flag}: cannot ${verb} ${path}: ${fileErrorReason(err)}`;
}

/** Reads the text file a flag names; a missing or unreadable file is bad input (exit 2) naming the flag. */
export function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(flagFileMessage(flag, 'read', path, err));
  }
}
