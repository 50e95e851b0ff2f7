/**
 * The finding key (docs/data-model.md#finding-identity): machine + CVE (or TVM id) + vendor + product +
 * version. Never the CVE alone, which merges different software on one device.
 */
export function findingKey(
  machineId: string,
  cveId: string,
  vendor: string,
  name: string,
  version: string,
): string {
  return `${machineId}|${cveId}|${vendor}|${name}|${version}`;
}

/** machine + vendor + product + version: one installed piece of software. */
export function installKey(machineId: string, vendor: string, name: string, version: string): string {
  return `${machineId}|${vendor}|${name}|${version}`;
}
