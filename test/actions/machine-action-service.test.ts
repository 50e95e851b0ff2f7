import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionFailedError, ActionInputError, ActionRefusedError } from '../../src/actions/action-errors.js';
import {
  type ActionServiceDeps,
  refreshMachineAction,
  requestMachineAction,
  waitForMachineAction,
} from '../../src/actions/machine-action-service.js';
import type { AuditActor } from '../../src/audit/audit-actor.js';
import { UndiciHttpTransport } from '../../src/mde/http/http-transport.js';
import { MachineActionRepository } from '../../src/store/actions/machine-action-repository.js';
import { type AuditEntry, AuditLogRepository } from '../../src/store/audit/audit-log-repository.js';
import { createMdeClient } from '../../src/sync/mde-client-factory.js';
import { type ActionDevice, actionDevices } from '../helpers/action-devices.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync, TEST_SECRETS, testLimiter } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/** An app registration that reads devices but may not isolate or scan them. */
const READ_ONLY_APP = { clientId: '99999999-0000-4000-8000-0000000000ac', clientSecret: 'read-only-secret' };
const alice: AuditActor = { kind: 'cli', name: 'alice' };

describe.each(STORE_KINDS)('machine actions through the connector (%s)', (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  let transport: UndiciHttpTransport;
  let deps: ActionServiceDeps;
  /** Onboarded Windows devices that report as Active: their actions succeed in the simulator. */
  let healthy: ActionDevice[];
  let notOnboarded: ActionDevice;
  let onboardedWindows: ActionDevice[];

  /** Waiting moves the simulator's clock, so an action goes Pending → InProgress → final with no real wait. */
  const simSleep = async (ms: number) => {
    await sim.admin('POST', '/clock/advance', { ms });
  };

  async function audit(): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for await (const e of new AuditLogRepository(db.store).entries()) out.push(e);
    return out;
  }

  beforeAll(async () => {
    sim = await startTestSimulator({
      devices: 60,
      extraApps: [{ ...READ_ONLY_APP, roles: ['Machine.Read.All'], consented: true }],
    });
    db = await openTestStore(kind);
    await addConnector(db.store, sim, { dataTypes: ['machines'], actions: true }, 'lab');
    await addConnector(db.store, sim, { dataTypes: ['machines'], actions: true }, 'read-only', READ_ONLY_APP);
    expect((await sync(db.store, sim, 'full', 'lab')).state).toBe('succeeded');
    expect((await sync(db.store, sim, 'full', 'read-only')).state).toBe('succeeded');
    transport = new UndiciHttpTransport();
    const limiter = testLimiter();
    deps = {
      store: db.store,
      secrets: TEST_SECRETS,
      createClient: (c, creds) => createMdeClient(c, creds, { limiter, transport }),
    };
    ({ healthy, notOnboarded, onboardedWindows } = await actionDevices(db.store, 'lab'));
    expect(healthy.length).toBeGreaterThanOrEqual(6);
  });
  afterAll(async () => {
    await transport?.close();
    await db?.drop();
    await sim?.close();
  });

  it('isolates a device: stored Pending, polled through InProgress to Succeeded, then released', async () => {
    const device = healthy[0]!;
    const sent = await requestMachineAction(deps, {
      requester: alice,
      target: { hostId: device.hostId },
      connector: 'lab',
      action: 'isolate',
      comment: 'beaconing to a known C2 address',
    });
    expect(sent.alreadyPending).toBe(false);
    expect(sent.action).toMatchObject({
      connector: 'lab',
      hostId: device.hostId,
      machineId: device.machineId,
      action: 'isolate',
      actionType: 'Full',
      comment: 'beaconing to a known C2 address',
      requestedBy: 'alice',
      requestedVia: 'cli',
      status: 'Pending',
      outcome: 'accepted',
    });
    expect(sent.action.mdeActionId).toMatch(/^[0-9a-f-]{36}$/);
    // MDE holds the same action.
    const held = await sim.getJson(`/api/machineactions/${sent.action.mdeActionId}`);
    expect(held.body).toMatchObject({
      type: 'Isolate',
      scope: 'Full',
      status: 'Pending',
      machineId: device.machineId,
    });

    const seen: string[] = [];
    const done = await waitForMachineAction(deps, sent.action.id, {
      intervalMs: 30_000,
      sleep: simSleep,
      onStatus: (a) => seen.push(a.status),
    });
    expect(done.status).toBe('Succeeded');
    expect(seen[0]).toBe('Pending');
    expect(seen).toContain('InProgress');
    expect(seen.at(-1)).toBe('Succeeded');
    expect((await new MachineActionRepository(db.store).byId(sent.action.id))?.status).toBe('Succeeded');

    const release = await requestMachineAction(deps, {
      requester: alice,
      target: { machineId: device.machineId.toUpperCase() },
      connector: 'lab',
      action: 'unisolate',
      comment: 'all clear',
    });
    expect(release.action).toMatchObject({ action: 'unisolate', actionType: null, status: 'Pending' });
    const released = await waitForMachineAction(deps, release.action.id, {
      intervalMs: 60_000,
      sleep: simSleep,
    });
    expect(released.status).toBe('Succeeded');

    const entries = (await audit()).filter((e) => e.target.includes(device.machineId));
    expect(entries.map((e) => [e.action, e.actor, e.outcome])).toEqual([
      ['machine-action.isolate', 'alice', 'accepted'],
      ['machine-action.result', 'mdec', 'succeeded'],
      ['machine-action.unisolate', 'alice', 'accepted'],
      ['machine-action.result', 'mdec', 'succeeded'],
    ]);
    // The moment an action became final is recorded once; reading it again adds nothing.
    await refreshMachineAction(deps, sent.action.id);
    expect((await audit()).filter((e) => e.target.includes(device.machineId))).toHaveLength(4);
  });

  it('runs quick (the default) and full antivirus scans', async () => {
    const quick = await requestMachineAction(deps, {
      requester: alice,
      target: { hostId: healthy[1]!.hostId },
      connector: 'lab',
      action: 'scan',
      comment: 'routine',
    });
    const full = await requestMachineAction(deps, {
      requester: alice,
      target: { hostId: healthy[2]!.hostId },
      connector: 'lab',
      action: 'scan',
      type: 'full',
      comment: 'after the phishing click',
    });
    expect(quick.action.actionType).toBe('Quick');
    expect(full.action.actionType).toBe('Full');
    expect((await sim.getJson(`/api/machineactions/${full.action.mdeActionId}`)).body).toMatchObject({
      type: 'RunAntiVirusScan',
      scope: 'Full',
    });
    for (const sent of [quick, full]) {
      const done = await waitForMachineAction(deps, sent.action.id, { intervalMs: 60_000, sleep: simSleep });
      expect(done.status).toBe('Succeeded');
    }
    const outcomes = (await audit()).filter((e) => e.action === 'machine-action.scan').map((e) => e.outcome);
    expect(outcomes).toEqual(['accepted', 'accepted']);
  });

  it('a second request while one is pending is that pending action, not an error', async () => {
    const device = healthy[3]!;
    const request = {
      requester: alice,
      target: { hostId: device.hostId },
      connector: 'lab',
      action: 'isolate' as const,
      comment: 'first',
    };
    const first = await requestMachineAction(deps, request);
    const again = await requestMachineAction(deps, {
      ...request,
      requester: { kind: 'cli', name: 'bob' },
      comment: 'second',
    });
    expect(again.alreadyPending).toBe(true);
    expect(again.action.id).toBe(first.action.id);
    expect(again.action.mdeActionId).toBe(first.action.mdeActionId);
    const entries = (await audit()).filter((e) => e.target.includes(device.machineId));
    expect(entries.map((e) => [e.actor, e.outcome])).toEqual([
      ['alice', 'accepted'],
      ['bob', 'already-pending'],
    ]);
    expect(entries[1]!.detail).toContain(String(first.action.mdeActionId));
  });

  it('a 403 names the missing permission, is stored as refused and audited as denied', async () => {
    const device = healthy[4]!;
    for (const [action, permission] of [
      ['isolate', 'Machine.Isolate'],
      ['scan', 'Machine.Scan'],
    ] as const) {
      const error = await requestMachineAction(deps, {
        requester: alice,
        target: { hostId: device.hostId },
        connector: 'read-only',
        action,
        comment: 'try',
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ActionFailedError);
      expect((error as Error).message).toContain(permission);
      const stored = await new MachineActionRepository(db.store).byId((error as ActionFailedError).actionId!);
      expect(stored).toMatchObject({
        connector: 'read-only',
        status: 'Refused',
        outcome: 'refused',
        mdeActionId: null,
      });
    }
    const denied = (await audit()).filter((e) => e.connector === 'read-only');
    expect(denied.map((e) => [e.action, e.outcome])).toEqual([
      ['machine-action.isolate', 'denied'],
      ['machine-action.scan', 'denied'],
    ]);
    expect(denied[0]!.detail).toContain('Machine.Isolate');
  });

  it('refuses devices that are not onboarded, unknown, or ambiguous, and bad input, sending nothing', async () => {
    const before = (await new MachineActionRepository(db.store).list()).length;
    const mdeBefore = (await sim.getJson<{ value: unknown[] }>('/api/machineactions')).body.value.length;
    const refusal = (p: Promise<unknown>) => p.catch((e: unknown) => e);
    const base = { requester: alice, action: 'isolate' as const, comment: 'x' };

    const notOnboardedError = await refusal(
      requestMachineAction(deps, { ...base, target: { hostId: notOnboarded.hostId }, connector: 'lab' }),
    );
    expect(notOnboardedError).toBeInstanceOf(ActionRefusedError);
    expect(notOnboardedError).toMatchObject({ reason: 'not-onboarded' });
    expect((notOnboardedError as Error).message).toMatch(/not onboarded/);

    expect(await refusal(requestMachineAction(deps, { ...base, target: { hostId: 999_999 } }))).toMatchObject(
      {
        reason: 'unknown-device',
      },
    );
    expect(
      await refusal(requestMachineAction(deps, { ...base, target: { machineId: 'no-such-machine' } })),
    ).toMatchObject({ reason: 'unknown-device' });
    // Both connectors report every device and both have actions on: the caller must choose.
    expect(
      await refusal(requestMachineAction(deps, { ...base, target: { hostId: healthy[5]!.hostId } })),
    ).toMatchObject({
      reason: 'ambiguous',
    });
    expect(
      await refusal(
        requestMachineAction(deps, {
          ...base,
          action: 'scan',
          type: 'selective',
          target: { hostId: healthy[5]!.hostId },
        }),
      ),
    ).toBeInstanceOf(ActionInputError);
    expect(
      await refusal(
        requestMachineAction(deps, { ...base, comment: '   ', target: { hostId: healthy[5]!.hostId } }),
      ),
    ).toBeInstanceOf(ActionInputError);

    expect((await new MachineActionRepository(db.store).list()).length).toBe(before);
    expect((await sim.getJson<{ value: unknown[] }>('/api/machineactions')).body.value.length).toBe(
      mdeBefore,
    );
    const refused = (await audit()).filter(
      (e) => e.outcome === 'refused' && e.action === 'machine-action.isolate',
    );
    expect(refused.map((e) => e.target)).toEqual([
      `host ${notOnboarded.hostId}`,
      'host 999999',
      'machine no-such-machine',
      `host ${healthy[5]!.hostId}`,
    ]);
  });

  it('an action that ends Failed is stored and audited as failed', async () => {
    // The simulator decides the outcome from the device's health when the action is created.
    const truth = await sim.truthRows('machines');
    const inactive = new Set(truth.filter((m) => m.healthStatus !== 'Active').map((m) => String(m.id)));
    const unhealthy = onboardedWindows.find((d) => inactive.has(d.machineId));
    expect(unhealthy).toBeDefined();
    const sent = await requestMachineAction(deps, {
      requester: alice,
      target: { hostId: unhealthy!.hostId },
      connector: 'lab',
      action: 'scan',
      comment: 'inactive sensor',
    });
    const done = await waitForMachineAction(deps, sent.action.id, { intervalMs: 60_000, sleep: simSleep });
    expect(done.status).toBe('Failed');
    expect(done.error).toMatch(/MDE error/);
    const last = (await audit()).at(-1)!;
    expect(last).toMatchObject({ action: 'machine-action.result', outcome: 'failed' });
  });
});
