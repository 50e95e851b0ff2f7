import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asApiError } from '../../src/api/api-error.js';
import { ReadThreads } from '../../src/api/read-threads.js';
import { readerOnThisThread, type StoreReader } from '../../src/api/store-reads.js';
import { readRecordPage } from '../../src/export/read-records.js';
import { MachineActionRepository } from '../../src/store/actions/machine-action-repository.js';
import { inReadBatch } from '../../src/store/db/read-batches.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/** What a read failed with: its status, code and details, or the fault's message. */
async function failureOf(read: Promise<Buffer>) {
  const err = await read.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  const api = asApiError(err);
  if (api) return { status: api.status, code: api.code, details: api.details };
  return { fault: err?.message };
}

describe.each(STORE_KINDS)('read threads (%s)', (storeKind) => {
  let sim: TestSimulator;
  let ts: TestStore;
  let here: StoreReader;
  let threads: ReadThreads;
  const warnings: string[] = [];

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 12 });
    ts = await openTestStore(storeKind);
    await addConnector(ts.store, sim, {
      dataTypes: ['machines', 'vulnerabilities', 'vulnerability-definitions', 'installed-software', 'alerts'],
    });
    await sync(ts.store, sim, 'full');
    here = readerOnThisThread(ts.store);
    threads = await ReadThreads.start({
      threads: 2,
      location: ts.location,
      fallback: here,
      warn: (message) => warnings.push(message),
    });
  }, 60_000);

  afterAll(async () => {
    await threads?.close();
    await ts?.drop();
    await sim?.close();
  });

  it('answers every read byte for byte as the server thread does', async () => {
    const hosts = JSON.parse(
      (await here.answer('list', { kind: 'hosts', request: { limit: 5, sort: '-riskScore' } })).toString(),
    ) as { items: Array<{ id: number }> };
    expect(hosts.items.length).toBe(5);
    const findings = JSON.parse(
      (
        await here.answer('list', { kind: 'findings', request: { limit: 3, query: 'severity>=medium' } })
      ).toString(),
    ) as { items: Array<{ id: string; cveId: string }> };
    expect(findings.items.length).toBe(3);
    const reads = [
      threads.answer('list', { kind: 'hosts', request: { limit: 5, sort: '-riskScore' } }),
      threads.answer('list', { kind: 'findings', request: { limit: 3, query: 'severity>=medium' } }),
      ...hosts.items.map((h) => threads.answer('host', { id: h.id })),
      threads.answer('finding', { id: findings.items[0]!.id }),
      threads.answer('vulnerability', { cveId: findings.items[0]!.cveId }),
    ];
    const expected = [
      await here.answer('list', { kind: 'hosts', request: { limit: 5, sort: '-riskScore' } }),
      await here.answer('list', { kind: 'findings', request: { limit: 3, query: 'severity>=medium' } }),
      ...(await Promise.all(hosts.items.map((h) => here.answer('host', { id: h.id })))),
      await here.answer('finding', { id: findings.items[0]!.id }),
      await here.answer('vulnerability', { cveId: findings.items[0]!.cveId }),
    ];
    const answers = await Promise.all(reads);
    expect(answers.map((a) => a.toString())).toEqual(expected.map((e) => e.toString()));
    expect(JSON.parse(answers[2]!.toString()).host.id).toBe(hosts.items[0]!.id);
  });

  it('reads a host’s records in one batch as each would read alone', async () => {
    const hosts = await readRecordPage(ts.store, 'hosts', { limit: 12 });
    expect(hosts.records.length).toBeGreaterThan(5);
    const readsOf = (hostId: number) => () =>
      Promise.all([
        readRecordPage(ts.store, 'hosts', { equals: { id: hostId }, limit: 1 }),
        readRecordPage(ts.store, 'findings', {
          equals: { hostId, status: 'open' },
          sort: { column: 'score', descending: true, neverNull: true },
          limit: 500,
        }),
        readRecordPage(ts.store, 'installed-software', { equals: { hostId }, limit: 500 }),
        readRecordPage(ts.store, 'alerts', { equals: { hostId }, limit: 500 }),
        new MachineActionRepository(ts.store).list({ hostId, limit: 500 }),
      ]);
    let findings = 0;
    for (const host of hosts.records) {
      const alone = await readsOf(Number(host.id))();
      const together = await inReadBatch(readsOf(Number(host.id)));
      expect(JSON.stringify(together)).toBe(JSON.stringify(alone));
      findings += alone[1].records.length;
    }
    expect(findings).toBeGreaterThan(0);
  });

  it('fails a read with the ApiError it stands for: a 404, a refused query', async () => {
    expect(await failureOf(threads.answer('host', { id: 999_999 }))).toEqual({
      status: 404,
      code: 'not-found',
      details: undefined,
    });
    expect(
      await failureOf(
        threads.answer('list', { kind: 'hosts', request: { limit: 5, query: 'nosuchfield:x' } }),
      ),
    ).toEqual(
      await failureOf(here.answer('list', { kind: 'hosts', request: { limit: 5, query: 'nosuchfield:x' } })),
    );
    const badQuery = await failureOf(
      threads.answer('list', { kind: 'hosts', request: { limit: 5, query: 'risk>=' } }),
    );
    expect(badQuery).toMatchObject({ status: 400, code: 'bad-query' });
    expect(badQuery.details?.[0]?.path).toBe('querystring.query');
  });

  it('replaces a thread that stops, failing only the reads it had in hand', async () => {
    const [first] = threads.workers;
    expect(threads.size).toBe(2);
    const inHand = Array.from({ length: 6 }, (_, i) => threads.answer('host', { id: (i % 3) + 1 }));
    await first!.terminate();
    const outcomes = await Promise.allSettled(inHand);
    const failed = outcomes.filter((o) => o.status === 'rejected');
    for (const f of failed) expect(String(f.reason)).toMatch(/a read thread stopped/);
    // The other thread, or this thread while none is ready, answers what comes next.
    expect(JSON.parse((await threads.answer('host', { id: 1 })).toString()).host.id).toBe(1);
    for (let i = 0; i < 100 && threads.size < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(threads.size).toBe(2);
    expect(threads.workers).not.toContain(first);
    expect(warnings.some((w) => /a read thread stopped .*starting another/.test(w))).toBe(true);
  });
});

describe('read threads that cannot open the store', () => {
  it('refuse to start, saying why', async () => {
    const start = ReadThreads.start({
      threads: 1,
      location: '/nonexistent-dir/mdec.sqlite',
      fallback: { answer: async () => Buffer.alloc(0), close: async () => {} },
      warn: () => {},
    });
    await expect(start).rejects.toThrow(/a read thread could not open the store: no database at/);
  });
});
