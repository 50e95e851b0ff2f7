/** One installed version of a software package and on how many devices it is (docs/data-model.md#software). */
export interface PackageVersion {
  version: string;
  devices: number;
}

const VERSION_ORDER = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * A package's versions as exported: one entry per version with its device count, versions in
 * ascending order (numerically where their parts are numbers, so 10.0 follows 9.2).
 */
export function packageVersions(devicesByVersion: ReadonlyMap<string, number>): PackageVersion[] {
  return [...devicesByVersion]
    .map(([version, devices]) => ({ version, devices }))
    .sort((a, b) => VERSION_ORDER.compare(a.version, b.version));
}
