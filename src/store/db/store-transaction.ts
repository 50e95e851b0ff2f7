import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/**
 * Runs `work` in one transaction of the store: `work` gets a store whose queries all go through
 * that transaction, so every repository built on it writes inside it, and a failure anywhere rolls
 * all of it back. A repository that opens a transaction of its own on that store joins this one
 * instead (Kysely cannot nest them). Only the query builder is bound: code that takes the
 * PostgreSQL pool directly (bulk paths) would run outside, so `work` must not use it.
 */
export async function inStoreTransaction<T>(store: Store, work: (tx: Store) => Promise<T>): Promise<T> {
  return store.db.transaction().execute((trx) => work({ ...store, db: joining(trx) }));
}

/** The transaction, whose `transaction()` runs the inner work in it rather than failing. */
function joining(trx: Transaction<Database>): Kysely<Database> {
  const joined: Kysely<Database> = new Proxy(trx, {
    get(target, property) {
      if (property === 'transaction')
        return () => ({ execute: <R>(inner: (t: Kysely<Database>) => Promise<R>) => inner(joined) });
      const value = Reflect.get(target, property, target);
      // Kysely keeps its state in private fields: its methods must run on the transaction itself.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return joined;
}
