import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NormalizedFinding } from '../../src/normalize/model.js';
import type { FindingBatchContext, SnapshotBatchResult } from '../../src/store/findings/finding-batch.js';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { FindingWriter } from '../../src/store/findings/finding-writer.js';
import { openSnapshotSession } from '../../src/store/findings/snapshot-session.js';
import { HostWriter } from '../../src/store/hosts/host-writer.js';
import { sampleFinding } from '../helpers/sample-finding.js';
import { openSessionStore, SESSION_MODES } from '../helpers/snapshot-session-modes.js';
import type { TestStore } from '../helpers/test-stores.js';

const row = (machine: string, cve: string): NormalizedFinding =>
  sampleFinding({
    machineId: machine,
    cveId: cve,
    findingKey: `${machine}|${cve}|v|n|1.0`,
    name: `v n 1.0 ${cve}`,
    contentHash: `hash-${cve}`,
  });

const T = (day: number) => `2026-11-${String(day).padStart(2, '0')}T00:00:00.000Z`;

// A pass over a snapshot equal to the stored one marks a device's findings seen at once when its rows
// match what the device has open (sqlite-snapshot-writer.ts); the store must end the same as when
// every row is looked up, whatever came before: rows of a device split between batches or between
// an interrupted pass and its resumption, findings closed in between.
describe.each(SESSION_MODES)(
  'passes over equal snapshots ($kind, writer thread: $worker)',
  ({ kind, worker }) => {
    let t: TestStore;
    let connectorId: number;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ t, connectorId, close } = await openSessionStore(kind, worker));
    });
    afterEach(() => close());

    const context = (token: number, time: string, firstLoad = false): FindingBatchContext => ({
      connectorId,
      seenToken: token,
      at: time,
      hostIdOf: () => null,
      firstLoad,
    });

    /** One session of a pass: each inner list is one batch. Returns the summed counts. */
    const session = async (
      token: number,
      time: string,
      batches: NormalizedFinding[][],
      firstLoad = false,
    ) => {
      const s = openSnapshotSession(t.store, new HostWriter(t.store), context(token, time, firstLoad), time);
      const totals: SnapshotBatchResult = { inserted: 0, updated: 0, unchanged: 0, reopened: 0 };
      for (const [i, batch] of batches.entries()) {
        for (const f of batch) s.add(f);
        await s.flush(
          { scanned: [], checkpoint: { stream: 'vulnerabilities', value: { token, i } }, at: time },
          (r) => {
            for (const k of Object.keys(totals) as Array<keyof SnapshotBatchResult>) totals[k] += r[k];
          },
        );
      }
      await s.close();
      return totals;
    };
    const sweep = (token: number, time: string) =>
      new FindingWriter(t.store).sweep(context(token, time), time, -1);

    const stored = async () =>
      (
        await selectFindings(t.store)
          .select([
            'findingKey',
            'status',
            'lastFound',
            'stateTime',
            'seenRunId',
            'reopenedCount',
            'lastFixed',
          ])
          .where('connectorId', '=', connectorId)
          .orderBy('findingKey')
          .execute()
      ).map((r) => ({ ...r, seenRunId: Number(r.seenRunId), reopenedCount: Number(r.reopenedCount) }));

    it('an equal pass marks every finding seen, as a row-by-row pass does', async () => {
      const rows = [row('m1', 'CVE-1'), row('m1', 'CVE-2'), row('m2', 'CVE-3')];
      expect(await session(1, T(1), [rows], true)).toMatchObject({ inserted: 3 });
      expect(await session(2, T(2), [rows])).toEqual({ inserted: 0, updated: 0, unchanged: 3, reopened: 0 });
      expect(await sweep(2, T(2))).toBe(0);
      for (const f of await stored())
        expect(f).toMatchObject({ status: 'open', lastFound: T(2), stateTime: T(2), seenRunId: 2 });
    });

    it('a device whose rows a pass split between batches is not taken for one with fewer findings', async () => {
      const a = row('m1', 'CVE-1');
      const b = row('m1', 'CVE-2');
      await session(1, T(1), [[a], [b]]);
      // The next snapshot holds only `a`: `b` is not marked seen, and the sweep closes it.
      expect(await session(2, T(2), [[a]])).toMatchObject({ unchanged: 1 });
      expect(await sweep(2, T(2))).toBe(1);
      expect((await stored()).map((f) => [f.findingKey, f.status, f.lastFound])).toEqual([
        ['m1|CVE-1|v|n|1.0', 'open', T(2)],
        ['m1|CVE-2|v|n|1.0', 'fixed', T(1)],
      ]);
    });

    it('a pass resumed within a device leaves no digest that passes for the device', async () => {
      const a = row('m1', 'CVE-1');
      const b = row('m1', 'CVE-2');
      // The pass stops after `a`; its resumption (a new session, the same seen token) stores `b`.
      await session(1, T(1), [[a]]);
      await session(1, T(1), [[b]]);
      expect(await sweep(1, T(1))).toBe(0);
      // A snapshot that holds `b` alone: `a` is gone and must be closed.
      expect(await session(2, T(2), [[b]])).toMatchObject({ unchanged: 1 });
      expect(await sweep(2, T(2))).toBe(1);
      expect((await stored()).map((f) => [f.findingKey, f.status])).toEqual([
        ['m1|CVE-1|v|n|1.0', 'fixed'],
        ['m1|CVE-2|v|n|1.0', 'open'],
      ]);
    });

    it('after the change feed closed one finding and opened another, an equal count is not taken for equal rows', async () => {
      const a = row('m1', 'CVE-1');
      const b = row('m1', 'CVE-2');
      const c = row('m1', 'CVE-3');
      await session(1, T(1), [[a, b]]);
      // The change feed closes `b` and opens `c`: the device still has two findings open.
      await new FindingWriter(t.store).applyChangeBatch(
        context(1, T(2)),
        [
          {
            finding: b,
            event: { status: 'Fixed', time: T(2), rbacGroupId: null, contentHash: b.contentHash },
          },
          { finding: c, event: { status: 'New', time: T(2), rbacGroupId: null, contentHash: c.contentHash } },
        ],
        { stream: 'delta', value: T(2) },
      );
      // The next snapshot holds `a` and `b` again: `b` is reopened, `c` is not seen and the sweep closes it.
      expect(await session(2, T(3), [[a, b]])).toEqual({
        inserted: 0,
        updated: 1,
        unchanged: 1,
        reopened: 1,
      });
      expect(await sweep(2, T(3))).toBe(1);
      expect((await stored()).map((f) => [f.findingKey, f.status, f.reopenedCount, f.lastFixed])).toEqual([
        ['m1|CVE-1|v|n|1.0', 'open', 0, null],
        ['m1|CVE-2|v|n|1.0', 'open', 1, T(2)],
        ['m1|CVE-3|v|n|1.0', 'fixed', 0, T(3)],
      ]);
      // A pass without `b` closes it, and the next pass with it reopens it again.
      await session(3, T(4), [[a]]);
      expect(await sweep(3, T(4))).toBe(1);
      expect(await session(4, T(5), [[a, b]])).toMatchObject({ reopened: 1, unchanged: 1 });
      expect((await stored()).map((f) => [f.findingKey, f.status, f.reopenedCount])).toEqual([
        ['m1|CVE-1|v|n|1.0', 'open', 0],
        ['m1|CVE-2|v|n|1.0', 'open', 2],
        ['m1|CVE-3|v|n|1.0', 'fixed', 0],
      ]);
    });
  },
);
