import { CamelCasePlugin, type QueryResult, type UnknownRow } from 'kysely';
import { describe, expect, it } from 'vitest';
import { CompiledCamelCasePlugin } from './camel-case-rows.js';

type Args = Parameters<CamelCasePlugin['transformResult']>[0];
const argsOf = (rows: UnknownRow[]): Args =>
  ({ queryId: { queryId: 'q' }, result: { rows } as QueryResult<UnknownRow> }) as Args;

/** Kysely's own plugin and the compiled one, on copies of the same rows. */
async function both(rows: UnknownRow[]) {
  const copy = () => rows.map((r) => ({ ...r }));
  const expected = await new CamelCasePlugin().transformResult(argsOf(copy()));
  const actual = await new CompiledCamelCasePlugin().transformResult(argsOf(copy()));
  return { expected: expected.rows, actual: actual.rows };
}

describe('CompiledCamelCasePlugin', () => {
  it('renames every row of a result as Kysely’s plugin does, nested objects and arrays included', async () => {
    const when = new Date(0);
    const bytes = Buffer.from('ab');
    const rows = [
      { risk_score: 1, host_id: '3', last_seen: null, blob_value: bytes, at_time: when },
      { risk_score: 2, host_id: '4', last_seen: 'x', blob_value: null, at_time: null },
      {
        risk_score: { inner_key: 1 },
        host_id: [{ list_key: 2 }, 3],
        last_seen: [],
        blob_value: 0,
        at_time: 1,
      },
    ];
    const { expected, actual } = await both(rows);
    expect(actual).toEqual(expected);
    for (let i = 0; i < rows.length; i++) expect(Object.keys(actual[i]!)).toEqual(Object.keys(expected[i]!));
    expect(actual[0]).toEqual({ riskScore: 1, hostId: '3', lastSeen: null, blobValue: bytes, atTime: when });
    expect(actual[2]!.riskScore).toEqual({ innerKey: 1 });
    expect(actual[2]!.hostId).toEqual([{ listKey: 2 }, 3]);
  });

  it('keeps Kysely’s behaviour for columns that rename alike and for `__proto__`', async () => {
    for (const rows of [
      [{ a_b: 1, aB: 2, c: 3 }],
      [JSON.parse('{"name":"x","__proto__":{"polluted":true}}') as UnknownRow],
    ]) {
      const { expected, actual } = await both(rows);
      expect(actual).toEqual(expected);
      expect(Object.keys(actual[0]!)).toEqual(Object.keys(expected[0]!));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('gives each shape its own mapper', async () => {
    const plugin = new CompiledCamelCasePlugin();
    const first = await plugin.transformResult(argsOf([{ one_col: 1 }]));
    const second = await plugin.transformResult(argsOf([{ other_col: 2, one_col: 3 }]));
    const empty = await plugin.transformResult(argsOf([]));
    expect(first.rows).toEqual([{ oneCol: 1 }]);
    expect(second.rows).toEqual([{ otherCol: 2, oneCol: 3 }]);
    expect(empty.rows).toEqual([]);
  });
});
