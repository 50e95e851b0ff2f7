import { AggregateCache } from './aggregates.js';
import { AlertSource } from './alerts.js';
import { ChangeFeedIndex } from './change-feed-index.js';
import { cveRecordsOf } from './cve-records.js';
import { deviceCore, lastReportMs } from './device-profile.js';
import { deviceSnapshot } from './device-snapshot.js';
import { groundTruthOf } from './ground-truth.js';
import { inventoryRowsOf, nonCpeRowsOf } from './inventory-rows.js';
import { logonUsersOf } from './logon-users.js';
import { machineRecord } from './machine-generator.js';
import { missingKbsOf } from './missing-kbs.js';
import { recommendationRecordsOf } from './recommendations.js';
import type { SimulatedTenant, TenantOptions } from './simulated-tenant.js';
import { distributionsOf, productByAnyId, softwareRecordsOf } from './software-records.js';
import { createTenantContext, machineCountAt } from './tenant-context.js';
import { snapshotEpochAt, snapshotTimeMs } from './timeline.js';
import type { MachineRecord } from './types.js';
import { vulnerabilityRowsOf } from './vulnerability-rows.js';

/**
 * Builds a deterministic, streamed MDE tenant: the same (devices, seed, originMs) always gives the
 * same records, every record is computed on demand from (seed, index, time), and only the catalogs
 * and the aggregates of the latest two epochs are kept (docs/architecture.md#the-simulator).
 */
export function createSimulatedTenant(options: TenantOptions): SimulatedTenant {
  const ctx = createTenantContext(options);
  const aggregates = new AggregateCache(ctx);
  const alerts = new AlertSource(ctx);
  const changes = new ChangeFeedIndex(ctx);
  const epochOf = (epoch: number) => Math.max(0, Math.floor(epoch));

  return {
    options,
    snapshotEpoch: (atMs) => snapshotEpochAt(ctx.originMs, atMs),
    snapshotTime: (epoch) => new Date(snapshotTimeMs(ctx.originMs, epoch)),
    machineCount: (atMs) => machineCountAt(ctx, atMs),
    machine: (index, atMs) => machineRecord(ctx, index, atMs),
    machineIndexById: (id) => ctx.ids.indexOf(id),
    *machines(atMs, from = 0): Generator<MachineRecord> {
      const count = machineCountAt(ctx, atMs);
      for (let index = Math.max(0, from); index < count; index++) yield machineRecord(ctx, index, atMs)!;
    },
    *machinesLastSeenIn(atMs, range): Generator<MachineRecord> {
      const count = machineCountAt(ctx, atMs);
      const from = (range.from ?? -Infinity) - 1_000;
      const to = (range.to ?? Infinity) + 1_000;
      for (let index = 0; index < count; index++) {
        const seen = lastReportMs(deviceCore(ctx, index), atMs);
        if (seen >= from && seen <= to) yield machineRecord(ctx, index, atMs)!;
      }
    },
    vulnerabilityRows(index, epoch) {
      const snap = deviceSnapshot(ctx, index, epoch);
      return snap === undefined ? [] : vulnerabilityRowsOf(ctx, snap);
    },
    inventoryRows(index, epoch) {
      const snap = deviceSnapshot(ctx, index, epoch);
      return snap === undefined ? [] : inventoryRowsOf(ctx, snap);
    },
    nonCpeInventoryRows(index, epoch) {
      const snap = deviceSnapshot(ctx, index, epoch);
      return snap === undefined ? [] : nonCpeRowsOf(ctx, snap);
    },
    changeRows: (epoch) => changes.rows(epoch),
    prepareChanges(fromEpoch, toEpoch) {
      for (let epoch = Math.max(1, fromEpoch); epoch <= toEpoch; epoch++) changes.prepare(epoch);
    },
    cves: (epoch) => cveRecordsOf(ctx, aggregates.at(epochOf(epoch))),
    software: (epoch) => softwareRecordsOf(ctx, aggregates.at(epochOf(epoch))),
    softwareDistributions(softwareId, epoch) {
      const product = productByAnyId(ctx, softwareId);
      return product === undefined ? undefined : distributionsOf(ctx, aggregates.at(epochOf(epoch)), product);
    },
    recommendations: (epoch) => recommendationRecordsOf(ctx, aggregates.at(epochOf(epoch))),
    alerts: (atMs) => alerts.all(atMs),
    alertById: (id, atMs) => alerts.byId(id, atMs),
    logonUsers: (index, atMs) => logonUsersOf(ctx, index, atMs),
    missingKbs(index, epoch) {
      const snap = deviceSnapshot(ctx, index, epoch);
      return snap === undefined ? [] : missingKbsOf(ctx, snap, aggregates.at(epochOf(epoch)));
    },
    groundTruth(epoch, atMs) {
      const agg = aggregates.at(epochOf(epoch));
      return groundTruthOf(ctx, agg, recommendationRecordsOf(ctx, agg).length, alerts.countAt(atMs), atMs);
    },
  };
}
