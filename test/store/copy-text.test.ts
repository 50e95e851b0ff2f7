import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CopyTextValue, copyTextField, copyTextRow } from '../../src/store/db/copy-text.js';
import { PG_ADMIN_URL, POSTGRES_AVAILABLE } from '../helpers/test-stores.js';

describe('COPY text fields', () => {
  it('escapes what would end a field or a row, and marks null', () => {
    expect(copyTextField(null)).toBe('\\N');
    expect(copyTextField('\\N')).toBe('\\\\N');
    expect(copyTextField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyTextField('\\.')).toBe('\\\\.');
    expect(copyTextField(1.5)).toBe('1.5');
    expect(copyTextField(-0)).toBe('-0');
    expect(copyTextRow(['x', null, 3])).toBe('x\t\\N\t3\n');
  });
});

/** Rows of (text, bigint, double precision) read back as they were copied in. */
describe.skipIf(!POSTGRES_AVAILABLE)('COPY text rows through PostgreSQL', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    await client.query('CREATE TEMPORARY TABLE copied (n integer, t text, i bigint, r double precision)');
  });
  afterAll(async () => {
    await client.end();
  });

  async function roundTrip(rows: Array<[string | null, number | null, number | null]>) {
    await client.query('TRUNCATE copied');
    const lines = rows.map((r, n) => copyTextRow([n, ...r] as CopyTextValue[]));
    await pipeline(Readable.from(lines), client.query(copyFrom('COPY copied (n, t, i, r) FROM STDIN')));
    const { rows: back } = await client.query<{ t: string | null; i: string | null; r: number | null }>(
      'SELECT t, i, r FROM copied ORDER BY n',
    );
    return back.map((b) => [b.t, b.i === null ? null : Number(b.i), b.r]);
  }

  it('keeps tabs, newlines, backslashes, nulls, unicode and JSON text', async () => {
    const rows: Array<[string | null, number | null, number | null]> = [
      ['tab\there', 1, 0.5],
      ['line\nbreak\r\nand return\r', -2, -1e-300],
      ['back\\slash \\N \\. \\t', 0, 1.7976931348623157e308],
      [null, null, null],
      ['', 9007199254740991, 0],
      ['\\N', 3, Number.NaN],
      ['ünïcødé ✓ 𝄞 日本語 🙂', 4, Number.POSITIVE_INFINITY],
      [JSON.stringify({ path: 'C:\\Program Files\\x', list: ['a\tb', 'c\nd'], q: '"quoted"' }), 5, 2.25],
      ['\\.', 6, Number.NEGATIVE_INFINITY],
    ];
    expect(await roundTrip(rows)).toEqual(rows);
  });

  it('round-trips any text without NUL (PostgreSQL text cannot hold it) and any double', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.option(
              fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
              { nil: null },
            ),
            fc.option(fc.maxSafeInteger(), { nil: null }),
            fc.option(fc.double(), { nil: null }),
          ),
          { maxLength: 20 },
        ),
        async (rows) => {
          expect(await roundTrip(rows)).toEqual(rows);
        },
      ),
      { numRuns: 60 },
    );
  });
});
