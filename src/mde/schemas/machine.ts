/**
 * The machine (device) entity: `GET /api/machines`, `/api/machines/{id}`, `/api/alerts/{id}/machine`
 * (docs/mde-api.md#machine-fields), including the undocumented fields seen on the wire.
 */
import * as z from 'zod';
import { flag, identity, numeric, rbacGroupId, text, texts, timestamp } from './fields.js';

/**
 * Documented `healthStatus` values (docs/mde-api.md#machine-fields). Reference only: the schema keeps any
 * string.
 */
export const HEALTH_STATUSES = [
  'Active',
  'Inactive',
  'ImpairedCommunication',
  'NoSensorData',
  'NoSensorDataImpairedCommunication',
  'Unknown',
] as const;

/** Documented `riskScore` values (docs/mde-api.md#machine-fields). */
export const RISK_SCORES = ['None', 'Informational', 'Low', 'Medium', 'High'] as const;

/** Documented `exposureLevel` values (docs/mde-api.md#machine-fields). */
export const EXPOSURE_LEVELS = ['None', 'Low', 'Medium', 'High'] as const;

/** Documented `deviceValue` values (docs/mde-api.md#machine-fields). */
export const DEVICE_VALUES = ['Normal', 'Low', 'High'] as const;

/**
 * `onboardingStatus` values: the docs write `onboarded`, the wire sends `Onboarded`
 * (docs/mde-api.md#field-casing).
 */
export const ONBOARDING_STATUSES = [
  'Onboarded',
  'CanBeOnboarded',
  'Unsupported',
  'InsufficientInfo',
] as const;

/** `osArchitecture` on the machine entity; TVM rows say `x64` instead (docs/mde-api.md#field-casing). */
export const MACHINE_OS_ARCHITECTURES = ['32-bit', '64-bit'] as const;

/**
 * One network interface in `ipAddresses` (docs/mde-api.md#machine-fields; `type` is observed, `macAddress`
 * may be null).
 */
export const MachineIpAddressSchema = z.looseObject({
  ipAddress: text(),
  macAddress: text(),
  type: text(),
  operationalStatus: text(),
});

/** `vmMetadata` (observed, undocumented): set for cloud VMs, otherwise null. */
export const VmMetadataSchema = z.looseObject({
  vmId: text(),
  cloudProvider: text(),
  resourceId: text(),
  subscriptionId: text(),
});

/** A machine. Required: `id` only. */
export const MachineSchema = z.looseObject({
  id: identity(),
  computerDnsName: text(),
  firstSeen: timestamp(),
  /** The last full device report (~24 h cadence), not the portal's "last seen" (docs/mde-api.md#lastseen). */
  lastSeen: timestamp(),
  osPlatform: text(),
  osVersion: text(),
  /** Deprecated by MDE in favour of `osArchitecture`. */
  osProcessor: text(),
  version: text(),
  osBuild: numeric(),
  lastIpAddress: text(),
  lastExternalIpAddress: text(),
  agentVersion: text(),
  healthStatus: text(),
  deviceValue: text(),
  rbacGroupId: rbacGroupId(),
  rbacGroupName: text(),
  riskScore: text(),
  exposureLevel: text(),
  isAadJoined: flag(),
  /**
   * Not unique across records: a re-onboarded device leaves its old record behind
   * (docs/mde-api.md#merged-and-duplicate-devices).
   */
  aadDeviceId: text(),
  machineTags: texts(),
  defenderAvStatus: text(),
  onboardingStatus: text(),
  osArchitecture: text(),
  managedBy: text(),
  managedByStatus: text(),
  ipAddresses: z.array(MachineIpAddressSchema).nullish(),
  vmMetadata: VmMetadataSchema.nullish(),
  isPotentialDuplication: flag(),
  mergedIntoMachineId: text(),
  isExcluded: flag(),
  exclusionReason: text(),
});

/** A parsed machine (timestamps ISO UTC, `rbacGroupId` a number). */
export type Machine = z.output<typeof MachineSchema>;
/** A machine as MDE sends it. */
export type MachineInput = z.input<typeof MachineSchema>;
