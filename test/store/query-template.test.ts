import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueryTemplates, queryTemplate } from '../../src/store/db/query-template.js';
import type { Store } from '../../src/store/db/store.js';
import { inStoreTransaction } from '../../src/store/db/store-transaction.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;
const anyDb = (store: Store) => store.db as unknown as AnyDb;

/**
 * A read compiled once per database handle and run with new values
 * (docs/architecture.md#query-templates) reads what the same query built with those values reads.
 */
describe.each(STORE_KINDS)('query templates (%s)', (storeKind) => {
  let ts: TestStore;

  beforeEach(async () => {
    ts = await openTestStore(storeKind);
    await sql`create table qt (id integer primary key, n integer, t text)`.execute(ts.store.db);
    const rows = [
      { id: 1, n: 1, t: 'a' },
      { id: 2, n: 1, t: 'b' },
      { id: 3, n: 2, t: 'a' },
      { id: 4, n: null, t: 'c' },
      { id: 5, n: 2, t: null },
    ];
    await anyDb(ts.store).insertInto('qt').values(rows).execute();
  });
  afterEach(async () => {
    await ts?.drop();
  });

  /** Rows with `n` equal to a value and `t` not equal to a constant, the first `limit` by id. */
  const build = (store: Store, n: unknown, limit: unknown) =>
    anyDb(store)
      .selectFrom('qt')
      .select(['id', 't'])
      .where('n', '=', n)
      .where('t', '<>', 'b')
      .orderBy('id')
      .limit(limit as number);

  it('reads what the query built with each run values reads, compiling once', async () => {
    let builds = 0;
    const read = queryTemplate((store, n: number | null, limit: number) => {
      builds++;
      return build(store, n, limit);
    });
    for (const [n, limit] of [
      [1, 10],
      [2, 1],
      [2, 10],
      [3, 10],
      [null, 10],
    ] as const) {
      expect(await read(ts.store, n, limit)).toEqual(await build(ts.store, n, limit).execute());
    }
    expect(await read(ts.store, 1, 10)).toEqual([{ id: 1, t: 'a' }]);
    expect(builds).toBe(1);
  });

  it('binds a value used twice in both places', async () => {
    const read = queryTemplate((store, n: number) =>
      anyDb(store)
        .selectFrom('qt')
        .select('id')
        .where((eb) => eb.or([eb('n', '=', n), eb('id', '=', n)]))
        .orderBy('id'),
    );
    expect((await read(ts.store, 2)).map((r) => r.id)).toEqual([2, 3, 5]);
    expect((await read(ts.store, 4)).map((r) => r.id)).toEqual([4]);
  });

  it("compiles again for a transaction's handle, which reads its own writes", async () => {
    let builds = 0;
    const read = queryTemplate((store, n: number) => {
      builds++;
      return build(store, n, 100);
    });
    expect(await read(ts.store, 7)).toEqual([]);
    await inStoreTransaction(ts.store, async (tx) => {
      await anyDb(tx).insertInto('qt').values({ id: 6, n: 7, t: 'z' }).execute();
      expect(await read(tx, 7)).toEqual([{ id: 6, t: 'z' }]);
    });
    expect(builds).toBe(2);
    expect(await read(ts.store, 7)).toEqual([{ id: 6, t: 'z' }]);
  });

  it('keeps one read per shape key, and refuses a run with the wrong number of values', async () => {
    const built: string[] = [];
    const reads = new QueryTemplates<{ byText: boolean }>(
      (shape) => (shape.byText ? 'text' : 'number'),
      (store, shape, values) => {
        built.push(shape.byText ? 'text' : 'number');
        const q = anyDb(store).selectFrom('qt').select('id').orderBy('id');
        return shape.byText ? q.where('t', '=', values[0]) : q.where('n', '=', values[0]);
      },
    );
    const ids = async (byText: boolean, value: unknown) =>
      (await reads.run(ts.store, { byText }, [value])).map((r) => r.id);
    expect(await ids(true, 'a')).toEqual([1, 3]);
    expect(await ids(false, 1)).toEqual([1, 2]);
    expect(await ids(true, 'c')).toEqual([4]);
    expect(await ids(false, 2)).toEqual([3, 5]);
    expect(built).toEqual(['text', 'number']);
    await expect(reads.run(ts.store, { byText: true }, ['a', 'b'])).rejects.toThrow(
      'the read "text" takes 1 values, not 2',
    );
  });
});
