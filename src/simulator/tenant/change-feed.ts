import { deviceCore, effectiveEpoch } from './device-profile.js';
import { deviceSnapshot } from './device-snapshot.js';
import { installsChangeAt, installsOf } from './installs.js';
import { hash3 } from './random.js';
import { RBAC_MOVE_PERIOD } from './rbac-groups.js';
import { snapshotDeviceCount, type TenantContext } from './tenant-context.js';
import { tvmTime7 } from './time-format.js';
import { eventAt, snapshotTimeMs } from './timeline.js';
import type { VulnerabilityChangeRow, VulnerabilityRow } from './types.js';
import { vulnerabilityRowsOf } from './vulnerability-rows.js';

/**
 * SoftwareVulnerabilityChangesByMachine (docs/mde-api.md#delta-feed): the exact difference between snapshot
 * e-1 and snapshot e. Devices are visited one at a time; a device whose installs, CVEs and group did not
 * change is skipped after an O(installs) check, so only about 1% of devices have their two snapshots
 * computed. Applying the changes of epochs 1..e to snapshot 0 gives snapshot e (key: device, vendor,
 * name, version, CVE; lastSeenTimestamp moves every day without a delta row, as in MDE).
 */

/** Change rows carry their time inside window e, within a minute of the snapshot that shows them. */
const EVENT_SPREAD_MS = 60_000;

/**
 * Fields whose change makes an "Updated" row; lastSeenTimestamp alone does not (docs/mde-api.md#delta-feed).
 */
function sameContent(a: VulnerabilityRow, b: VulnerabilityRow): boolean {
  return (
    a.cvssScore === b.cvssScore &&
    a.vulnerabilitySeverityLevel === b.vulnerabilitySeverityLevel &&
    a.exploitabilityLevel === b.exploitabilityLevel &&
    a.recommendedSecurityUpdate === b.recommendedSecurityUpdate &&
    a.recommendedSecurityUpdateId === b.recommendedSecurityUpdateId &&
    a.recommendedSecurityUpdateUrl === b.recommendedSecurityUpdateUrl &&
    a.securityUpdateAvailable === b.securityUpdateAvailable &&
    a.osVersion === b.osVersion &&
    a.deviceName === b.deviceName &&
    a.firstSeenTimestamp === b.firstSeenTimestamp &&
    a.recommendationReference === b.recommendationReference &&
    a.diskPaths.join('\n') === b.diskPaths.join('\n') &&
    a.registryPaths.join('\n') === b.registryPaths.join('\n')
  );
}

/**
 * The row identity inside one device, including the group: a move is Fixed + New
 * (docs/mde-api.md#delta-feed).
 */
function rowKey(row: VulnerabilityRow): string {
  return `${row.softwareVendor}|${row.id}|${row.rbacGroupId}`;
}

function changeRow(
  row: VulnerabilityRow,
  status: VulnerabilityChangeRow['status'],
  eventTimestamp: string,
): VulnerabilityChangeRow {
  return { ...row, eventTimestamp, status, isOnboarded: true };
}

/**
 * The change rows of one device between two row sets: Fixed first (at t), then New and Updated (at
 * t + 1 ms), so a consumer that applies them in order or by eventTimestamp never drops a moved row.
 */
export function diffRows(
  prev: readonly VulnerabilityRow[],
  cur: readonly VulnerabilityRow[],
  eventMs: number,
  subTicks: number,
): VulnerabilityChangeRow[] {
  const out: VulnerabilityChangeRow[] = [];
  const before = new Map<string, VulnerabilityRow>();
  for (const row of prev) before.set(rowKey(row), row);
  const after = new Set<string>();
  for (const row of cur) after.add(rowKey(row));
  const fixedAt = tvmTime7(eventMs, subTicks);
  const laterAt = tvmTime7(eventMs + 1, subTicks);
  for (const row of prev) if (!after.has(rowKey(row))) out.push(changeRow(row, 'Fixed', fixedAt));
  for (const row of cur) {
    const old = before.get(rowKey(row));
    if (old === undefined) out.push(changeRow(row, 'New', laterAt));
    else if (!sameContent(old, row)) out.push(changeRow(row, 'Updated', laterAt));
  }
  return out;
}

/**
 * The devices of snapshot e whose rows differ from snapshot e-1, in index order: onboarded since,
 * moved to another group, or with installs that changed. The expensive part of the feed (one check
 * per device of the estate), so ChangeFeedIndex keeps its answer per epoch.
 */
export function changedDevicesOf(ctx: TenantContext, epoch: number): number[] {
  if (!Number.isInteger(epoch) || epoch < 1) return [];
  ctx.cves.ensureEpoch(epoch);
  const before = snapshotDeviceCount(ctx, epoch - 1);
  const count = snapshotDeviceCount(ctx, epoch);
  const changed: number[] = [];
  for (let index = 0; index < count; index++) {
    if (index >= before) {
      changed.push(index);
      continue;
    }
    const core = deviceCore(ctx, index);
    if (!core.hasTvm) continue;
    const moved = eventAt(epoch, RBAC_MOVE_PERIOD, ctx.seeds.groupMove, index, 0);
    if (moved || installsChangeAt(ctx, core, installsOf(ctx, core, effectiveEpoch(core, epoch)), epoch))
      changed.push(index);
  }
  return changed;
}

/** The change rows of epoch e, given its changed devices ({@link changedDevicesOf}). */
export function* changeRowsOf(
  ctx: TenantContext,
  epoch: number,
  changed: readonly number[] = changedDevicesOf(ctx, epoch),
): Generator<VulnerabilityChangeRow> {
  if (!Number.isInteger(epoch) || epoch < 1) return;
  ctx.cves.ensureEpoch(epoch);
  const before = snapshotDeviceCount(ctx, epoch - 1);
  const windowStart = snapshotTimeMs(ctx.originMs, epoch);
  for (const index of changed) {
    const h = hash3(ctx.seeds.changeTime, index, epoch);
    const eventMs = windowStart + (h % EVENT_SPREAD_MS);
    if (index >= before) {
      // Onboarded since the last snapshot: every row is New.
      const snap = deviceSnapshot(ctx, index, epoch);
      if (snap !== undefined) yield* diffRows([], vulnerabilityRowsOf(ctx, snap), eventMs, h >>> 18);
      continue;
    }
    const prev = deviceSnapshot(ctx, index, epoch - 1);
    const cur = deviceSnapshot(ctx, index, epoch);
    if (prev === undefined || cur === undefined) continue;
    yield* diffRows(vulnerabilityRowsOf(ctx, prev), vulnerabilityRowsOf(ctx, cur), eventMs, h >>> 18);
  }
}
