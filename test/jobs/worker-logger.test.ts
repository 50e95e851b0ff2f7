import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { workerLogger } from '../../src/jobs/worker-logger.js';

/** What a logger wrote to its destination so far. */
function captured() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c) => {
    text += String(c);
  });
  return { out, text: () => text };
}

describe('the worker log', () => {
  it('is one JSON line per event, with the run id and connector', async () => {
    const sink = captured();
    const log = workerLogger({ human: false, destination: sink.out });
    log.info({ runId: 7, connector: 'lab' }, 'run started');
    log.warn({ runId: 7, connector: 'lab', was: 'processing' }, 'lost run queued again');
    await sleep(10);
    const lines = sink.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ msg: 'run started', runId: 7, connector: 'lab', level: 30 });
    expect(events[1]).toMatchObject({ msg: 'lost run queued again', was: 'processing', level: 40 });
  });

  it('is a short human line per event on a terminal', async () => {
    const sink = captured();
    const log = workerLogger({ human: true, destination: sink.out });
    log.info({ runId: 7, connector: 'lab', detail: { files: 3 } }, 'run started');
    await sleep(10);
    expect(sink.text()).toMatch(
      /^\d{2}:\d{2}:\d{2} info run started runId=7 connector=lab detail=\{"files":3\}\n$/,
    );
  });
});
