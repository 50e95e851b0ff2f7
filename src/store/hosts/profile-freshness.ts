import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Whether a connector's dynamic profiles still match its host sources, kept as a sync
 * checkpoint row so that it survives a run that dies half-way (docs/sync.md#checkpoints-and-resume):
 *
 * - `{ fresh: true }`: the last refresh saw every source as it is now; the next one has nothing to do.
 * - `{ changedInRun: n }`: the profiles were fresh when run `n` started, and only run `n` changed
 *   sources since; that run's host writer knows which hosts, so a refresh of those hosts suffices.
 * - absent (or anything else): unknown, so the next refresh covers every host.
 */
export const PROFILE_FRESHNESS_STREAM = 'profiles:freshness';

const FRESH = JSON.stringify({ fresh: true });

export type ProfileFreshness = { fresh: true } | { changedInRun: number } | undefined;

/** Reads the connector's profile freshness. */
export async function profileFreshness(
  db: Kysely<Database> | Transaction<Database>,
  connectorId: number,
): Promise<ProfileFreshness> {
  const row = await db
    .selectFrom('syncCheckpoints')
    .select('value')
    .where('connectorId', '=', connectorId)
    .where('stream', '=', PROFILE_FRESHNESS_STREAM)
    .executeTakeFirst();
  if (!row) return undefined;
  const value = JSON.parse(row.value) as { fresh?: unknown; changedInRun?: unknown };
  if (value.fresh === true) return { fresh: true };
  return typeof value.changedInRun === 'number' ? { changedInRun: value.changedInRun } : undefined;
}

/** After a refresh, in its transaction: the profiles match every source. */
export async function markProfilesFresh(
  trx: Transaction<Database>,
  connectorId: number,
  at: string,
): Promise<void> {
  await trx
    .insertInto('syncCheckpoints')
    .values({ connectorId, stream: PROFILE_FRESHNESS_STREAM, value: FRESH, updatedAt: at })
    .onConflict((oc) => oc.columns(['connectorId', 'stream']).doUpdateSet({ value: FRESH, updatedAt: at }))
    .execute();
}

/**
 * In the transaction that changes a source the profiles read: fresh profiles now lag behind run
 * `runId` only; any other state stays (it already calls for a refresh of every host).
 */
export async function noteProfileInputsChanged(
  trx: Transaction<Database>,
  connectorId: number,
  runId: number,
  at: string,
): Promise<void> {
  await trx
    .updateTable('syncCheckpoints')
    .set({ value: JSON.stringify({ changedInRun: runId }), updatedAt: at })
    .where('connectorId', '=', connectorId)
    .where('stream', '=', PROFILE_FRESHNESS_STREAM)
    .where('value', '=', FRESH)
    .execute();
}

/** Forgets the state: the next refresh covers every host. */
export async function forgetProfileFreshness(
  db: Kysely<Database> | Transaction<Database>,
  connectorId: number,
): Promise<void> {
  await db
    .deleteFrom('syncCheckpoints')
    .where('connectorId', '=', connectorId)
    .where('stream', '=', PROFILE_FRESHNESS_STREAM)
    .execute();
}
