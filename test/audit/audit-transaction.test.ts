import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLogRepository } from '../../src/store/audit/audit-log-repository.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { ScoringMapRepository } from '../../src/store/connectors/scoring-map-repository.js';
import { TransformMapRepository } from '../../src/store/connectors/transform-map-repository.js';
import { startTestApi } from '../api/api-harness.js';
import { runMdec } from '../helpers/cli-runner.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { TEST_SECRETS } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type StoreKind, type TestStore } from '../helpers/test-stores.js';
import { MASTER_KEY } from '../jobs/worker-process.js';

/** Makes every insert into (or update of) `table` fail, as a full disk or a lost connection would. */
async function refuse(db: TestStore, kind: StoreKind, table: string, on: 'INSERT' | 'UPDATE' | 'DELETE') {
  const name = `refuse_${table}_${on.toLowerCase()}`;
  if (kind === 'sqlite')
    await sql
      .raw(`CREATE TRIGGER ${name} BEFORE ${on} ON ${table} BEGIN SELECT RAISE(ABORT, '${name}'); END`)
      .execute(db.store.db);
  else {
    await sql
      .raw(
        `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${name}'; END $$`,
      )
      .execute(db.store.db);
    await sql
      .raw(`CREATE TRIGGER ${name} BEFORE ${on} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`)
      .execute(db.store.db);
  }
  return async () => {
    await sql.raw(`DROP TRIGGER ${name}${kind === 'postgres' ? ` ON ${table}` : ''}`).execute(db.store.db);
    if (kind === 'postgres') await sql.raw(`DROP FUNCTION ${name}()`).execute(db.store.db);
  };
}

// A configuration change and its audit entry commit together: a failed change leaves no entry, and a
// change whose entry cannot be written does not happen.
describe.each(STORE_KINDS)(
  'audit entries share their change’s transaction (%s)',
  { timeout: 120_000 },
  (kind) => {
    let db: TestStore;
    let dir: string;
    const mdec = (...args: string[]) =>
      runMdec(['--db', db.location, ...args], { env: { MDEC_MASTER_KEY: MASTER_KEY, MDE_SECRET: 'x' } });
    const auditRows = async () => {
      let n = 0;
      for await (const _ of new AuditLogRepository(db.store).entries()) n++;
      return n;
    };
    beforeAll(async () => {
      db = await openTestStore(kind);
      dir = mkdtempSync(join(tmpdir(), 'mdec-audit-tx-'));
    });
    afterAll(async () => {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('when the audit entry cannot be written, no change is made', async () => {
      const id = await addOfflineConnector(db.store, 'lab');
      const connectors = new ConnectorRepository(db.store, TEST_SECRETS);
      const scoringFile = join(dir, 'scoring.csv');
      writeFileSync(scoringFile, 'match,severity,score\nCritical,5,95\n*,3,50\n');
      const restore = await refuse(db, kind, 'audit_log', 'INSERT');
      try {
        const attempts = [
          ['connector', 'edit', '--name', 'lab', '--inactive'],
          ['connector', 'edit', '--name', 'lab', '--schedule', 'hourly'],
          [
            'connector',
            'add',
            '--name',
            'extra',
            '--tenant-id',
            '11111111-2222-4333-8444-555555555555',
            '--client-id',
            '11111111-2222-4333-8444-555555555555',
            '--client-secret-env',
            'MDE_SECRET',
          ],
          ['scoring', 'set', '--connector', 'lab', '--file', scoringFile],
          ['mapping', 'add', '--connector', 'lab', '--entity', 'host', '--source', 'vmMetadata.vmId'],
          ['connector', 'remove', '--name', 'lab'],
        ];
        for (const args of attempts) {
          const full =
            args[1] === 'add' && args[0] === 'mapping'
              ? [...args, '--type', 'string', '--target', 'customAttributes.vmId']
              : args;
          const r = await mdec(...full);
          expect(r.code, `${full.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
          expect(r.stderr).toMatch(/refuse_audit_log_insert/);
        }
      } finally {
        await restore();
      }
      const lab = await connectors.byId(id);
      expect(lab).toMatchObject({ active: true, schedule: null });
      expect(await connectors.byName('extra')).toBeUndefined();
      expect((await new ScoringMapRepository(db.store).get(id)).custom).toBe(false);
      expect(await new TransformMapRepository(db.store).get(id)).toBeUndefined();
      expect(await auditRows()).toBe(0);

      // With the log writable again, the same change is made and recorded, once.
      const r = await mdec('connector', 'edit', '--name', 'lab', '--inactive');
      expect(r.code, r.stderr).toBe(0);
      expect((await connectors.byId(id))?.active).toBe(false);
      expect(await auditRows()).toBe(1);
    });

    it('through the API too: when the audit entry cannot be written, no change is made', async () => {
      const id = await addOfflineConnector(db.store, 'api-lab');
      const connectors = new ConnectorRepository(db.store, TEST_SECRETS);
      const before = await connectors.byId(id);
      const entries = await auditRows();
      const api = await startTestApi(db.store);
      const restore = await refuse(db, kind, 'audit_log', 'INSERT');
      try {
        const attempts = [
          {
            method: 'POST',
            url: '/api/connectors',
            payload: {
              name: 'api-extra',
              tenantId: '11111111-2222-4333-8444-555555555555',
              clientId: '11111111-2222-4333-8444-555555555555',
              clientSecret: 'x',
            },
          },
          { method: 'PATCH', url: '/api/connectors/api-lab', payload: { schedule: 'hourly', staleDays: 9 } },
          { method: 'POST', url: '/api/connectors/api-lab/deactivate' },
          {
            method: 'PUT',
            url: '/api/connectors/api-lab/scoring',
            headers: { 'content-type': 'text/csv' },
            payload: 'match,severity,score\nCritical,5,95\n*,3,50\n',
          },
          { method: 'DELETE', url: '/api/connectors/api-lab' },
        ] as const;
        for (const a of attempts) {
          const res = await api.as('admin', a as never);
          expect(res.statusCode, `${a.method} ${a.url}: ${res.body}`).toBe(500);
          expect(res.body).not.toMatch(/refuse_audit_log_insert|at /);
        }
      } finally {
        await restore();
        await api.close();
      }
      expect(await connectors.byId(id)).toEqual(before);
      expect(await connectors.byName('api-extra')).toBeUndefined();
      expect((await new ScoringMapRepository(db.store).get(id)).custom).toBe(false);
      expect(await auditRows()).toBe(entries);
    });

    it('a change that fails leaves no audit entry', async () => {
      const before = await auditRows();
      const restore = await refuse(db, kind, 'connectors', 'UPDATE');
      try {
        const r = await mdec('connector', 'edit', '--name', 'lab', '--active');
        expect(r.code, r.stderr).toBe(1);
      } finally {
        await restore();
      }
      expect(await auditRows()).toBe(before);
      expect((await new ConnectorRepository(db.store, TEST_SECRETS).byName('lab'))?.active).toBe(false);
    });
  },
);
