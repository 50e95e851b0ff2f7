import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FindingStatus } from '../../src/normalize/finding-lifecycle.js';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { SyncLeaseRepository } from '../../src/store/runs/sync-lease-repository.js';
import { connectorAddArgs, mdecRunner } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

const SECRET = 'run-integrity-secret';
/** The CLI seals and opens connector secrets with this key: no key file is written anywhere. */
const KEY_ENV = { MDEC_MASTER_KEY: '07'.repeat(32) };

describe.each(STORE_KINDS)(
  'mdec sync: one sync per connector, and store errors fail the run (%s)',
  (kind) => {
    let sim: TestSimulator;
    let dir: string;
    let db: TestStore;
    const mdec = mdecRunner(() => ({ db: db.location, cwd: dir }), SECRET);
    const run = (args: string[]) => mdec(args, KEY_ENV);

    beforeAll(async () => {
      sim = await startTestSimulator({ devices: 60, seed: 12, devicesPerFile: 20, clientSecret: SECRET });
    });
    afterAll(() => sim.close());
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'mdec-integrity-'));
      db = await openTestStore(kind);
    });
    afterEach(async () => {
      await sim.admin('DELETE', '/faults');
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses a second sync of a connector while one runs, with exit 1 and who runs it', async () => {
      expect((await run(connectorAddArgs(sim))).code).toBe(0);
      // Every export file arrives slowly, so the first sync is still running when the second starts.
      await sim.fault({ kind: 'slow', path: '/blob/', count: 100, param: 700 });
      const first = run(['sync', '--connector', 'lab', '--mode', 'full']);
      const leases = new SyncLeaseRepository(db.store);
      const connectorId = Number(
        (await db.store.db.selectFrom('connectors').select('id').where('name', '=', 'lab').executeTakeFirst())
          ?.id,
      );
      let lease = await leases.current(connectorId);
      for (let i = 0; i < 200 && !lease?.runId; i++) {
        await sleep(50);
        lease = await leases.current(connectorId);
      }
      expect(lease?.runId).toBeGreaterThan(0);
      const second = await run(['sync', '--connector', 'lab']);
      expect(second.code).toBe(1);
      expect(second.stderr.trim()).toBe(
        `mdec: a sync of "lab" is running (run ${lease!.runId}, pid ${lease!.pid} on ${lease!.host}, since ${lease!.acquiredAt.replace(/\.\d{3}Z$/, 'Z')})`,
      );
      await sim.admin('DELETE', '/faults');
      const done = await first;
      expect(done.code, done.stderr).toBe(0);
      // The refused sync left no run behind, resumed nothing, and the lease is free again.
      const runs = await new RunRepository(db.store).list(connectorId);
      expect(runs.map((r) => r.state)).toEqual(['succeeded']);
      expect(await leases.current(connectorId)).toBeUndefined();
      expect((await run(['sync', '--connector', 'lab'])).code).toBe(0);
    });

    if (kind === 'sqlite') {
      it('a damaged SQLite file fails the run with exit 1, naming the file and the fix', async () => {
        expect((await run(connectorAddArgs(sim))).code).toBe(0);
        expect((await run(['sync', '--connector', 'lab', '--mode', 'full'])).code).toBe(0);
        await db.store.close();
        // Overwrite pages of the findings table in the middle of the file, as a bad disk would.
        const raw = new BetterSqlite3(db.location);
        raw.pragma('wal_checkpoint(TRUNCATE)');
        const pageSize = raw.pragma('page_size', { simple: true }) as number;
        const pages = raw
          .prepare("select pageno from dbstat where name = 'findings' and pagetype = 'leaf' order by pageno")
          .all() as Array<{ pageno: number }>;
        raw.close();
        expect(pages.length).toBeGreaterThan(10);
        const fd = openSync(db.location, 'r+');
        for (const { pageno } of pages.slice(pages.length / 3, pages.length / 3 + 6))
          writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (pageno - 1) * pageSize);
        closeSync(fd);
        // A new snapshot, so the second sync reads and writes findings.
        await sim.advanceHours(30);

        const second = await run(['sync', '--connector', 'lab', '--mode', 'full']);
        expect(second.code, second.stdout + second.stderr).toBe(1);
        expect(second.stdout).toMatch(/^Run 2 \(full: .*\) failed in/m);
        expect(second.stdout).toContain(`the SQLite database ${db.location} failed`);
        expect(second.stdout).toMatch(/malformed/);
        expect(second.stdout).toContain(`sqlite3 "${db.location}" "PRAGMA integrity_check"`);
        expect(second.stdout).toMatch(/restore it .* from a backup/);
        const check = new BetterSqlite3(db.location, { readonly: true });
        try {
          const last = check
            .prepare('select state, error, counters from sync_runs order by id desc')
            .get() as {
            state: string;
            error: string;
            counters: string;
          };
          expect(last.state).toBe('failed');
          expect(last.error).toMatch(/PRAGMA integrity_check/);
          const counters = JSON.parse(last.counters) as Record<string, { closed: number }>;
          // The run stopped at the error: nothing closed, and no stream ran after it.
          expect(Object.values(counters).every((c) => c.closed === 0)).toBe(true);
          expect(counters.alerts).toBeUndefined();
          const removed = check
            .prepare("select count(*) as n from hosts where status in ('removed', 'deleted')")
            .get() as { n: number };
          expect(removed.n).toBe(0);
        } finally {
          check.close();
        }
      });
    }

    if (kind === 'postgres') {
      it('a write PostgreSQL refuses fails the run with exit 1 and closes nothing', async () => {
        expect((await run(connectorAddArgs(sim))).code).toBe(0);
        expect((await run(['sync', '--connector', 'lab', '--mode', 'full'])).code).toBe(0);
        const openBefore = await countFindings('open');
        // A new snapshot: some findings are fixed, some new. The store now refuses every findings write.
        await sim.advanceHours(30);
        await sql`alter table findings add constraint refuse_writes check (false) not valid`.execute(
          db.store.db,
        );

        const second = await run(['sync', '--connector', 'lab', '--mode', 'full']);
        expect(second.code, second.stdout + second.stderr).toBe(1);
        const database = new URL(db.location).pathname.slice(1);
        expect(second.stdout).toMatch(/^Run 2 \(full: .*\) failed in/m);
        expect(second.stdout).toContain(`the PostgreSQL database "${database}" on 127.0.0.1:5432 failed`);
        expect(second.stdout).toMatch(/refuse_writes/);
        expect(second.stdout).toMatch(/constraint/);
        expect(second.stdout + second.stderr).not.toContain('mdec:mdec@');
        const last = (await new RunRepository(db.store).list())[0]!;
        expect(last.state).toBe('failed');
        expect(Object.values(last.counters).every((c) => c.closed === 0)).toBe(true);
        expect(last.counters.alerts).toBeUndefined();
        expect(await countFindings('open')).toBe(openBefore);
        expect(await countFindings('fixed')).toBe(0);
      });
    }

    async function countFindings(status: FindingStatus): Promise<number> {
      const row = await selectFindings(db.store)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', '=', status)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    }
  },
);

describe('mdec sync: devices left out by --stale-days are counted, with the reason', () => {
  let sim: TestSimulator;
  let dir: string;
  const db = () => join(dir, 'mdec.sqlite');
  const mdec = mdecRunner(() => ({ db: db(), cwd: dir }), SECRET);
  const run = (args: string[]) => mdec(args, KEY_ENV);

  beforeAll(async () => {
    // The CLI's clock is the wall clock: the simulated tenant's devices report relative to it.
    sim = await startTestSimulator({ devices: 150, seed: 21, clientSecret: SECRET, originMs: Date.now() });
    dir = mkdtempSync(join(tmpdir(), 'mdec-stale-'));
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the summary of a first sync names the stale devices and the findings they took with them', async () => {
    expect((await run([...connectorAddArgs(sim), '--stale-days', '14'])).code).toBe(0);
    const r = await run(['sync', '--connector', 'lab', '--mode', 'full']);
    expect(r.code, r.stderr).toBe(0);
    const machines = await sim.truthRows('machines');
    const stale = machines.filter((m) => Date.now() - Date.parse(m.lastSeen as string) > 14 * 86_400_000);
    expect(stale.length).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/^Not imported:$/m);
    expect(r.stdout).toContain(
      `  machines: ${stale.length} new devices not seen for more than 14 days (--stale-days 14)`,
    );
    expect(r.stdout).toMatch(
      /^ {2}vulnerabilities: [\d,]+ on devices left out by --stale-days, --tags, --filter or --initial-lookback-days$/m,
    );
    // Every fetched device is accounted for: imported, or named as left out.
    const row = r.stdout
      .split('\n')
      .find((l) => l.startsWith('machines '))!
      .split(/\s+/);
    const [fetched, inserted, , , , rejected, leftOut] = row.slice(2).map(Number);
    expect(fetched).toBe(machines.length);
    expect(inserted! + rejected! + leftOut!).toBe(fetched);
    expect(leftOut).toBe(stale.length);
  });

  it.each([['add'], ['edit']])(
    '`connector %s --help` says what --stale-days does on first and later syncs',
    async (sub) => {
      const r = await run(['connector', sub, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/--stale-days <n>/);
      expect(r.stdout).toMatch(/First sync: every such device is left out\./);
      expect(r.stdout).toMatch(/Later syncs: devices imported earlier stay/);
      expect(r.stdout).toMatch(/marked stale/);
    },
  );
});
