import type { Kysely } from 'kysely';

/**
 * A covering index for the per-device maps a run loads whole: machine id → device value (the scoring
 * inputs, read three times a run) and machine id → host id (the host index). Read from the index
 * alone, 100,000 devices cost a few megabytes instead of a scan of `host_sources`, whose rows carry
 * every Defender field (docs/benchmarks.md#targets: a delta sync under a tenth of a full sync). Neither value
 * changes when a device only reports again, so the index is rarely rewritten.
 */
export function sourceLookupIndexSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('host_sources_lookup')
        .ifNotExists()
        .on('host_sources')
        .columns(['connector_id', 'machine_id', 'device_value', 'host_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('host_sources_lookup').ifExists().execute();
    },
  };
}
