import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { openStore } from '../../src/store/db/open-store.js';
import type { Store } from '../../src/store/db/store.js';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { openFindingKeys, sync, TEST_SECRETS, truthFindingKeys } from '../helpers/sync-harness.js';
import { PG_ADMIN_URL, POSTGRES_AVAILABLE } from '../helpers/test-stores.js';

/**
 * Migration 0009 on stores written by the code of the wide findings table (test/fixtures/old-store):
 * every finding keeps its history, and the next syncs against the same simulated tenant leave the
 * store equal to its ground truth without rewriting what did not change.
 */
const FIXTURES = join(import.meta.dirname, '../fixtures/old-store');
/** The simulator's clock when the fixtures' last sync ran: 120 hours after its origin. */
const FIXTURE_HOURS = 120;

interface History {
  status: string;
  firstFound: string;
  lastFound: string;
  lastFixed: string | null;
  reopenedCount: number;
  stateTime: string;
  contentHash: string;
  severity: number;
  diskPaths: string;
  rbacGroupId: number | null;
}

type OldRow = Record<string, unknown>;

function historyOf(rows: OldRow[]): Map<string, History> {
  const out = new Map<string, History>();
  for (const r of rows) {
    const key = String(r.finding_key ?? r.findingKey);
    const rbac = r.rbac_group_id ?? r.rbacGroupId;
    out.set(key, {
      status: String(r.status),
      firstFound: String(r.first_found ?? r.firstFound),
      lastFound: String(r.last_found ?? r.lastFound),
      lastFixed: (r.last_fixed ?? r.lastFixed ?? null) as string | null,
      reopenedCount: Number(r.reopened_count ?? r.reopenedCount),
      stateTime: String(r.state_time ?? r.stateTime),
      contentHash: String(r.content_hash ?? r.contentHash),
      severity: Number(r.severity),
      diskPaths: JSON.stringify(JSON.parse(String(r.disk_paths ?? r.diskPaths))),
      rbacGroupId: rbac === null || rbac === undefined ? null : Number(rbac),
    });
  }
  return out;
}

async function migratedHistory(store: Store): Promise<Map<string, History>> {
  return historyOf(
    (await selectFindings(store)
      .select([
        'findingKey',
        'status',
        'firstFound',
        'lastFound',
        'lastFixed',
        'reopenedCount',
        'stateTime',
        'contentHash',
        'severity',
        'diskPaths',
        'rbacGroupId',
      ])
      .execute()) as OldRow[],
  );
}

/** The checks both databases share, on a store just migrated from `before`. */
function migrationChecks(open: () => { store: Store; before: Map<string, History> }) {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 12, seed: 11 });
    await sim.advanceHours(FIXTURE_HOURS);
    // The fixture's connector pointed at the simulator that wrote it: point it at this one.
    await new ConnectorRepository(open().store, TEST_SECRETS).update(1, {
      tenantId: sim.sim.info.tenantId,
      clientId: sim.sim.info.clientId,
      apiUrl: sim.url,
      loginUrl: sim.url,
      credentials: { clientSecret: sim.sim.info.clientSecret },
    });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('keeps every finding with its history: status, first and last found, last fixed, reopenings', async () => {
    const { store, before } = open();
    expect(before.size).toBe(733);
    expect([...before.values()].filter((h) => h.reopenedCount > 0)).toHaveLength(2);
    expect([...before.values()].filter((h) => h.status === 'fixed')).toHaveLength(16);
    const after = await migratedHistory(store);
    expect(after).toEqual(before);
  });

  it('a following full sync matches the tenant, reopens what came back and rewrites nothing else', async () => {
    const { store, before } = open();
    const truth = await truthFindingKeys(sim);
    const cameBack = [...before].filter(([k, h]) => h.status === 'fixed' && truth.includes(k));
    const result = await sync(store, sim, 'full');
    expect(result.state).toBe('succeeded');
    const v = result.counters.vulnerabilities!;
    expect(await openFindingKeys(store, 1)).toEqual(truth);
    // The fixture's snapshot is read again (its options key is older than the watermark check) or
    // not at all; either way only the findings that came back are written.
    expect(v.updated).toBeLessThanOrEqual(cameBack.length);
    const after = await migratedHistory(store);
    for (const [key, h] of before) {
      const now = after.get(key)!;
      expect(now.firstFound, key).toBe(h.firstFound);
      if (h.status === 'open') expect(now.reopenedCount, key).toBe(h.reopenedCount);
    }
  });

  it('a delta sync after the migration keeps the store equal to the tenant', async () => {
    const { store } = open();
    await sim.advanceHours(18);
    const result = await sync(store, sim, 'delta');
    expect(result.state).toBe('succeeded');
    expect(await openFindingKeys(store, 1)).toEqual(await truthFindingKeys(sim));
  });
}

describe('migration 0009 on a SQLite store written before it', () => {
  let dir: string;
  let store: Store;
  let before: Map<string, History>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mdec-old-store-'));
    const file = join(dir, 'old.sqlite');
    writeFileSync(file, gunzipSync(readFileSync(join(FIXTURES, 'sqlite-0008.sqlite.gz'))));
    const raw = new Database(file, { readonly: true });
    before = historyOf(raw.prepare('SELECT * FROM findings').all() as OldRow[]);
    raw.close();
    store = await openStore(file);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  migrationChecks(() => ({ store, before }));
});

describe.runIf(POSTGRES_AVAILABLE)('migration 0009 on a PostgreSQL store written before it', () => {
  const name = `mdec_t_old_${process.pid}`;
  let store: Store;
  let before: Map<string, History>;
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    // The dump is plain SQL: one simple query runs it whole.
    await client.query(gunzipSync(readFileSync(join(FIXTURES, 'postgres-0008.sql.gz'))).toString('utf8'));
    before = historyOf((await client.query('SELECT * FROM public.findings')).rows as OldRow[]);
    await client.end();
    store = await openStore(url.toString());
  });
  afterAll(async () => {
    await store?.close().catch(() => {});
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  migrationChecks(() => ({ store, before }));
});
