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
   * The CSV columns when there is no record to take them from, so an empty CSV export still has its
   * header row. Called only then.
   */
  emptyColumns?: () => Promise<readonly string[]>;
}

/**
 * Streams records to `out` as a JSON array, JSON lines or CSV, honouring back-pressure, so an export
 * of millions of rows needs no more memory than one page. CSV columns are those of the first record.
 */
export async function writeRecords(
  records: AsyncIterable<Record<string, unknown>>,
  format: ExportFormat,
  out: Writable,
  options: WriteRecordsOptions = {},
): Promise<number> {
  let count = 0;
  let columns: string[] | undefined;
  let buffer = '';
  const flushAt = 1 << 16;
  if (format === 'json') buffer += '[';
  for await (const record of records) {
    if (format === 'ndjson') buffer += `${JSON.stringify(record)}\n`;
    else if (format === 'json') buffer += `${count === 0 ? '\n' : ',\n'}${JSON.stringify(record)}`;
    else {
      if (!columns) {
        columns = Object.keys(record);
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
  if (format === 'csv' && count === 0 && options.emptyColumns) {
    const header = await options.emptyColumns();
    if (header.length > 0) buffer += `${header.map(csvCell).join(',')}\r\n`;
  }
  if (buffer) await write(out, buffer);
  return count;
}
