import type BetterSqlite3 from 'better-sqlite3';

/** Statements kept per connection: the distinct queries of a server are a few hundred at most. */
const CACHED_STATEMENTS = 500;

/**
 * The SQLite handle Kysely queries through, reusing a prepared statement for the same SQL text instead
 * of preparing it again on every query (Kysely's SQLite driver prepares each time). Preparing a
 * findings page (forty-odd columns through two joins) cost the API server about an eighth of its time
 * under load (docs/benchmarks.md#rest-api). A statement still being iterated (a streamed read) is
 * never handed out twice: a fresh one is prepared for the second reader.
 */
export function withStatementCache(sqlite: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (source: string): BetterSqlite3.Statement => {
    const hit = cache.get(source);
    if (hit && !hit.busy) {
      // Most recently used last: the first entry is the one to drop.
      cache.delete(source);
      cache.set(source, hit);
      return hit;
    }
    const statement = sqlite.prepare(source);
    if (!hit) {
      cache.set(source, statement);
      if (cache.size > CACHED_STATEMENTS) cache.delete(cache.keys().next().value!);
    }
    return statement;
  };
  return new Proxy(sqlite, {
    get(target, property) {
      if (property === 'prepare') return prepare;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
