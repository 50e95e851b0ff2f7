import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findPendingAction, pollAction, runAction } from '../../src/mde/actions/machine-actions.js';
import { ActionTimeoutError, ApiError, ConfigError } from '../../src/mde/mde-errors.js';
import type { MachineAction } from '../../src/mde/schemas/machine-action.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { createKit, type Kit } from './mde-test-kit.js';

type Machine = { id: string; osPlatform: string; healthStatus: string };

describe('machine actions', () => {
  let sim: TestSimulator;
  let kit: Kit;
  let windows: Machine[];
  let other: Machine;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 80 });
    const machines = (await sim.truthRows('machines')) as unknown as Machine[];
    windows = machines.filter(
      (m) => m.osPlatform.toLowerCase().startsWith('windows') && m.healthStatus === 'Active',
    );
    const nonWindows = machines.find((m) => /^(macos|ios|android)/i.test(m.osPlatform));
    expect(windows.length).toBeGreaterThan(4);
    expect(nonWindows).toBeDefined();
    other = nonWindows!;
    kit = await createKit(sim);
  });
  afterEach(async () => sim.admin('DELETE', '/faults'));
  afterAll(async () => {
    await kit?.close();
    await sim?.close();
  });

  /** Waiting moves the simulator's clock, so actions progress Pending → InProgress → final. */
  const simSleep = (ms: number) => kit.clock.advanceMs(ms);

  it('isolates, treats a duplicate as the same pending action, polls to the end, then releases', async () => {
    const machine = windows[0]!;
    const first = await runAction(kit.client, machine.id, {
      type: 'isolate',
      comment: 'suspicious beaconing',
    });
    expect(first.created).toBe(true);
    expect(first.action).toMatchObject({
      type: 'Isolate',
      status: 'Pending',
      scope: 'Full',
      machineId: machine.id,
      requestorComment: 'suspicious beaconing',
    });

    // docs/mde-api.md#machine-actions: the second request answers 400 ActiveRequestAlreadyExists; same action
    // back.
    const again = await runAction(kit.client, machine.id, { type: 'isolate', comment: 'again' });
    expect(again.created).toBe(false);
    expect(again.action.id).toBe(first.action.id);

    // The opposite action while the isolation is pending is a real conflict.
    const conflict = await runAction(kit.client, machine.id, { type: 'unisolate', comment: 'release' }).catch(
      (e: unknown) => e,
    );
    expect(conflict).toBeInstanceOf(ApiError);
    expect(conflict).toMatchObject({ status: 400, mdeCode: 'ActiveRequestAlreadyExists' });

    const statuses: string[] = [];
    const done = await pollAction(kit.client, first.action.id, {
      intervalMs: 30_000,
      timeoutMs: 15 * 60_000,
      sleep: simSleep,
      onStatus: (a: MachineAction) => statuses.push(a.status ?? ''),
    });
    expect(done.status).toBe('Succeeded');
    expect(statuses[0]).toBe('Pending');
    expect(statuses).toContain('InProgress');
    expect(done.lastUpdateDateTimeUtc).toBeTruthy();

    const release = await runAction(kit.client, machine.id, { type: 'unisolate', comment: 'all clear' });
    expect(release).toMatchObject({ created: true, action: { type: 'Unisolate', status: 'Pending' } });
    const released = await pollAction(kit.client, release.action.id, { intervalMs: 60_000, sleep: simSleep });
    expect(released.status).toBe('Succeeded');
  });

  it('runs antivirus scans with the case-sensitive ScanType', async () => {
    const machine = windows[1]!;
    const scan = await runAction(kit.client, machine.id, {
      type: 'scan',
      comment: 'weekly',
      scanType: 'Full',
    });
    expect(scan.action).toMatchObject({ type: 'RunAntiVirusScan', scope: 'Full' });
    const quick = await runAction(kit.client, windows[2]!.id, { type: 'scan', comment: 'default' });
    expect(quick.action.scope).toBe('Quick');
    const found = await findPendingAction(kit.client, machine.id, 'RunAntiVirusScan');
    expect(found?.id).toBe(scan.action.id);
    const isolate = await runAction(kit.client, windows[3]!.id, {
      type: 'isolate',
      comment: 'selective',
      isolationType: 'Selective',
    });
    expect(isolate.action.scope).toBe('Selective');
  });

  it('passes MDE refusals on as ApiError', async () => {
    const unsupported = await runAction(kit.client, other.id, { type: 'scan', comment: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(unsupported).toMatchObject({ code: 'api', status: 400, mdeCode: 'OsPlatformNotSupported' });
    const missing = await runAction(kit.client, 'no-such-machine', { type: 'isolate', comment: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(missing).toMatchObject({ status: 404, mdeCode: 'ResourceNotFound' });
    await expect(
      runAction(kit.client, windows[4]!.id, { type: 'isolate', comment: '  ' }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('gives up polling after the timeout with ActionTimeoutError', async () => {
    const action = await runAction(kit.client, windows[4]!.id, { type: 'scan', comment: 'slow' });
    // Real sleeps that do not move the simulated clock: the action stays Pending.
    const error = await pollAction(kit.client, action.action.id, {
      intervalMs: 5,
      timeoutMs: 20,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionTimeoutError);
    expect(error).toMatchObject({
      code: 'action-timeout',
      lastStatus: 'Pending',
      actionId: action.action.id,
    });
  });

  it('retries an action POST that hit a 503', async () => {
    await sim.fault({ kind: '5xx', param: 503, path: '/runAntiVirusScan', count: 1 });
    const before = kit.client.stats.retries;
    const scan = await runAction(kit.client, windows[5]!.id, { type: 'scan', comment: 'retry me' });
    expect(scan.created).toBe(true);
    expect(kit.client.stats.retries).toBe(before + 1);
  });
});
