import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { initialLookbackUnset } from '../../src/store/db/migrations/0011-initial-lookback-unset.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { openTestStore, STORE_KINDS } from '../helpers/test-stores.js';

describe.each(STORE_KINDS)('migration 0011: the stored lookback default is unset (%s)', (kind) => {
  it('drops an initialLookbackDays of 30 (the old stored default) and keeps any other value', async () => {
    const db = await openTestStore(kind);
    try {
      const old = await addOfflineConnector(db.store, 'old');
      const chosen = await addOfflineConnector(db.store, 'chosen', { initialLookbackDays: 90 });
      // Connectors stored before: the default written out, as the old schema did.
      await db.store.db
        .updateTable('connectors')
        .set({ options: JSON.stringify({ initialLookbackDays: 30, staleDays: 3 }) })
        .where('id', '=', old)
        .execute();
      // The store is already at the latest schema; the migration's step runs again on these rows.
      await initialLookbackUnset().up(db.store.db as unknown as Kysely<unknown>);
      const options = async (id: number) =>
        JSON.parse(
          (
            await db.store.db
              .selectFrom('connectors')
              .select('options')
              .where('id', '=', id)
              .executeTakeFirstOrThrow()
          ).options,
        );
      expect(await options(old)).toEqual({ staleDays: 3 });
      expect((await options(chosen)).initialLookbackDays).toBe(90);
    } finally {
      await db.drop();
    }
  });
});
