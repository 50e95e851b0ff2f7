import type { Kysely } from 'kysely';
import type { SqlDialect } from '../sql-dialect.js';

/**
 * The people and scripts of `mdec serve` (docs/api.md#authentication): `users` with a scrypt password
 * hash and a role, `sessions` kept server-side (only a hash of the cookie value is stored, so a copy of
 * the database signs nobody in) and `api_tokens`, stored hashed too. Plus the indexes the API's sorted
 * host lists page along (keyset: the sort column, then the id).
 */
export function usersSessionsTokensSchema(dialect: SqlDialect) {
  const id = (t: ReturnType<Kysely<unknown>['schema']['createTable']>) =>
    dialect === 'sqlite'
      ? t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity());
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await id(db.schema.createTable('users'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('address', 'text')
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

      await id(db.schema.createTable('api_tokens'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();

      for (const column of ['risk_score', 'name', 'last_seen'])
        await db.schema
          .createIndex(`hosts_${column}_id`)
          .ifNotExists()
          .on('hosts')
          .columns([column, 'id'])
          .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const column of ['risk_score', 'name', 'last_seen'])
        await db.schema.dropIndex(`hosts_${column}_id`).ifExists().execute();
      await db.schema.dropTable('api_tokens').ifExists().execute();
      await db.schema.dropTable('sessions').ifExists().execute();
      await db.schema.dropTable('users').ifExists().execute();
    },
  };
}
