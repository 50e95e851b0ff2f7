import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withPreparedStatements } from '../../src/store/db/postgres-prepared-statements.js';
import { openTestStore, POSTGRES_AVAILABLE, type TestStore } from '../helpers/test-stores.js';

/**
 * Reads a PostgreSQL connection has run before run as statements prepared on the server
 * (docs/architecture.md#prepared-statements): the same rows as unprepared, a bounded number per
 * connection, and a read whose table changed shape since it was prepared still answers.
 */
describe.runIf(POSTGRES_AVAILABLE)('prepared reads on PostgreSQL', () => {
  let ts: TestStore;
  let pool: pg.Pool;
  let db: Kysely<Record<string, Record<string, unknown>>>;
  /** Another process's connection, for migrations. */
  let other: pg.Client;

  beforeEach(async () => {
    ts = await openTestStore('postgres');
    // One connection, so that every query below runs on the connection whose statements are checked.
    pool = new pg.Pool({ connectionString: ts.location, max: 1 });
    db = new Kysely({
      dialect: new PostgresDialect({
        pool: withPreparedStatements(pool, { prepared: 3, remembered: 10 }) as never,
      }),
    });
    await sql`create table t (id integer primary key, name text)`.execute(db);
    await sql`insert into t values (1, 'one'), (2, 'two')`.execute(db);
    other = new pg.Client({ connectionString: ts.location });
    await other.connect();
  });
  afterEach(async () => {
    await other?.end();
    await db?.destroy();
    await ts?.drop();
  });

  const byIdQuery = (id: number) => db.selectFrom('t').selectAll().where('id', '=', id);
  const byId = (id: number) => byIdQuery(id).execute();
  const preparedTexts = async () =>
    (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map(
      (r) => r.statement,
    );
  const backend = async () =>
    (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;

  it('prepares a read on its second run, with the same answers, and no writes', async () => {
    const text = byIdQuery(1).compile().sql;
    expect(await byId(1)).toEqual([{ id: 1, name: 'one' }]);
    expect(await preparedTexts()).not.toContain(text);
    expect(await byId(2)).toEqual([{ id: 2, name: 'two' }]);
    expect(await preparedTexts()).toContain(text);
    expect(await byId(1)).toEqual([{ id: 1, name: 'one' }]);
    for (let i = 0; i < 2; i++) await db.updateTable('t').set({ name: 'uno' }).where('id', '=', 1).execute();
    expect((await preparedTexts()).some((s) => /^update/i.test(s))).toBe(false);
    expect(await byId(1)).toEqual([{ id: 1, name: 'uno' }]);
  });

  it('replaces a connection that has prepared its limit of reads', async () => {
    const first = await backend();
    // The second run prepares it: one of the connection's three.
    expect(await backend()).toBe(first);
    const reads = [
      () => db.selectFrom('t').select('id').where('id', '>', 0).execute(),
      () => db.selectFrom('t').select('name').where('id', '>', 0).execute(),
      () => db.selectFrom('t').select(['id', 'name']).where('id', '>', 0).execute(),
    ];
    for (const read of reads.slice(0, 2)) for (let i = 0; i < 2; i++) await read();
    expect(await preparedTexts()).toHaveLength(3);
    expect(await backend()).toBe(first);
    // A fourth read comes back: past the limit, so the connection is closed on release and a new
    // one opened, which has prepared nothing yet.
    for (let i = 0; i < 2; i++) await reads[2]!();
    expect(await backend()).not.toBe(first);
    expect(await preparedTexts()).toEqual([]);
    expect(await byId(2)).toEqual([{ id: 2, name: 'two' }]);
  });

  it('answers a prepared read after its table changed shape, and aborts it within a transaction', async () => {
    const allQuery = db.selectFrom('t').selectAll().orderBy('id');
    const all = () => allQuery.execute();
    await all();
    await all();
    expect(await preparedTexts()).toContain(allQuery.compile().sql);
    // Another process's migration.
    await other.query(`alter table t add column note text`);
    expect(await all()).toEqual([
      { id: 1, name: 'one', note: null },
      { id: 2, name: 'two', note: null },
    ]);
    await other.query(`alter table t add column size integer`);
    // The same read prepared again on the fresh connection, then the table changes within a transaction.
    await all();
    await all();
    await other.query(`alter table t drop column size`);
    await expect(
      db.transaction().execute(async (trx) => trx.selectFrom('t').selectAll().orderBy('id').execute()),
    ).rejects.toThrow(/cached plan must not change result type/);
    expect(await all()).toEqual([
      { id: 1, name: 'one', note: null },
      { id: 2, name: 'two', note: null },
    ]);
  });
});
