import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/store/db/open-store.js';
import type { Store } from '../../src/store/db/store.js';

/**
 * Store and sync tests run on both databases (docs/architecture.md#conventions). PostgreSQL comes from
 * MDEC_TEST_PG_URL (.ci/run sets it and starts the server); each store gets a database of its own.
 */
export const PG_ADMIN_URL = process.env.MDEC_TEST_PG_URL ?? 'postgres://mdec:mdec@127.0.0.1:5432/mdec_test';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** When CI asks for PostgreSQL it must be there; on a laptop without it, its tests are skipped. */
export const POSTGRES_AVAILABLE = await postgresReachable();
if (!POSTGRES_AVAILABLE && process.env.MDEC_TEST_PG_URL) {
  throw new Error(`MDEC_TEST_PG_URL is set but PostgreSQL at it is not reachable`);
}

export const STORE_KINDS = POSTGRES_AVAILABLE ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);
export type StoreKind = 'sqlite' | 'postgres';

export interface TestStore {
  store: Store;
  location: string;
  drop(): Promise<void>;
}

export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mdec-test-'));
    const location = join(dir, 'mdec.sqlite');
    const store = await openStore(location);
    const t: TestStore = {
      store,
      location,
      async drop() {
        await t.store.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return t;
  }
  const name = `mdec_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const location = url.toString();
  const store = await openStore(location);
  const t: TestStore = {
    store,
    location,
    async drop() {
      // The test may have swapped in a reopened store: close whichever is current.
      await t.store.close().catch(() => {});
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
  return t;
}
