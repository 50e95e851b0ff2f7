import { Kysely, type PostgresDialect } from 'kysely';
import type pg from 'pg';
import { CompiledCamelCasePlugin } from './camel-case-rows.js';
import { PostgresFlatSqlDialect } from './flat-sql-compiler.js';
import type { Database } from './schema.js';
import { markStoreError, withStoreErrors } from './store-failure.js';

/**
 * Runs `work` in one transaction on one connection of the pool, handing it both the raw client (for
 * what Kysely cannot send, such as `COPY ... FROM STDIN`) and a Kysely bound to the same connection,
 * so everything it writes commits or rolls back together. A failed transaction's connection is closed
 * rather than returned to the pool: a COPY cut off midway leaves it in no state to reuse.
 */
export async function inPostgresTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient, db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw markStoreError(err);
  }
  const db = new Kysely<Database>({
    dialect: withStoreErrors(
      new PostgresFlatSqlDialect({
        // The one connection, lent to Kysely and never returned by it: it goes back to the pool below.
        pool: {
          connect: async () => ({ query: client.query.bind(client), release() {} }),
          end: async () => {},
        },
      } as unknown as ConstructorParameters<typeof PostgresDialect>[0]),
    ),
    plugins: [new CompiledCamelCasePlugin()],
  });
  let failed = false;
  try {
    await client.query('BEGIN');
    const out = await work(client, db);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    failed = true;
    await client.query('ROLLBACK').catch(() => {});
    throw markStoreError(err);
  } finally {
    client.release(failed);
  }
}
