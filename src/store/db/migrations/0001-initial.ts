import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely';
import { createFindingIndexes } from '../../findings/finding-indexes.js';
import type { SqlDialect } from '../sql-dialect.js';

type Table = CreateTableBuilder<string, string>;

/** The first schema: the tables of docs/data-model.md that the sync engine writes. */
export function initialSchema(dialect: SqlDialect) {
  // SQLite wants INTEGER PRIMARY KEY AUTOINCREMENT; PostgreSQL an identity column.
  const id = (t: Table) =>
    dialect === 'sqlite'
      ? t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity());
  const text = (t: Table, name: string, f?: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder) =>
    t.addColumn(name, 'text', f);
  const json = (t: Table, name: string, empty = '[]') =>
    t.addColumn(name, 'text', (c) => c.notNull().defaultTo(empty));
  const bool = (t: Table, name: string) => t.addColumn(name, 'integer');
  const int = (t: Table, name: string) => t.addColumn(name, dialect === 'sqlite' ? 'integer' : 'bigint');
  const real = (t: Table, name: string) =>
    t.addColumn(name, dialect === 'sqlite' ? 'real' : 'double precision');
  const bookkeeping = (t: Table) =>
    json(
      t
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('seen_run_id', 'integer', (c) => c.notNull()),
      'extra',
      '{}',
    ).addColumn('updated_at', 'text', (c) => c.notNull());

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      let t = id(db.schema.createTable('connectors'));
      t = text(t, 'name', (c) => c.notNull().unique());
      t = text(t, 'kind', (c) => c.notNull().defaultTo('mde'));
      t = text(t, 'network', (c) => c.notNull().defaultTo('default'));
      t = text(t, 'tenant_id', (c) => c.notNull());
      t = text(t, 'client_id', (c) => c.notNull());
      t = text(t, 'secret_encrypted');
      t = text(t, 'certificate_encrypted');
      t = text(t, 'cloud', (c) => c.notNull());
      t = text(t, 'api_url', (c) => c.notNull());
      t = text(t, 'login_url', (c) => c.notNull());
      t = text(t, 'scope', (c) => c.notNull());
      t = t.addColumn('active', 'integer', (c) => c.notNull().defaultTo(1));
      t = text(t, 'schedule');
      t = json(t, 'options', '{}');
      t = text(t, 'state', (c) => c.notNull().defaultTo('registered'));
      t = t.addColumn('last_run_id', 'integer');
      t = text(t, 'created_at', (c) => c.notNull());
      t = text(t, 'updated_at', (c) => c.notNull());
      await t.execute();

      t = id(db.schema.createTable('sync_runs'));
      t = t.addColumn('connector_id', 'integer', (c) =>
        c.notNull().references('connectors.id').onDelete('cascade'),
      );
      t = text(t, 'mode', (c) => c.notNull());
      t = text(t, 'trigger', (c) => c.notNull());
      t = text(t, 'state', (c) => c.notNull());
      t = text(t, 'started_at', (c) => c.notNull());
      t = text(t, 'finished_at');
      t = json(t, 'counters', '{}');
      t = t.addColumn('api_calls', 'integer', (c) => c.notNull().defaultTo(0));
      t = t.addColumn('retries', 'integer', (c) => c.notNull().defaultTo(0));
      t = int(t, 'throttled_ms');
      t = text(t, 'snapshot_time');
      t = text(t, 'error');
      await t.execute();
      await db.schema
        .createIndex('sync_runs_connector')
        .on('sync_runs')
        .columns(['connector_id', 'id'])
        .execute();

      await db.schema
        .createTable('sync_checkpoints')
        .addColumn('connector_id', 'integer', (c) =>
          c.notNull().references('connectors.id').onDelete('cascade'),
        )
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('sync_checkpoints_pk', ['connector_id', 'stream'])
        .execute();

      t = id(db.schema.createTable('hosts'));
      t = text(t, 'identity_key', (c) => c.notNull().unique());
      t = text(t, 'name', (c) => c.notNull());
      for (const c of ['fqdn', 'hostname']) t = text(t, c);
      t = json(t, 'ip_addresses');
      t = json(t, 'mac_addresses');
      for (const c of [
        'os_platform',
        'os_version',
        'os_build',
        'os_architecture',
        'first_seen',
        'last_seen',
        'risk_level',
      ]) {
        t = text(t, c);
      }
      t = real(t, 'risk_score');
      t = text(t, 'status', (c) => c.notNull().defaultTo('active'));
      t = text(t, 'network', (c) => c.notNull().defaultTo('default'));
      t = json(t, 'tags');
      t = json(t, 'custom_attributes', '{}');
      t = text(t, 'created_at', (c) => c.notNull());
      t = text(t, 'updated_at', (c) => c.notNull());
      await t.execute();
      await db.schema.createIndex('hosts_name').on('hosts').column('name').execute();
      await db.schema.createIndex('hosts_status').on('hosts').columns(['status', 'last_seen']).execute();

      t = id(db.schema.createTable('host_sources'));
      t = t.addColumn('host_id', 'integer', (c) => c.notNull().references('hosts.id').onDelete('cascade'));
      t = t.addColumn('connector_id', 'integer', (c) =>
        c.notNull().references('connectors.id').onDelete('cascade'),
      );
      t = text(t, 'source', (c) => c.notNull().defaultTo('Defender'));
      t = text(t, 'machine_id', (c) => c.notNull());
      for (const c of [
        'aad_device_id',
        'computer_dns_name',
        'last_ip_address',
        'last_external_ip_address',
        'agent_version',
        'health_status',
        'device_value',
      ]) {
        t = text(t, c);
      }
      t = t.addColumn('rbac_group_id', 'integer');
      for (const c of ['rbac_group_name', 'risk_score', 'exposure_level']) t = text(t, c);
      t = bool(t, 'is_aad_joined');
      t = text(t, 'onboarding_status');
      t = json(t, 'machine_tags');
      t = text(t, 'managed_by');
      t = bool(t, 'is_potential_duplication');
      t = text(t, 'merged_into_machine_id');
      t = bool(t, 'is_excluded');
      for (const c of [
        'exclusion_reason',
        'defender_av_status',
        'os_platform',
        'os_version',
        'os_build',
        'os_architecture',
      ]) {
        t = text(t, c);
      }
      t = json(t, 'ip_addresses');
      t = text(t, 'first_seen');
      t = text(t, 'last_seen');
      t = text(t, 'vulnerability_data_state', (c) => c.notNull().defaultTo('unknown'));
      t = t.addColumn('vulnerability_seen_token', 'integer');
      await bookkeeping(t).execute();
      await db.schema
        .createIndex('host_sources_machine')
        .unique()
        .on('host_sources')
        .columns(['connector_id', 'machine_id'])
        .execute();
      await db.schema.createIndex('host_sources_host').on('host_sources').column('host_id').execute();
      await db.schema.createIndex('host_sources_aad').on('host_sources').column('aad_device_id').execute();

      t = id(db.schema.createTable('findings'));
      t = t.addColumn('connector_id', 'integer', (c) =>
        c.notNull().references('connectors.id').onDelete('cascade'),
      );
      t = t.addColumn('host_id', 'integer', (c) => c.references('hosts.id').onDelete('set null'));
      for (const c of [
        'machine_id',
        'finding_key',
        'cve_id',
        'software_vendor',
        'software_name',
        'software_version',
        'name',
      ]) {
        t = text(t, c, (col) => col.notNull());
      }
      t = text(t, 'source_severity');
      t = t.addColumn('severity', 'integer', (c) => c.notNull());
      t = t.addColumn('score', dialect === 'sqlite' ? 'real' : 'double precision', (c) => c.notNull());
      t = text(t, 'status', (c) => c.notNull());
      t = t.addColumn('reopened_count', 'integer', (c) => c.notNull().defaultTo(0));
      t = text(t, 'first_found', (c) => c.notNull());
      t = text(t, 'last_found', (c) => c.notNull());
      t = text(t, 'last_fixed');
      t = text(t, 'state_time', (c) => c.notNull());
      t = bool(t, 'security_update_available');
      for (const c of [
        'recommended_security_update',
        'recommended_security_update_id',
        'recommended_security_update_url',
      ]) {
        t = text(t, c);
      }
      t = json(t, 'disk_paths');
      t = json(t, 'registry_paths');
      for (const c of [
        'exploitability_level',
        'recommendation_reference',
        'end_of_support_status',
        'end_of_support_date',
      ]) {
        t = text(t, c);
      }
      t = t.addColumn('rbac_group_id', 'integer');
      t = text(t, 'rbac_group_name');
      t = real(t, 'cvss_score');
      t = json(t, 'custom_attributes', '{}');
      await bookkeeping(t).execute();
      await db.schema
        .createIndex('findings_key')
        .unique()
        .on('findings')
        .columns(['connector_id', 'finding_key'])
        .execute();
      await createFindingIndexes(db);

      t = db.schema.createTable('vulnerability_definitions');
      t = t.addColumn('connector_id', 'integer', (c) =>
        c.notNull().references('connectors.id').onDelete('cascade'),
      );
      t = text(t, 'id', (c) => c.notNull());
      for (const c of ['name', 'description', 'severity']) t = text(t, c);
      t = real(t, 'cvss_v3');
      t = text(t, 'cvss_vector');
      t = real(t, 'epss');
      for (const c of ['published_on', 'updated_on', 'first_detected']) t = text(t, c);
      for (const c of ['public_exploit', 'exploit_verified', 'exploit_in_kit']) t = bool(t, c);
      t = json(t, 'exploit_types');
      t = json(t, 'exploit_uris');
      t = text(t, 'cve_supportability');
      t = json(t, 'tags');
      t = t.addColumn('exposed_machines', 'integer');
      t = t.addPrimaryKeyConstraint('vulnerability_definitions_pk', ['connector_id', 'id']);
      await bookkeeping(t).execute();

      t = db.schema.createTable('software');
      t = t.addColumn('connector_id', 'integer', (c) =>
        c.notNull().references('connectors.id').onDelete('cascade'),
      );
      for (const c of ['id', 'name', 'vendor']) t = text(t, c, (col) => col.notNull());
      t = t.addColumn('weaknesses', 'integer');
      t = bool(t, 'public_exploit');
      t = bool(t, 'active_alert');
      t = t.addColumn('exposed_machines', 'integer');
      t = real(t, 'impact_score');
      t = t.addPrimaryKeyConstraint('software_pk', ['connector_id', 'id']);
      await bookkeeping(t).execute();

      t = id(db.schema.createTable('installed_software'));
      t = t.addColumn('connector_id', 'integer', (c) =>
        c.notNull().references('connectors.id').onDelete('cascade'),
      );
      t = t.addColumn('host_id', 'integer', (c) => c.references('hosts.id').onDelete('set null'));
      for (const c of [
        'machine_id',
        'install_key',
        'software_id',
        'software_vendor',
        'software_name',
        'software_version',
        'kind',
      ]) {
        t = text(t, c, (col) => col.notNull());
      }
      t = t.addColumn('number_of_weaknesses', 'integer');
      t = json(t, 'disk_paths');
      t = json(t, 'registry_paths');
      for (const c of ['first_seen', 'last_seen', 'end_of_support_status', 'end_of_support_date'])
        t = text(t, c);
      t = text(t, 'status', (c) => c.notNull().defaultTo('present'));
      await bookkeeping(t).execute();
      await db.schema
        .createIndex('installed_software_key')
        .unique()
        .on('installed_software')
        .columns(['connector_id', 'install_key'])
        .execute();
      await db.schema
        .createIndex('installed_software_host')
        .on('installed_software')
        .column('host_id')
        .execute();

      t = db.schema.createTable('recommendations');
      t = t.addColumn('connector_id', 'integer', (c) =>
        c.notNull().references('connectors.id').onDelete('cascade'),
      );
      t = text(t, 'id', (c) => c.notNull());
      for (const c of ['product_name', 'recommendation_name', 'vendor']) t = text(t, c);
      t = t.addColumn('weaknesses', 'integer');
      for (const c of [
        'recommended_version',
        'recommended_program',
        'recommended_vendor',
        'recommendation_category',
        'sub_category',
      ]) {
        t = text(t, c);
      }
      t = real(t, 'severity_score');
      t = bool(t, 'public_exploit');
      t = bool(t, 'active_alert');
      t = json(t, 'associated_threats');
      t = text(t, 'remediation_type');
      t = text(t, 'status');
      t = real(t, 'config_score_impact');
      t = real(t, 'exposure_impact');
      for (const c of ['total_machine_count', 'exposed_machines_count', 'non_productivity_impacted_assets']) {
        t = t.addColumn(c, 'integer');
      }
      t = text(t, 'related_component');
      t = bool(t, 'has_unpatchable_cve');
      t = json(t, 'tags');
      t = t.addColumn('exposed_critical_devices', 'integer');
      t = t.addPrimaryKeyConstraint('recommendations_pk', ['connector_id', 'id']);
      await bookkeeping(t).execute();

      t = db.schema.createTable('alerts');
      t = t.addColumn('connector_id', 'integer', (c) =>
        c.notNull().references('connectors.id').onDelete('cascade'),
      );
      t = text(t, 'id', (c) => c.notNull());
      t = t.addColumn('host_id', 'integer', (c) => c.references('hosts.id').onDelete('set null'));
      for (const c of [
        'machine_id',
        'title',
        'description',
        'severity',
        'status',
        'classification',
        'determination',
        'investigation_state',
        'detection_source',
        'detector_id',
        'category',
        'threat_family_name',
        'threat_name',
      ]) {
        t = text(t, c);
      }
      t = int(t, 'incident_id');
      t = int(t, 'investigation_id');
      for (const c of [
        'assigned_to',
        'alert_creation_time',
        'first_event_time',
        'last_event_time',
        'last_update_time',
        'resolved_time',
        'computer_dns_name',
        'rbac_group_name',
      ]) {
        t = text(t, c);
      }
      t = json(t, 'mitre_techniques');
      t = text(t, 'related_user');
      t = json(t, 'comments');
      t = json(t, 'evidence');
      t = text(t, 'content_hash', (c) => c.notNull());
      t = json(t, 'extra', '{}');
      t = text(t, 'updated_at', (c) => c.notNull());
      t = t.addPrimaryKeyConstraint('alerts_pk', ['connector_id', 'id']);
      await t.execute();
      await db.schema
        .createIndex('alerts_updated')
        .on('alerts')
        .columns(['connector_id', 'last_update_time'])
        .execute();
      await db.schema.createIndex('alerts_host').on('alerts').column('host_id').execute();

      t = db.schema.createTable('machine_actions');
      t = text(t, 'id', (c) => c.primaryKey());
      t = t.addColumn('connector_id', 'integer', (c) =>
        c.notNull().references('connectors.id').onDelete('cascade'),
      );
      t = t.addColumn('host_id', 'integer', (c) => c.references('hosts.id').onDelete('set null'));
      for (const c of ['machine_id', 'type', 'status']) t = text(t, c, (col) => col.notNull());
      for (const c of [
        'scope',
        'requestor',
        'requestor_comment',
        'creation_time',
        'last_update_time',
        'error',
      ])
        t = text(t, c);
      t = json(t, 'raw', '{}');
      t = text(t, 'updated_at', (c) => c.notNull());
      await t.execute();
      await db.schema
        .createIndex('machine_actions_machine')
        .on('machine_actions')
        .columns(['connector_id', 'machine_id'])
        .execute();
    },
  };
}
