import type { Kysely } from 'kysely';
import type { SqlDialect } from '../sql-dialect.js';

/**
 * Per-connector scoring maps (docs/data-model.md#scoring-map): the ordered rows as JSON text and
 * the default severity and score. A connector without a row here uses the built-in default map.
 */
export function scoringSchema(dialect: SqlDialect) {
  const real = dialect === 'sqlite' ? 'real' : 'double precision';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('scoring_maps')
        .addColumn('connector_id', 'integer', (c) =>
          c.primaryKey().references('connectors.id').onDelete('cascade'),
        )
        .addColumn('rows', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('default_severity', 'integer', (c) => c.notNull())
        .addColumn('default_score', real, (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('scoring_maps').execute();
    },
  };
}
