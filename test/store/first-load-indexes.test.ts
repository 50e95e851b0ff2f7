import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/db/migrate.js';
import type { Store } from '../../src/store/db/store.js';
import { FINDING_SECONDARY_INDEXES } from '../../src/store/findings/finding-indexes.js';
import {
  deferFindingIndexesForFirstLoad,
  ensureFindingIndexes,
} from '../../src/store/findings/first-load-indexes.js';
import { insertFindingRecords } from '../helpers/finding-records.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { openTestStore, STORE_KINDS } from '../helpers/test-stores.js';

async function findingIndexes(store: Store): Promise<string[]> {
  const q =
    store.dialect === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'findings'`
      : sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'findings'`;
  return (await q.execute(store.db)).rows.map((r) => r.name).sort();
}

const T0 = '2026-11-01T00:00:00.000Z';

async function addFinding(store: Store, connectorId: number): Promise<void> {
  await insertFindingRecords(store, [
    {
      connectorId,
      hostId: null,
      machineId: 'm1',
      findingKey: 'm1|CVE-2026-0001|v|p|1',
      cveId: 'CVE-2026-0001',
      softwareVendor: 'v',
      softwareName: 'p',
      softwareVersion: '1',
      name: 'v p 1 CVE-2026-0001',
      severity: 3,
      score: 50,
      status: 'open',
      firstFound: T0,
      lastFound: T0,
      stateTime: T0,
      reopenedCount: 0,
      diskPaths: '[]',
      registryPaths: '[]',
      extra: '{}',
      customAttributes: '{}',
      contentHash: '',
      seenRunId: 0,
      updatedAt: T0,
      rbacGroupId: null,
      rbacGroupName: null,
      sourceSeverity: null,
      cvssScore: null,
      securityUpdateAvailable: null,
      recommendedSecurityUpdate: null,
      recommendedSecurityUpdateId: null,
      recommendedSecurityUpdateUrl: null,
      exploitabilityLevel: null,
      recommendationReference: null,
      lastFixed: null,
      endOfSupportStatus: null,
      endOfSupportDate: null,
    },
  ]);
}

describe.each(STORE_KINDS)('findings indexes deferred by a first load (%s)', (kind) => {
  const deferrable: string[] = FINDING_SECONDARY_INDEXES.filter((i) => i.deferredOnFirstLoad).map(
    (i) => i.name,
  );

  it('drops the CVE and host indexes only while the findings table is empty, and builds them again', async () => {
    const t = await openTestStore(kind);
    try {
      const all = await findingIndexes(t.store);
      expect(deferrable).toEqual(['findings_host', 'findings_cve']);
      expect(await deferFindingIndexesForFirstLoad(t.store)).toEqual(deferrable);
      expect(await findingIndexes(t.store)).toEqual(all.filter((n) => !deferrable.includes(n)));
      expect(await ensureFindingIndexes(t.store)).toEqual(deferrable);
      expect(await findingIndexes(t.store)).toEqual(all);
      expect(await ensureFindingIndexes(t.store)).toEqual([]);

      // A second connector's first load meets another's findings: nothing is dropped.
      await addFinding(t.store, await addOfflineConnector(t.store, 'first'));
      expect(await deferFindingIndexesForFirstLoad(t.store)).toEqual([]);
      expect(await findingIndexes(t.store)).toEqual(all);
    } finally {
      await t.drop();
    }
  });

  it('builds indexes a killed first load left missing when the store is opened (migrated) again', async () => {
    const t = await openTestStore(kind);
    try {
      const all = await findingIndexes(t.store);
      await deferFindingIndexesForFirstLoad(t.store);
      expect(await findingIndexes(t.store)).not.toEqual(all);
      await migrateToLatest(t.store);
      expect(await findingIndexes(t.store)).toEqual(all);
    } finally {
      await t.drop();
    }
  });
});
