import type { NormalizedFinding } from '../../normalize/model.js';
import { leaveOut, type SyncContext } from '../sync-context.js';

/** Why a record of a device the connector does not keep is not imported. */
export const DEVICES_LEFT_OUT =
  'on devices left out by --stale-days, --tags, --filter or --initial-lookback-days';

/**
 * The connector's operation options and device filter applied to findings: software id, name and
 * vendor, RBAC group and severity; and, with a device filter, only the kept machines. Each finding
 * left out is counted on the vulnerabilities stream with the option that left it out.
 */
export function findingFilter(ctx: SyncContext): (f: NormalizedFinding) => boolean {
  const o = ctx.connector.options;
  const softwareId = o.softwareId?.toLowerCase();
  const softwareName = o.softwareName?.toLowerCase();
  const softwareVendor = o.softwareVendor?.toLowerCase();
  const severities = o.vulnerabilitySeverity
    ? new Set(o.vulnerabilitySeverity.map((s) => s.toLowerCase()))
    : undefined;
  const counters = ctx.counters('vulnerabilities');
  const out = (reason: string) => {
    leaveOut(counters, reason);
    return false;
  };
  return (f) => {
    if (ctx.deviceFilterActive && !ctx.hostIndex.has(f.machineId)) return out(DEVICES_LEFT_OUT);
    if (softwareId && `${f.softwareVendor}-_-${f.softwareName}`.toLowerCase() !== softwareId)
      return out('other software than --software-id');
    if (softwareName && f.softwareName.toLowerCase() !== softwareName)
      return out('other software than --software-name');
    if (softwareVendor && f.softwareVendor.toLowerCase() !== softwareVendor)
      return out('other vendors than --software-vendor');
    if (o.vulnerabilityRbacGroupId !== undefined && f.rbacGroupId !== o.vulnerabilityRbacGroupId)
      return out('other device groups than --vulnerability-rbac-group-id');
    if (severities && !severities.has((f.sourceSeverity ?? '').toLowerCase()))
      return out('other severities than --vulnerability-severity');
    return true;
  };
}
