import type { Kysely } from 'kysely';
import type { SqlDialect } from '../sql-dialect.js';

/**
 * `host_identifiers` holds what each host source says identifies its device
 * (one row per machine id, AAD device id, FQDN, hostname and IP+MAC pair), indexed by kind and value
 * so that a sync batch resolves identification-rule candidates with indexed lookups.
 * `profiles` and `host_profiles` are the dynamic `OS` / `OS_VERSION` profiles.
 */
export function identityAndProfiles(dialect: SqlDialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('host_identifiers')
        .addColumn('source_id', 'integer', (c) =>
          c.notNull().references('host_sources.id').onDelete('cascade'),
        )
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('host_identifiers_value')
        .on('host_identifiers')
        .columns(['kind', 'value'])
        .execute();
      await db.schema
        .createIndex('host_identifiers_source')
        .on('host_identifiers')
        .column('source_id')
        .execute();

      let t = db.schema.createTable('profiles');
      t =
        dialect === 'sqlite'
          ? t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          : t.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity());
      await t
        .addColumn('connector_id', 'integer', (c) =>
          c.notNull().references('connectors.id').onDelete('cascade'),
        )
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('os_platform', 'text', (c) => c.notNull())
        .addColumn('os_version', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('profiles_name')
        .unique()
        .on('profiles')
        .columns(['connector_id', 'kind', 'name'])
        .execute();

      await db.schema
        .createTable('host_profiles')
        .addColumn('host_id', 'integer', (c) => c.notNull().references('hosts.id').onDelete('cascade'))
        .addColumn('profile_id', 'integer', (c) => c.notNull().references('profiles.id').onDelete('cascade'))
        .addColumn('connector_id', 'integer', (c) =>
          c.notNull().references('connectors.id').onDelete('cascade'),
        )
        .addColumn('match_score', 'integer', (c) => c.notNull())
        .addColumn('assigned_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('host_profiles_pk', ['host_id', 'profile_id'])
        .execute();
      await db.schema.createIndex('host_profiles_profile').on('host_profiles').column('profile_id').execute();
      await db.schema
        .createIndex('host_profiles_connector')
        .on('host_profiles')
        .columns(['connector_id', 'host_id'])
        .execute();
    },
  };
}
