/**
 * The machine (device) entity: `GET /api/machines`, `/api/machines/{id}`, `/api/alerts/{id}/machine`
 * (mde-api.md 3.2), including the undocumented fields seen on the wire.
 */
import * as z from 'zod';
import { flag, identity, numeric, rbacGroupId, text, texts, timestamp } from './fields.js';

/** Documented `healthStatus` values (3.2). Reference only: the schema keeps any string. */
export const HEALTH_STATUSES = [
  'Active',
  'Inactive',
  'ImpairedCommunication',
  'NoSensorData',
  'NoSensorDataImpairedCommunication',
  'Unknown',
] as const;

/** Documented `riskScore` values (3.2). */
export const RISK_SCORES = ['None', 'Informational', 'Low', 'Medium', 'High'] as const;

/** Documented `exposureLevel` values (3.2). */
export const EXPOSURE_LEVELS = ['None', 'Low', 'Medium', 'High'] as const;

/** Documented `deviceValue` values (3.2). */
export const DEVICE_VALUES = ['Normal', 'Low', 'High'] as const;

/** `onboardingStatus` values: the docs write `onboarded`, the wire sends `Onboarded` (12.3). */
export const ONBOARDING_STATUSES = [
  'Onboarded',
  'CanBeOnboarded',
  'Unsupported',
  'InsufficientInfo',
] as const;

/** `osArchitecture` on the machine entity; TVM rows say `x64` instead (12.11). */
export const MACHINE_OS_ARCHITECTURES = ['32-bit', '64-bit'] as const;

/** One network interface in `ipAddresses` (3.2; `type` is observed, `macAddress` may be null). */
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
  /** The last full device report (~24 h cadence), not the portal's "last seen" (3.1). */
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
  /** Not unique across records: a re-onboarded device leaves its old record behind (3.2). */
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
