import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db/open-store.js';
import { inReadBatch, renumberParameters } from '../../src/store/db/read-batches.js';
import { openTestStore, POSTGRES_AVAILABLE, type TestStore } from '../helpers/test-stores.js';

describe('renumbering parameters', () => {
  it('moves each $n up, and leaves string literals and quoted names alone', () => {
    expect(renumberParameters(`select "a$1", '$2 isn''t $3' from t where x = $1 and y > $12`, 4)).toBe(
      `select "a$1", '$2 isn''t $3' from t where x = $5 and y > $16`,
    );
    expect(renumberParameters('select $1', 0)).toBe('select $1');
  });
});

describe.runIf(POSTGRES_AVAILABLE)('read batches (postgres)', () => {
  let ts: TestStore;
  beforeAll(async () => {
    ts = await openTestStore('postgres');
  });
  afterAll(async () => {
    await ts?.drop();
  });

  /** Statements the server has completed in this database so far. */
  async function transactions(): Promise<number> {
    const engine = ts.store.engine;
    if (engine.kind !== 'postgres') throw new Error('a PostgreSQL store');
    const { rows } = await engine.pool.query<{ n: string }>(
      'select xact_commit::text as n from pg_stat_database where datname = current_database()',
    );
    return Number(rows[0]?.n);
  }

  it('sends reads issued together as one statement, each getting its own rows of every kind of value', async () => {
    const db = ts.store.db;
    const now = new Date().toISOString();
    await db
      .insertInto('users')
      .values([
        { name: 'ann', role: 'viewer', passwordHash: 'x', createdAt: now, updatedAt: now },
        { name: 'bob "b" \u00e9', role: 'admin', passwordHash: "it's", createdAt: now, updatedAt: now },
      ])
      .execute();
    const reads = () =>
      Promise.all([
        db.selectFrom('users').selectAll().orderBy('name', 'desc').execute(),
        db.selectFrom('users').select(['name']).where('role', '=', 'admin').execute(),
        db.selectFrom('users').select(['id']).where('name', '=', 'nobody').execute(),
        sql`select 0.1::float8 as a, 1e300::float8 as b, 0.3::real as c, 9007199254740991::bigint as d,
          null::text as e, true as f, -0.0::float8 as g, 'x
y'::text as h`
          .execute(db)
          .then((r) => r.rows),
      ]);
    const alone = await reads();
    const before = await transactions();
    const together = await inReadBatch(reads);
    // pg_stat_database counts with a delay of up to half a second.
    await new Promise((r) => setTimeout(r, 700));
    const after = await transactions();
    expect(together).toEqual(alone);
    expect(together[2]).toEqual([]);
    expect(after - before).toBeLessThanOrEqual(2);
  });

  it('fails every read of a round trip that fails, and refuses a write', async () => {
    const db = ts.store.db;
    const failing = inReadBatch(() =>
      Promise.all([
        db.selectFrom('users').selectAll().execute(),
        db
          .selectFrom('users')
          .select((eb) => eb.fn('no_such_function', []).as('x'))
          .execute(),
      ]),
    );
    await expect(failing).rejects.toThrow(/no_such_function/);
    await expect(
      inReadBatch(() => db.deleteFrom('users').where('name', '=', 'ann').execute()),
    ).rejects.toThrow('only reads may run inside a read batch');
    expect((await db.selectFrom('users').select('name').execute()).map((u) => u.name)).toContain('ann');
  });
});

describe.runIf(POSTGRES_AVAILABLE)('PostgreSQL settings of a store', () => {
  it('apply to every connection of the store, and the location’s own options take precedence', async () => {
    const ts = await openTestStore('postgres');
    const setting = async (location: string) => {
      const store = await openStore(location, { postgresSettings: { random_page_cost: '1.1' } });
      try {
        const rows = await Promise.all(
          [1, 2, 3].map(() =>
            sql<{ v: string }>`select current_setting('random_page_cost') as v`.execute(store.db),
          ),
        );
        return rows.map((r) => r.rows[0]!.v);
      } finally {
        await store.close();
      }
    };
    try {
      expect(await setting(ts.location)).toEqual(['1.1', '1.1', '1.1']);
      const url = new URL(ts.location);
      url.searchParams.set('options', '-c random_page_cost=2');
      expect(await setting(url.toString())).toEqual(['2', '2', '2']);
    } finally {
      await ts.drop();
    }
  });
});
