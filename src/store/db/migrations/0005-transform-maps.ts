import type { Kysely } from 'kysely';
import type { SqlDialect } from '../sql-dialect.js';

/**
 * Transform maps per connector (docs/data-model.md#transform-map-and-custom-fields): `transform_maps` holds a
 * connector's clone of the out-of-the-box map (no row: the connector uses the default map),
 * `transform_map_fields` its custom field mappings (source field, data type, target field). The default rows
 * themselves stay code-side data (src/normalize/field-mapping.ts), so a clone never goes stale against the
 * normalizers.
 */
export function transformMapsSchema(dialect: SqlDialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('transform_maps')
        .addColumn('connector_id', 'integer', (c) =>
          c.primaryKey().references('connectors.id').onDelete('cascade'),
        )
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('based_on', 'text', (c) => c.notNull().defaultTo('default'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      // SQLite wants INTEGER PRIMARY KEY AUTOINCREMENT; PostgreSQL an identity column (as 0001).
      await db.schema
        .createTable('transform_map_fields')
        .addColumn('id', 'integer', (c) =>
          dialect === 'sqlite'
            ? c.primaryKey().autoIncrement()
            : c.primaryKey().generatedByDefaultAsIdentity(),
        )
        .addColumn('connector_id', 'integer', (c) =>
          c.notNull().references('transform_maps.connector_id').onDelete('cascade'),
        )
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('source_field', 'text', (c) => c.notNull())
        .addColumn('data_type', 'text', (c) => c.notNull())
        .addColumn('target_field', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        // One value per attribute: two mappings into the same target would overwrite each other.
        .addUniqueConstraint('transform_map_fields_target', ['connector_id', 'entity', 'target_field'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('transform_map_fields').execute();
      await db.schema.dropTable('transform_maps').execute();
    },
  };
}
