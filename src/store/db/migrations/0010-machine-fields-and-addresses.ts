import type { ColumnDefinitionBuilder, Kysely } from 'kysely';

/**
 * Every machine field Microsoft documents or sends, kept on the host source (osProcessor, version,
 * managedByStatus, vmMetadata); the host's addresses split into private and public, its DNS names
 * likewise, and its cloud instance id (docs/data-model.md#host); each package's installed versions
 * (docs/data-model.md#software). Additive only: existing rows fill on the next sync.
 */
export function machineFieldsAndAddressesSchema() {
  const list = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo('[]');
  const columns: Array<[table: string, name: string, json?: true]> = [
    ['host_sources', 'os_processor'],
    ['host_sources', 'version'],
    ['host_sources', 'managed_by_status'],
    ['host_sources', 'vm_metadata'],
    ['hosts', 'private_ip_addresses', true],
    ['hosts', 'public_ip_addresses', true],
    ['hosts', 'private_dns_names', true],
    ['hosts', 'public_dns_names', true],
    ['hosts', 'instance_id'],
    ['software', 'versions', true],
  ];
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const [table, name, json] of columns) {
        await db.schema
          .alterTable(table)
          .addColumn(name, 'text', json ? list : (c) => c)
          .execute();
      }
      await db.schema.createIndex('hosts_instance_id').on('hosts').column('instance_id').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('hosts_instance_id').ifExists().execute();
      for (const [table, name] of [...columns].reverse()) {
        await db.schema.alterTable(table).dropColumn(name).execute();
      }
    },
  };
}
