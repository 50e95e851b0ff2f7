import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { csvCell } from './csv-cell.js';
import type { ExportFormat } from './export-kinds.js';

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Streams records to `out` as a JSON array, JSON lines or CSV, honouring back-pressure, so an export
 * of millions of rows needs no more memory than one page. CSV columns are those of the first record.
 */
export async function writeRecords(
  records: AsyncIterable<Record<string, unknown>>,
  format: ExportFormat,
  out: Writable,
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
  if (buffer) await write(out, buffer);
  return count;
}
