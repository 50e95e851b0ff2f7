import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NormalizedFinding } from '../../src/normalize/model.js';
import { openSnapshotSession } from '../../src/store/findings/snapshot-session.js';
import { HostWriter } from '../../src/store/hosts/host-writer.js';
import { sampleFinding } from '../helpers/sample-finding.js';
import { openSessionStore } from '../helpers/snapshot-session-modes.js';
import type { TestStore } from '../helpers/test-stores.js';

// A full pass must hold one batch or two at a time, whatever the tenant's size (peak memory:
// docs/benchmarks.md#targets): nothing the writer keeps from one batch to the next may keep the batch
// itself alive. The writer runs inline here, on this thread, so this thread's heap after a full
// garbage collection is the writer's too.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const heapAfterCollection = () => {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

const T = '2026-11-20T00:00:00.000Z';
const DEVICES_PER_BATCH = 100;
const ROWS_PER_DEVICE = 5;
/** Each row carries this much text, so a batch is about a megabyte. */
const PATH = `C:\\Program Files\\${'x'.repeat(2000)}\\app.exe`;

/** Batch `b`'s rows: devices never met before, grouped by device as an export gives them. */
function batchRows(b: number): NormalizedFinding[] {
  const rows: NormalizedFinding[] = [];
  for (let d = 0; d < DEVICES_PER_BATCH; d++) {
    const machine = `${String(b).padStart(6, '0')}${String(d).padStart(4, '0')}${'f'.repeat(30)}`;
    for (let r = 0; r < ROWS_PER_DEVICE; r++) {
      const cve = `CVE-2026-${b}${d}${r}`;
      rows.push(
        sampleFinding({
          machineId: machine,
          cveId: cve,
          findingKey: `${machine}|${cve}|v|n|1.0`,
          name: `v n 1.0 ${cve}`,
          diskPaths: [PATH],
          contentHash: `hash-${cve}`,
        }),
      );
    }
  }
  return rows;
}

describe('memory of a full pass (SQLite writer, inline)', () => {
  let t: TestStore;
  let connectorId: number;
  let close: () => Promise<void>;

  beforeEach(async () => {
    ({ t, connectorId, close } = await openSessionStore('sqlite', false));
  });
  afterEach(() => close());

  it('does not grow with the batches stored', async () => {
    const session = openSnapshotSession(
      t.store,
      new HostWriter(t.store),
      { connectorId, seenToken: 1, at: T, hostIdOf: () => null, firstLoad: true },
      T,
    );
    const store = async (b: number) => {
      for (const f of batchRows(b)) session.add(f);
      await session.flush(
        { scanned: [], checkpoint: { stream: 'vulnerabilities', value: { b } }, at: T },
        () => {},
      );
    };
    for (let b = 0; b < 5; b++) await store(b);
    const early = heapAfterCollection();
    for (let b = 5; b < 45; b++) await store(b);
    const late = heapAfterCollection();
    await session.close();
    // 40 batches of about a megabyte each: kept alive, they would add about 40 MB; the writer's own
    // memory of 4,000 more devices (ids by machine id) is a fraction of one.
    expect((late - early) / 1e6).toBeLessThan(8);
  });
});
