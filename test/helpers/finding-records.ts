import type { Store } from '../../src/store/db/store.js';
import type { FindingRecord } from '../../src/store/findings/finding-columns.js';
import { PACKED_COLUMNS, REAL_COLUMNS } from '../../src/store/findings/finding-columns.js';
import { resolveFindingIds } from '../../src/store/findings/finding-repository.js';

/** A finding as readers see it, for tests that store findings without a sync. */
export type FindingRecordInput = Partial<FindingRecord> &
  Pick<
    FindingRecord,
    | 'connectorId'
    | 'machineId'
    | 'findingKey'
    | 'cveId'
    | 'softwareVendor'
    | 'softwareName'
    | 'softwareVersion'
  >;

/**
 * Stores findings given as readers see them ({@link FindingRecord}): their device and software ids
 * resolved, real columns as they are, the other fields packed as the description says. Lists and
 * objects are given as JSON text, as readers get them.
 */
export async function insertFindingRecords(
  store: Store,
  records: readonly FindingRecordInput[],
): Promise<void> {
  const byConnector = new Map<number, FindingRecordInput[]>();
  for (const r of records) byConnector.set(r.connectorId, [...(byConnector.get(r.connectorId) ?? []), r]);
  for (const [connectorId, rows] of byConnector) {
    const ids = await resolveFindingIds(store.db, connectorId, rows);
    const values = rows.map((r) => {
      const row: Record<string, unknown> = { ...ids.get(r.findingKey)! };
      for (const c of REAL_COLUMNS) row[c.column] = (r as Record<string, unknown>)[c.column] ?? null;
      const packed: Record<string, unknown> = {};
      for (const c of PACKED_COLUMNS) {
        const v = (r as Record<string, unknown>)[c.column] ?? null;
        packed[c.column] =
          (c.type === 'paths' || c.type === 'json' || c.type === 'custom') && typeof v === 'string'
            ? JSON.parse(v)
            : v;
      }
      row.packed = JSON.stringify(packed);
      return row;
    });
    for (let i = 0; i < values.length; i += 50)
      await store.db
        .insertInto('findings')
        .values(values.slice(i, i + 50) as never)
        .execute();
  }
}
