import { describe, expect, it } from 'vitest';
import { createSimulatedTenant } from './create-simulated-tenant.js';
import { SNAPSHOT_MS } from './simulated-tenant.js';
import type { VulnerabilityChangeRow, VulnerabilityRow } from './types.js';

const ORIGIN = Date.parse('2026-11-01T00:00:00Z');
const EPOCHS = 8;

type Stored = Omit<VulnerabilityRow, 'lastSeenTimestamp'>;

/** The connector's finding key (docs/mde-api.md#delta-feed without EventTimestamp). */
function keyOf(row: VulnerabilityRow): string {
  return [row.deviceId, row.softwareVendor, row.softwareName, row.softwareVersion, row.cveId ?? ''].join('|');
}

function stored(row: VulnerabilityRow): Stored {
  const { lastSeenTimestamp: _ignored, ...rest } = row;
  if ('eventTimestamp' in rest) {
    const {
      eventTimestamp: _e,
      status: _s,
      isOnboarded: _o,
      ...plain
    } = rest as unknown as VulnerabilityChangeRow;
    const { lastSeenTimestamp: _l, ...withoutSeen } = plain;
    return withoutSeen;
  }
  return rest;
}

function snapshot(tenant: ReturnType<typeof createSimulatedTenant>, epoch: number): Map<string, Stored> {
  const out = new Map<string, Stored>();
  const count = tenant.machineCount(tenant.snapshotTime(epoch).getTime());
  for (let i = 0; i < count; i++) {
    for (const row of tenant.vulnerabilityRows(i, epoch)) {
      const key = keyOf(row);
      if (out.has(key)) throw new Error(`duplicate key ${key}`);
      out.set(key, stored(row));
    }
  }
  return out;
}

/** "YYYY-MM-DD HH:MM:SS.fffffff" as ms (UTC). */
function eventMs(ts: string): number {
  expect(ts).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{7}$/);
  return Date.parse(`${ts.slice(0, 10)}T${ts.slice(11, 23)}Z`);
}

describe('change feed', () => {
  it('replays snapshot 0 into snapshot e exactly, over 8 epochs with group moves and new devices', () => {
    const tenant = createSimulatedTenant({ devices: 1500, seed: 11, originMs: ORIGIN, tenantId: 't' });
    const state = snapshot(tenant, 0);
    const seen = { New: 0, Fixed: 0, Updated: 0, moves: 0, newDevices: 0, withoutCve: 0 };
    expect([...tenant.changeRows(0)]).toHaveLength(0);
    for (let epoch = 1; epoch <= EPOCHS; epoch++) {
      const start = ORIGIN + epoch * SNAPSHOT_MS;
      const before = tenant.machineCount(start - SNAPSHOT_MS);
      const changes = [...tenant.changeRows(epoch)];
      const fixedGroups = new Map<string, number>();
      for (const change of changes) {
        const t = eventMs(change.eventTimestamp);
        expect(t).toBeGreaterThanOrEqual(start);
        expect(t).toBeLessThan(start + SNAPSHOT_MS);
        expect(change.isOnboarded).toBe(true);
        const key = keyOf(change);
        seen[change.status]++;
        if (change.cveId === null) seen.withoutCve++;
        if (change.status === 'Fixed') {
          const old = state.get(key);
          expect(old, `Fixed row ${key} must exist`).toBeDefined();
          expect(old?.rbacGroupId).toBe(change.rbacGroupId);
          state.delete(key);
          fixedGroups.set(key, change.rbacGroupId);
        } else if (change.status === 'New') {
          expect(state.has(key), `New row ${key} must not exist`).toBe(false);
          state.set(key, stored(change));
          const oldGroup = fixedGroups.get(key);
          if (oldGroup !== undefined && oldGroup !== change.rbacGroupId) seen.moves++;
          const index = tenant.machineIndexById(change.deviceId);
          if (index !== undefined && index >= before) seen.newDevices++;
        } else {
          expect(state.has(key), `Updated row ${key} must exist`).toBe(true);
          expect(stored(change)).not.toEqual(state.get(key));
          state.set(key, stored(change));
        }
      }
      const expected = snapshot(tenant, epoch);
      expect(state.size).toBe(expected.size);
      const wrong: string[] = [];
      for (const [key, row] of expected)
        if (JSON.stringify(state.get(key)) !== JSON.stringify(row)) wrong.push(key);
      expect(wrong).toEqual([]);
    }
    expect(seen.New).toBeGreaterThan(0);
    expect(seen.Fixed).toBeGreaterThan(0);
    expect(seen.Updated).toBeGreaterThan(0);
    expect(seen.moves).toBeGreaterThan(0);
    expect(seen.newDevices).toBeGreaterThan(0);
    expect(seen.withoutCve).toBeGreaterThan(0);
  });

  it('changes about one device in a hundred per epoch', () => {
    const tenant = createSimulatedTenant({ devices: 5000, seed: 3, originMs: ORIGIN, tenantId: 't' });
    for (const epoch of [1, 5, 30]) {
      const devices = new Set<string>();
      for (const change of tenant.changeRows(epoch)) devices.add(change.deviceId);
      expect(devices.size).toBeGreaterThan(5000 * 0.003);
      expect(devices.size).toBeLessThan(5000 * 0.04);
    }
  });

  it('keeps the original firstSeenTimestamp when an upgrade moves a CVE to the new version', () => {
    const tenant = createSimulatedTenant({ devices: 3000, seed: 5, originMs: ORIGIN, tenantId: 't' });
    let pairs = 0;
    for (let epoch = 1; epoch <= 6 && pairs === 0; epoch++) {
      const changes = [...tenant.changeRows(epoch)];
      const fixed = changes.filter((c) => c.status === 'Fixed' && c.cveId !== null);
      for (const f of fixed) {
        const n = changes.find(
          (c) =>
            c.status === 'New' &&
            c.deviceId === f.deviceId &&
            c.softwareName === f.softwareName &&
            c.cveId === f.cveId &&
            c.softwareVersion !== f.softwareVersion,
        );
        if (n === undefined) continue;
        pairs++;
        expect(n.firstSeenTimestamp).toBe(f.firstSeenTimestamp);
      }
    }
    expect(pairs).toBeGreaterThan(0);
  });
});
