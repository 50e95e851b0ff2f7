import { sql, type Transaction } from 'kysely';
import type { HostStatus } from '../../normalize/host-status.js';
import type { Database } from '../db/schema.js';

/** A device whose report time alone moved: its source's and its host's last-seen time and status. */
export interface LastSeenTouch {
  sourceId: number;
  hostId: number;
  lastSeen: string | null;
  status: HostStatus;
}

/**
 * The last-seen touches of one batch of machines in two statements, for PostgreSQL: between sweeps a
 * delta reads every device whose `lastSeen` moved, a large share of the estate, and one round trip
 * per device would be most of its time (docs/benchmarks.md). SQLite runs the same two updates per device as
 * prepared statements, which cost no round trip. As there, a host takes the time only from its most recently
 * seen source.
 */
export async function touchLastSeenInBulk(
  trx: Transaction<Database>,
  runId: number,
  touches: readonly LastSeenTouch[],
): Promise<void> {
  if (touches.length === 0) return;
  const db = trx.withoutPlugins();
  const rows = JSON.stringify(
    touches.map((t) => ({
      source_id: t.sourceId,
      host_id: t.hostId,
      last_seen: t.lastSeen,
      status: t.status,
    })),
  );
  const touched = sql`json_to_recordset(${rows}::json) AS t(source_id integer, host_id integer, last_seen text, status text)`;
  await sql`UPDATE host_sources AS s SET last_seen = t.last_seen, seen_run_id = ${runId}
    FROM ${touched} WHERE s.id = t.source_id`.execute(db);
  await sql`UPDATE hosts AS h SET last_seen = t.last_seen, status = t.status
    FROM ${touched} WHERE h.id = t.host_id AND NOT EXISTS (
      SELECT 1 FROM host_sources o WHERE o.host_id = h.id AND o.id <> t.source_id
        AND o.last_seen > coalesce(t.last_seen, ''))`.execute(db);
}
