import { describe, expect, it } from 'vitest';
import { createSimulatedTenant } from './create-simulated-tenant.js';
import { SNAPSHOT_MS } from './simulated-tenant.js';

describe('a 100,000-device tenant', () => {
  it('is created quickly and answers single records without walking the estate', () => {
    const origin = Date.parse('2026-11-01T00:00:00Z');
    const started = performance.now();
    const tenant = createSimulatedTenant({ devices: 100_000, seed: 2024, originMs: origin, tenantId: 't' });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(tenant.machineCount(origin)).toBe(100_000);
    // About one new device per thousand per 6-hour epoch.
    expect(tenant.machineCount(origin + 4 * SNAPSHOT_MS)).toBe(100_400);
    expect(tenant.machine(100_000, origin)).toBeUndefined();
    const t0 = performance.now();
    for (const index of [0, 1, 49_999, 99_999, 100_399]) {
      const machine = tenant.machine(index, origin + 4 * SNAPSHOT_MS)!;
      expect(machine.id).toMatch(/^[0-9a-f]{40}$/);
      expect(tenant.machineIndexById(machine.id)).toBe(index);
    }
    let rows = 0;
    for (let i = 50_000; i < 50_100; i++) rows += tenant.vulnerabilityRows(i, 4).length;
    expect(rows).toBeGreaterThan(100 * 15);
    expect(rows).toBeLessThan(100 * 60);
    expect(
      tenant.vulnerabilityRows(100_399, 4).length + tenant.vulnerabilityRows(100_398, 4).length,
    ).toBeGreaterThan(0);
    expect(tenant.vulnerabilityRows(100_399, 3)).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
