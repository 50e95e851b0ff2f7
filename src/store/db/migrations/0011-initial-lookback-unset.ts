import { type Kysely, sql } from 'kysely';

/**
 * `initialLookbackDays` used to be stored as 30 whether the user chose it or not, and bounded alerts
 * only. Set, it now bounds the first run's devices too (docs/connector-options.md), so the stored
 * default is taken out: such connectors keep exactly what they did (alerts of 30 days, every device).
 */
export function initialLookbackUnset() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const rows = await sql<{ id: number; options: string }>`SELECT id, options FROM connectors`.execute(db);
      for (const row of rows.rows) {
        const options = JSON.parse(row.options) as Record<string, unknown>;
        if (options.initialLookbackDays !== 30) continue;
        delete options.initialLookbackDays;
        await sql`UPDATE connectors SET options = ${JSON.stringify(options)} WHERE id = ${row.id}`.execute(
          db,
        );
      }
    },
    async down(): Promise<void> {
      // Nothing to undo: an absent value reads as before.
    },
  };
}
