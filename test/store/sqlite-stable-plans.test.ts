import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forEngine } from '../../src/store/db/store.js';
import { openTestStore, type TestStore } from '../helpers/test-stores.js';

/**
 * On SQLite every bound value is written `+?` (docs/architecture.md#stable-plans-on-sqlite): each
 * comparison, insert and limit must give what a bare `?` gives, for every kind of value and column.
 */
describe('bound values on SQLite', () => {
  let ts: TestStore;
  let db: Kysely<Record<string, Record<string, unknown>>>;
  /** The same SQL with bare parameters, straight through better-sqlite3. */
  let bare: (text: string, values: unknown[]) => unknown[];

  beforeEach(async () => {
    ts = await openTestStore('sqlite');
    db = ts.store.db as unknown as typeof db;
    bare = forEngine(ts.store.engine, {
      sqlite: (sqlite) => (text: string, values: unknown[]) => sqlite.prepare(text).all(...values),
      postgres: () => {
        throw new Error('SQLite only');
      },
    });
    await sql`create table v (id integer primary key, n integer, r real, t text, c text collate nocase, b blob)`.execute(
      db,
    );
    await sql`create index v_n on v (n)`.execute(db);
  });
  afterEach(async () => {
    await ts?.drop();
  });

  it('is how the store writes a bound value', () => {
    expect(db.selectFrom('v').selectAll().where('n', '=', 1).limit(2).compile().sql).toBe(
      'select * from "v" where "n" = +? limit +?',
    );
  });

  it('stores, compares and limits as a bare parameter does', async () => {
    const rows = [
      { n: '12', r: 1, t: 12, c: 'Alpha', b: Buffer.from([1, 2]) },
      { n: 3, r: '2.5', t: 'x', c: 'beta', b: null },
      { n: null, r: null, t: null, c: null, b: Buffer.from([]) },
    ];
    for (const row of rows) await db.insertInto('v').values(row).execute();
    // Column affinity applied on the way in, as for a bare parameter.
    expect(bare('select typeof(n) n, typeof(r) r, typeof(t) t from v order by id', [])).toEqual([
      { n: 'integer', r: 'real', t: 'text' },
      { n: 'integer', r: 'real', t: 'text' },
      { n: 'null', r: 'null', t: 'null' },
    ]);
    const same = async (column: string, op: string, value: unknown) => {
      const mine = await db
        .selectFrom('v')
        .select('id')
        .where(column, op as never, value)
        .orderBy('id')
        .execute();
      const theirs = bare(`select id from v where ${column} ${op} ? order by id`, [value]);
      expect(mine, `${column} ${op} ${String(value)}`).toEqual(theirs);
    };
    await same('n', '=', 12);
    await same('n', '=', '12');
    await same('n', '>', '4');
    await same('t', '=', 12);
    await same('t', '=', '12');
    await same('r', '=', '2.5');
    await same('c', '=', 'ALPHA');
    await same('c', '<', 'B');
    await same('b', '=', Buffer.from([1, 2]));
    await same('n', 'is', null);
    await same('t', 'like', 'X%');
    const listed = await db.selectFrom('v').select('id').where('n', 'in', [3, '12']).orderBy('id').execute();
    expect(listed).toEqual(bare('select id from v where n in (?, ?) order by id', [3, '12']));
    expect(await db.selectFrom('v').select('id').orderBy('id').limit(2).offset(1).execute()).toEqual([
      { id: 2 },
      { id: 3 },
    ]);
  });
});
