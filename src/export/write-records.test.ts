import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeRecords } from './write-records.js';

async function* records(...rows: Record<string, unknown>[]) {
  yield* rows;
}

async function csv(rows: Record<string, unknown>[], columns?: readonly string[]): Promise<string[]> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeRecords(records(...rows), 'csv', out, columns ? { columns: async () => columns } : {});
  out.end();
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\r\n')
    .filter((line) => line !== '');
}

describe('writeRecords, CSV', () => {
  it('takes the header from the kind, whichever record comes first', async () => {
    const lines = await csv(
      [{ id: 1 }, { id: 2, defenderAgentVersion: '10.8' }],
      ['id', 'defenderAgentVersion'],
    );
    expect(lines).toEqual(['id,defenderAgentVersion', '1,', '2,10.8']);
  });

  it('adds the keys of the first record that the kind does not declare, after the declared ones', async () => {
    expect(await csv([{ extra: 'x', id: 1 }], ['id'])).toEqual(['id,extra', '1,x']);
  });

  it('writes the header of an empty export', async () => {
    expect(await csv([], ['id', 'name'])).toEqual(['id,name']);
  });

  it('without declared columns, uses the first record', async () => {
    expect(await csv([{ a: 1, b: 2 }])).toEqual(['a,b', '1,2']);
  });
});
