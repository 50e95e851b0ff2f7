import type { Kysely } from 'kysely';

/**
 * `finding_devices.open_digest`: a digest of the device's open findings (each key with its content
 * hash) as the last full pass stored them, so a pass over a new but equal snapshot marks the device's
 * findings seen in one statement instead of looking each row up (docs/data-model.md#finding-devices).
 * Empty for every device until a full pass writes it, so the first pass after this migration reads
 * every row as before.
 */
export function deviceOpenDigestSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('finding_devices').addColumn('open_digest', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('finding_devices').dropColumn('open_digest').execute();
    },
  };
}
