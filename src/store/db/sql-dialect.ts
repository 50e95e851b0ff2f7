/**
 * The two databases the store runs on (docs/architecture.md#parts): embedded SQLite, or PostgreSQL at scale.
 */
export type SqlDialect = 'sqlite' | 'postgres';

/** `postgres://` or `postgresql://` selects PostgreSQL; anything else is a SQLite file path. */
export function dialectOf(location: string): SqlDialect {
  return /^postgres(ql)?:\/\//i.test(location) ? 'postgres' : 'sqlite';
}
