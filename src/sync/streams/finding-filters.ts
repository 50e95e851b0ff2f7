import type { NormalizedFinding } from '../../normalize/model.js';
import type { SyncContext } from '../sync-context.js';

/**
 * The connector's operation options (seed 001) and device filter applied to findings: software id,
 * name and vendor, RBAC group and severity; and, with a device filter, only the kept machines.
 */
export function findingFilter(ctx: SyncContext): (f: NormalizedFinding) => boolean {
  const o = ctx.connector.options;
  const softwareId = o.softwareId?.toLowerCase();
  const softwareName = o.softwareName?.toLowerCase();
  const softwareVendor = o.softwareVendor?.toLowerCase();
  const severities = o.vulnerabilitySeverity
    ? new Set(o.vulnerabilitySeverity.map((s) => s.toLowerCase()))
    : undefined;
  return (f) => {
    if (ctx.deviceFilterActive && !ctx.hostIndex.has(f.machineId)) return false;
    if (softwareId && `${f.softwareVendor}-_-${f.softwareName}`.toLowerCase() !== softwareId) return false;
    if (softwareName && f.softwareName.toLowerCase() !== softwareName) return false;
    if (softwareVendor && f.softwareVendor.toLowerCase() !== softwareVendor) return false;
    if (o.vulnerabilityRbacGroupId !== undefined && f.rbacGroupId !== o.vulnerabilityRbacGroupId)
      return false;
    if (severities && !severities.has((f.sourceSeverity ?? '').toLowerCase())) return false;
    return true;
  };
}
