import type {
  AlertRecord,
  CveRecord,
  InventoryRow,
  LogonUserRecord,
  MachineRecord,
  MissingKbRecord,
  NonCpeInventoryRow,
  RecommendationRecord,
  SoftwareDistributionRecord,
  SoftwareRecord,
  VulnerabilityChangeRow,
  VulnerabilityRow,
} from './types.js';

/** MDE regenerates the vulnerability snapshot every six hours (docs/mde-api.md#export-files). */
export const SNAPSHOT_HOURS = 6;
export const SNAPSHOT_MS = SNAPSHOT_HOURS * 3600_000;

export interface TenantOptions {
  /** Devices onboarded at the origin; more appear as the clock advances. */
  devices: number;
  seed: number;
  /** Wall-clock time of simulated time zero. All timestamps are relative to it. */
  originMs: number;
  /** Entra tenant id; alerts carry it as aadTenantId. */
  tenantId: string;
}

/** What the tenant holds at one snapshot, for tests to compare against. */
export interface GroundTruth {
  epoch: number;
  generatedTime: string;
  machines: number;
  onboardedMachines: number;
  machinesWithVulnerabilityData: number;
  vulnerabilityRows: number;
  vulnerabilityRowsWithCve: number;
  inventoryRows: number;
  nonCpeInventoryRows: number;
  distinctCves: number;
  software: number;
  recommendations: number;
  alerts: number;
}

/**
 * A deterministic, streamed tenant: every record is computed from (seed, index, time) on demand, so a
 * 100,000-device tenant costs almost no memory. Only small catalogs (software, CVEs) and per-epoch
 * aggregates are kept.
 */
export interface SimulatedTenant {
  readonly options: TenantOptions;
  snapshotEpoch(atMs: number): number;
  snapshotTime(epoch: number): Date;
  machineCount(atMs: number): number;
  machine(index: number, atMs: number): MachineRecord | undefined;
  machineIndexById(id: string): number | undefined;
  /** The machines in id order, from index `from` (a `$skip` without a filter starts there directly). */
  machines(atMs: number, from?: number): Iterable<MachineRecord>;
  /**
   * The machines whose last report lies in a range (epoch ms, inclusive), without producing the
   * others: MDE answers a `lastSeen` filter from an index (docs/mde-api.md#reading-strategy). A pre-filter,
   * with a second of margin for how lastSeen is printed; the request's filter still decides.
   */
  machinesLastSeenIn(atMs: number, range: { from?: number; to?: number }): Iterable<MachineRecord>;
  vulnerabilityRows(machineIndex: number, epoch: number): VulnerabilityRow[];
  inventoryRows(machineIndex: number, epoch: number): InventoryRow[];
  nonCpeInventoryRows(machineIndex: number, epoch: number): NonCpeInventoryRow[];
  changeRows(epoch: number): Iterable<VulnerabilityChangeRow>;
  /** Works out the change feed of epochs from..to ahead of a request, as MDE has it recorded. */
  prepareChanges(fromEpoch: number, toEpoch: number): void;
  cves(epoch: number): CveRecord[];
  software(epoch: number): SoftwareRecord[];
  softwareDistributions(softwareId: string, epoch: number): SoftwareDistributionRecord[] | undefined;
  recommendations(epoch: number): RecommendationRecord[];
  alerts(atMs: number): Iterable<AlertRecord>;
  alertById(id: string, atMs: number): AlertRecord | undefined;
  logonUsers(machineIndex: number, atMs: number): LogonUserRecord[];
  missingKbs(machineIndex: number, epoch: number): MissingKbRecord[];
  groundTruth(epoch: number, atMs: number): GroundTruth;
}
