import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { csvCell } from './csv-cell.js';
import type { ExportFormat } from './export-kinds.js';

/** Writes with back-pressure; a destination that failed or closed stops the writer instead of hanging it. */
async function write(out: Writable, text: string): Promise<void> {
  if (out.errored) throw out.errored;
  if (out.destroyed) throw new Error('the output was closed');
  // `once` rejects when the stream emits 'error' while it waits.
  if (!out.write(text)) await once(out, 'drain');
}

export interface WriteRecordsOptions {
  /**
   * The CSV columns of the kind, read once before the first row: every CSV export of a kind has the
   * same header, whichever record comes first, and an empty one still has its header row. Keys of the
   * first record that it lacks are added after them.
   */
  columns?: () => Promise<readonly string[]>;
}

/**
 * Streams records to `out` as a JSON array, JSON lines or CSV, honouring back-pressure, so an export
 * of millions of rows needs no more memory than one page.
 */
export async function writeRecords(
  records: AsyncIterable<Record<string, unknown>>,
  format: ExportFormat,
  out: Writable,
  options: WriteRecordsOptions = {},
): Promise<number> {
  let count = 0;
  const declared = format === 'csv' && options.columns ? await options.columns() : [];
  let columns: string[] | undefined;
  let buffer = '';
  const flushAt = 1 << 16;
  if (format === 'json') buffer += '[';
  for await (const record of records) {
    if (format === 'ndjson') buffer += `${JSON.stringify(record)}\n`;
    else if (format === 'json') buffer += `${count === 0 ? '\n' : ',\n'}${JSON.stringify(record)}`;
    else {
      if (!columns) {
        columns = [...declared, ...Object.keys(record).filter((key) => !declared.includes(key))];
        buffer += `${columns.map(csvCell).join(',')}\r\n`;
      }
      buffer += `${columns.map((c) => csvCell(record[c])).join(',')}\r\n`;
    }
    count++;
    if (buffer.length >= flushAt) {
      await write(out, buffer);
      buffer = '';
    }
  }
  if (format === 'json') buffer += count === 0 ? ']\n' : '\n]\n';
  if (format === 'csv' && count === 0 && declared.length > 0)
    buffer += `${declared.map(csvCell).join(',')}\r\n`;
  if (buffer) await write(out, buffer);
  return count;
}
