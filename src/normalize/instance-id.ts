/**
 * A device's cloud instance id (docs/data-model.md#host): the value of a machine tag
 * `instanceId:VALUE` or `instanceId=VALUE` (the name in any letter case), which an administrator sets
 * to name the instance; else the VM id MDE reports for a cloud VM (`vmMetadata.vmId`); else none.
 */
const INSTANCE_ID_TAG = /^\s*instanceid\s*[:=]\s*(\S(?:.*\S)?)\s*$/i;

export function instanceId(
  machineTags: readonly string[],
  vmMetadata: { vmId?: string | null | undefined } | null | undefined,
): string | null {
  for (const tag of machineTags) {
    const value = INSTANCE_ID_TAG.exec(tag)?.[1];
    if (value) return value;
  }
  const vmId = vmMetadata?.vmId?.trim();
  return vmId ? vmId : null;
}
