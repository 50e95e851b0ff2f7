import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../src/export/read-records.js';
import { parseConnectorOptions } from '../../src/normalize/connector-options.js';
import { SecretBox } from '../../src/security/secret-box.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { FINDING_SECONDARY_INDEXES } from '../../src/store/findings/finding-indexes.js';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { openTestStore, STORE_KINDS } from '../helpers/test-stores.js';

async function indexNames(store: Awaited<ReturnType<typeof openTestStore>>['store']): Promise<string[]> {
  const q =
    store.dialect === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'findings'`
      : sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'findings'`;
  return (await q.execute(store.db)).rows.map((r) => r.name);
}

describe.each(STORE_KINDS)('store (%s)', (kind) => {
  it('migrates to the full schema, with the findings indexes', async () => {
    const t = await openTestStore(kind);
    try {
      const names = await indexNames(t.store);
      for (const i of FINDING_SECONDARY_INDEXES) expect(names).toContain(i.name);
      if (kind === 'postgres') expect(names).toContain('findings_key');
      else {
        // SQLite keeps the rows in the key's order: the table is its key, with no index of its own.
        const { rows } = await sql<{
          sql: string;
        }>`select sql from sqlite_master where type = 'table' and name = 'findings'`.execute(t.store.db);
        expect(rows[0]!.sql).toMatch(
          /PRIMARY KEY \(connector_id, device_id, software_id, cve_id\)\s*\)\s*WITHOUT ROWID/,
        );
      }
    } finally {
      await t.drop();
    }
  });

  it('gives integer columns as numbers on either database (PostgreSQL sends bigint as text)', async () => {
    const t = await openTestStore(kind);
    try {
      const connectorId = await addOfflineConnector(t.store, 'numbers');
      const runs = new RunRepository(t.store);
      const id = await runs.start(connectorId, 'full', 'manual', new Date('2026-12-01T00:00:00Z'));
      const result = { state: 'succeeded', counters: {}, apiCalls: 7, retries: 2, throttledMs: 1500 };
      await runs.finish(id, { ...result, snapshotTime: null, error: null } as never, new Date());
      const exported: Record<string, unknown>[] = [];
      for await (const r of readRecords(t.store, 'runs')) exported.push(r);
      expect(exported[0]).toMatchObject({
        id,
        connectorId,
        apiCalls: 7,
        retries: 2,
        throttledMs: 1500,
      });
    } finally {
      await t.drop();
    }
  });

  it('keeps secrets sealed at rest and opens them only with the same key', async () => {
    const t = await openTestStore(kind);
    try {
      const box = SecretBox.fromKey(Buffer.alloc(32, 9));
      const repo = new ConnectorRepository(t.store, box);
      const c = await repo.create({
        name: 'sealed',
        network: 'n',
        tenantId: '11111111-2222-4333-8444-555555555555',
        clientId: '11111111-2222-4333-8444-555555555555',
        cloud: 'commercial',
        apiUrl: 'https://api.security.microsoft.com',
        loginUrl: 'https://login.microsoftonline.com',
        scope: 'https://api.securitycenter.microsoft.com/.default',
        active: true,
        schedule: null,
        options: parseConnectorOptions({}),
        credentials: { clientSecret: 'top-secret-value' },
      });
      const raw = await t.store.db
        .selectFrom('connectors')
        .select('secretEncrypted')
        .executeTakeFirstOrThrow();
      expect(raw.secretEncrypted).toMatch(/^v1:/);
      expect(raw.secretEncrypted).not.toContain('top-secret-value');
      expect((await repo.credentials(c.id)).clientSecret).toBe('top-secret-value');
      const other = new ConnectorRepository(t.store, SecretBox.fromKey(Buffer.alloc(32, 8)));
      await expect(other.credentials(c.id)).rejects.toThrow(
        /not the key that encrypted it.*mdec connector edit --name sealed/,
      );
      expect(JSON.stringify(c)).not.toContain('top-secret-value');
    } finally {
      await t.drop();
    }
  });
});
