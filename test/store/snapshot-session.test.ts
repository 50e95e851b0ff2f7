import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NormalizedFinding } from '../../src/normalize/model.js';
import { selectFindings, whereFinding } from '../../src/store/findings/finding-repository.js';
import { FindingWriter } from '../../src/store/findings/finding-writer.js';
import { openSnapshotSession } from '../../src/store/findings/snapshot-session.js';
import { HostWriter } from '../../src/store/hosts/host-writer.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

function finding(
  machine: string,
  cve: string,
  overrides: Partial<NormalizedFinding> = {},
): NormalizedFinding {
  return {
    machineId: machine,
    findingKey: `${machine}|${cve}|v|p|1`,
    cveId: cve,
    softwareVendor: 'v',
    softwareName: 'p',
    softwareVersion: '1',
    name: `v p 1 ${cve}`,
    sourceSeverity: 'High',
    severity: 4,
    score: 75,
    firstSeen: '2026-01-01T00:00:00.000Z',
    lastSeen: null,
    securityUpdateAvailable: true,
    recommendedSecurityUpdate: 'KB1\u0001odd',
    recommendedSecurityUpdateId: null,
    recommendedSecurityUpdateUrl: null,
    diskPaths: ['C:\\p.exe'],
    registryPaths: [],
    exploitabilityLevel: 'NoExploit',
    recommendationReference: null,
    rbacGroupId: null,
    rbacGroupName: null,
    cvssScore: 8.1,
    extra: {},
    customAttributes: {},
    contentHash: `hash-${cve}`,
    ...overrides,
  };
}

const SNAPSHOT = '2026-11-01T00:00:00.000Z';

/** Every mode of the session: the writer thread, inline SQLite and the portable path. */
const MODES = [
  ...STORE_KINDS.map((kind) => ({ kind, worker: kind === 'sqlite' })),
  { kind: 'sqlite' as const, worker: false },
];

describe.each(MODES)('snapshot session ($kind, writer thread: $worker)', ({ kind, worker }) => {
  let t: TestStore;
  let connectorId: number;
  const saved = process.env.MDEC_SNAPSHOT_WORKER;

  beforeEach(async () => {
    if (!worker) process.env.MDEC_SNAPSHOT_WORKER = '0';
    t = await openTestStore(kind);
    connectorId = await addOfflineConnector(t.store, 'c');
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env.MDEC_SNAPSHOT_WORKER;
    else process.env.MDEC_SNAPSHOT_WORKER = saved;
    await t.drop();
  });

  const open = (hostIdOf: (m: string) => number | null = () => null) =>
    openSnapshotSession(
      t.store,
      new FindingWriter(t.store),
      new HostWriter(t.store),
      { connectorId, seenToken: 7, at: SNAPSHOT, hostIdOf },
      SNAPSHOT,
    );
  const end = (line: number) => ({
    scanned: [],
    checkpoint: { stream: 'vulnerabilities', value: { line } },
    at: SNAPSHOT,
  });
  const stored = () =>
    selectFindings(t.store)
      .select(['findingKey', 'recommendedSecurityUpdate', 'diskPaths', 'seenRunId', 'cvssScore'])
      .orderBy('findingKey')
      .execute();
  const checkpoint = async () =>
    (await t.store.db.selectFrom('syncCheckpoints').select('value').executeTakeFirst())?.value;

  it('stores batches in order with their checkpoints, values intact, a repeated key once', async () => {
    const session = open();
    const counts: number[] = [];
    session.add(finding('m1', 'CVE-1'));
    session.add(finding('m1', 'CVE-2'));
    await session.flush(end(2), (r) => counts.push(r.inserted));
    session.add(finding('m2', 'CVE-1'));
    session.add(finding('m2', 'CVE-1'));
    await session.flush(end(4), (r) => counts.push(r.inserted));
    await session.close();
    expect(counts[0]).toBe(2);
    const rows = await stored();
    expect(rows.map((r) => r.findingKey)).toEqual(['m1|CVE-1|v|p|1', 'm1|CVE-2|v|p|1', 'm2|CVE-1|v|p|1']);
    expect(rows[0]).toMatchObject({
      recommendedSecurityUpdate: 'KB1\u0001odd',
      diskPaths: '["C:\\\\p.exe"]',
      seenRunId: 7,
      cvssScore: 8.1,
    });
    expect(JSON.parse(String(await checkpoint()))).toEqual({ line: 4 });
  });

  it('a first load stores what the lookup path stores, with the same counts for repeated keys', async () => {
    const other = await addOfflineConnector(t.store, 'd');
    const load = async (id: number, firstLoad: boolean) => {
      const session = openSnapshotSession(
        t.store,
        new FindingWriter(t.store),
        new HostWriter(t.store),
        { connectorId: id, seenToken: 7, at: SNAPSHOT, hostIdOf: () => null, firstLoad },
        SNAPSHOT,
      );
      const totals = { inserted: 0, updated: 0, unchanged: 0, reopened: 0 };
      const add = (r: typeof totals) => {
        for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r[k];
      };
      session.add(finding('m1', 'CVE-1'));
      session.add(finding('m1', 'CVE-2'));
      // The same key again in the same batch, with the same content: stored once, unchanged.
      session.add(finding('m1', 'CVE-1'));
      await session.flush(end(3), add);
      // ...and in a later batch with other content: rewritten.
      session.add(finding('m1', 'CVE-2', { contentHash: 'other', severity: 5, firstSeen: null }));
      session.add(finding('m2', 'CVE-1', { firstSeen: null }));
      await session.flush(end(5), add);
      await session.close();
      return totals;
    };
    const fast = await load(connectorId, true);
    const looked = await load(other, false);
    // (The portable path stores a key repeated within one batch once, before counting.)
    expect(fast).toMatchObject({ inserted: 3, updated: 1, reopened: 0 });
    expect(fast).toEqual(looked);
    const rowsOf = async (id: number) =>
      (
        await selectFindings(t.store)
          .selectAll()
          .where('connectorId', '=', id)
          .orderBy('findingKey')
          .execute()
      ).map(({ deviceId: _d, softwareId: _s, connectorId: _c, ...rest }) => rest);
    const fastRows = await rowsOf(connectorId);
    expect(fastRows).toEqual(await rowsOf(other));
    expect(fastRows.map((r) => [r.findingKey, r.severity, r.status, r.firstFound])).toEqual([
      ['m1|CVE-1|v|p|1', 4, 'open', '2026-01-01T00:00:00.000Z'],
      ['m1|CVE-2|v|p|1', 5, 'open', '2026-01-01T00:00:00.000Z'],
      ['m2|CVE-1|v|p|1', 4, 'open', SNAPSHOT],
    ]);
  });

  it('over three passes inserts, touches, rewrites changed content and reopens a fixed finding', async () => {
    const pass = async (token: number, time: string, findings: NormalizedFinding[]) => {
      const session = openSnapshotSession(
        t.store,
        new FindingWriter(t.store),
        new HostWriter(t.store),
        { connectorId, seenToken: token, at: time, hostIdOf: () => null },
        time,
      );
      const totals = { inserted: 0, updated: 0, unchanged: 0, reopened: 0 };
      for (const f of findings) session.add(f);
      await session.flush({ ...end(token), at: time }, (r) => {
        for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r[k];
      });
      await session.close();
      return totals;
    };
    const T1 = '2026-11-01T00:00:00.000Z';
    const T2 = '2026-11-02T00:00:00.000Z';
    const T3 = '2026-11-03T00:00:00.000Z';
    expect(
      await pass(1, T1, [finding('m1', 'CVE-1'), finding('m1', 'CVE-2'), finding('m2', 'CVE-3')]),
    ).toEqual({
      inserted: 3,
      updated: 0,
      unchanged: 0,
      reopened: 0,
    });
    const changed = finding('m1', 'CVE-2', { score: 99, contentHash: 'hash-changed' });
    expect(await pass(2, T2, [finding('m1', 'CVE-1'), changed, finding('m2', 'CVE-3')])).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: 2,
      reopened: 0,
    });
    const fixed = await selectFindings(t.store)
      .select(['connectorId', 'deviceId', 'softwareId', 'cveId'])
      .where('findingKey', '=', 'm2|CVE-3|v|p|1')
      .executeTakeFirstOrThrow();
    await t.store.db
      .updateTable('findings')
      .set({ status: 'fixed', lastFixed: T2 })
      .where(whereFinding(fixed))
      .execute();
    expect(await pass(3, T3, [finding('m1', 'CVE-1'), changed, finding('m2', 'CVE-3')])).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: 2,
      reopened: 1,
    });
    const rows = await selectFindings(t.store)
      .select([
        'findingKey',
        'status',
        'score',
        'reopenedCount',
        'firstFound',
        'lastFound',
        'stateTime',
        'seenRunId',
      ])
      .orderBy('findingKey')
      .execute();
    expect(rows).toEqual([
      {
        findingKey: 'm1|CVE-1|v|p|1',
        status: 'open',
        score: 75,
        reopenedCount: 0,
        firstFound: '2026-01-01T00:00:00.000Z',
        lastFound: T3,
        stateTime: T3,
        seenRunId: 3,
      },
      {
        findingKey: 'm1|CVE-2|v|p|1',
        status: 'open',
        score: 99,
        reopenedCount: 0,
        firstFound: '2026-01-01T00:00:00.000Z',
        lastFound: T3,
        stateTime: T3,
        seenRunId: 3,
      },
      {
        findingKey: 'm2|CVE-3|v|p|1',
        status: 'open',
        score: 75,
        reopenedCount: 1,
        firstFound: '2026-01-01T00:00:00.000Z',
        lastFound: T3,
        stateTime: T3,
        seenRunId: 3,
      },
    ]);
  });

  it('after a batch fails, stores nothing later and reports the failure', async () => {
    const session = open((m) => (m === 'bad' ? 999_999 : null));
    session.add(finding('m1', 'CVE-1'));
    await session.flush(end(1), () => {});
    await session.drain();
    // A host id that does not exist breaks the foreign key: the batch fails as a whole.
    session.add(finding('bad', 'CVE-1'));
    const second = session.flush(end(2), () => {});
    const third = second.then(async () => {
      session.add(finding('m3', 'CVE-1'));
      await session.flush(end(3), () => {});
    });
    await expect(third.then(() => session.drain())).rejects.toThrow();
    await session.close().catch(() => {});
    expect((await stored()).map((r) => r.findingKey)).toEqual(['m1|CVE-1|v|p|1']);
    expect(JSON.parse(String(await checkpoint()))).toEqual({ line: 1 });
  });
});
