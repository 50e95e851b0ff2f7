import type { EpochAggregates } from './aggregates.js';
import { deviceCore } from './device-profile.js';
import type { GroundTruth } from './simulated-tenant.js';
import { machineCountAt, type TenantContext } from './tenant-context.js';
import { snapshotTimeMs } from './timeline.js';

/**
 * What the tenant holds at one snapshot (epoch) and one instant (machines, alerts), for tests and the
 * benchmark to compare a sync against. Row totals come from the streamed aggregate pass, which the
 * tests cross-check against the rows themselves.
 */
export function groundTruthOf(
  ctx: TenantContext,
  agg: EpochAggregates,
  recommendations: number,
  alerts: number,
  atMs: number,
): GroundTruth {
  const machines = machineCountAt(ctx, atMs);
  let onboardedMachines = 0;
  for (let index = 0; index < machines; index++) {
    if (deviceCore(ctx, index).onboarding === 'Onboarded') onboardedMachines++;
  }
  let software = 0;
  for (const n of agg.productInstalls) if (n > 0) software++;
  return {
    epoch: agg.epoch,
    generatedTime: new Date(snapshotTimeMs(ctx.originMs, agg.epoch)).toISOString(),
    machines,
    onboardedMachines,
    machinesWithVulnerabilityData: agg.tvmDevices,
    vulnerabilityRows: agg.vulnerabilityRows,
    vulnerabilityRowsWithCve: agg.vulnerabilityRowsWithCve,
    inventoryRows: agg.inventoryRows,
    nonCpeInventoryRows: agg.nonCpeRows,
    distinctCves: agg.distinctCves,
    software,
    recommendations,
    alerts,
  };
}
