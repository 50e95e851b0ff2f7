import { type RawBuilder, sql } from 'kysely';
import type { SqlDialect } from './sql-dialect.js';

/**
 * The database's own time, `offsetMs` from now, as the ISO 8601 UTC text every stored time uses
 * (`2026-12-02T21:30:00.123Z`, so stored times compare as text). What several processes, possibly
 * on several hosts, must agree on (who holds a sync lease, and until when) is judged by this one
 * clock, never by each host's own: PostgreSQL's `clock_timestamp()`, or the clock of the host
 * SQLite runs on (every process sharing a SQLite file runs on that host).
 */
export function databaseTime(dialect: SqlDialect, offsetMs = 0): RawBuilder<string> {
  if (dialect === 'postgres')
    return sql<string>`to_char((clock_timestamp() at time zone 'UTC') + make_interval(secs => ${offsetMs / 1000}::double precision), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const modifier = `${offsetMs >= 0 ? '+' : ''}${offsetMs / 1000} seconds`;
  return sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${modifier})`;
}
