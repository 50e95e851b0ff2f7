import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { SqlDialect } from '../sql-dialect.js';

/**
 * Vulnerability definitions in depth (CVSS components and computed scores,
 * exploit maturity, references, affected software, patch availability) and each host's risk (score,
 * level, most severe vulnerability and alert, open vulnerability count). Additive only.
 */
export function definitionsAndHostRisk(dialect: SqlDialect) {
  const real = dialect === 'sqlite' ? 'real' : 'double precision';
  const json = (empty: string) => (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(empty);
  const columns = (
    table: string,
    list: Array<[string, string, ((c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder)?]>,
  ) => list.map(([name, type, f]) => ({ table, name, type, f }));

  const definitionColumns = columns('vulnerability_definitions', [
    ['cvss_v3_version', 'text'],
    ['cvss_v3_vector', 'text'],
    ['cvss_v3_components', 'text', json('{}')],
    ['cvss_v3_base_score', real],
    ['cvss_v3_temporal_score', real],
    ['cvss_v3_score_agrees', 'integer'],
    ['cvss_v3_score_difference', real],
    ['cvss_v2_vector', 'text'],
    ['cvss_v2_components', 'text', json('{}')],
    ['cvss_v2_base_score', real],
    ['cvss_v2_temporal_score', real],
    ['cvss_parse_error', 'text'],
    ['exploit_maturity', 'text'],
    ['exploit_maturity_rank', 'integer'],
    ['reference_urls', 'text', json('[]')],
    ['affected_software', 'text', json('[]')],
    ['affected_software_count', 'integer'],
    ['recommendation_ids', 'text', json('[]')],
    ['patch_available', 'integer'],
    ['derived_at', 'text'],
  ]);
  const hostColumns = columns('hosts', [
    ['open_vulnerability_count', 'integer'],
    ['top_vulnerability_cve_id', 'text'],
    ['top_vulnerability_severity', 'integer'],
    ['top_vulnerability_score', real],
    ['top_alert_id', 'text'],
    ['top_alert_title', 'text'],
    ['top_alert_severity', 'text'],
    ['open_alert_count', 'integer'],
    ['risk_changed_at', 'text'],
  ]);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const c of [...definitionColumns, ...hostColumns]) {
        await db.schema
          .alterTable(c.table)
          .addColumn(c.name, c.type as 'text', c.f ?? ((x) => x))
          .execute();
      }
      // Views filter and sort on these (maturity and computed scores as real columns).
      await db.schema
        .createIndex('vulnerability_definitions_maturity')
        .on('vulnerability_definitions')
        .columns(['connector_id', 'exploit_maturity_rank'])
        .execute();
      await db.schema
        .createIndex('vulnerability_definitions_v3_score')
        .on('vulnerability_definitions')
        .columns(['connector_id', 'cvss_v3_base_score'])
        .execute();
      await db.schema.createIndex('hosts_risk').on('hosts').columns(['risk_score']).execute();
    },
  };
}
