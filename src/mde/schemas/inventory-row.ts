/** One `SoftwareInventoryByMachine` / `SoftwareInventoryExport` row (docs/mde-api.md#installed-software). */
import * as z from 'zod';
import { identity, numeric, rbacGroupId, text, texts, timestamp } from './fields.js';

/** Documented `endOfSupportStatus` values (5). */
export const END_OF_SUPPORT_STATUSES = [
  'None',
  'EOS Version',
  'Upcoming EOS Version',
  'EOS Software',
  'Upcoming EOS Software',
] as const;

/** A CPE software-inventory row. Required: the row key deviceId + vendor + name + version. */
export const InventoryRowSchema = z.looseObject({
  deviceId: identity(),
  deviceName: text(),
  osPlatform: text(),
  osVersion: text(),
  osArchitecture: text(),
  rbacGroupName: text(),
  rbacGroupId: rbacGroupId(),
  softwareVendor: identity(),
  softwareName: identity(),
  softwareVersion: identity(),
  numberOfWeaknesses: numeric(),
  diskPaths: texts(),
  registryPaths: texts(),
  /** Wire form `2020-12-30 11:07:15` (zone-less UTC). */
  softwareFirstSeenTimestamp: timestamp(),
  endOfSupportStatus: text(),
  /** Wire form `2021-05-11T00:00:00+00:00`, `2020-12-30` in the docs, or null. */
  endOfSupportDate: timestamp(),
});

/** A parsed software-inventory row. */
export type InventoryRow = z.output<typeof InventoryRowSchema>;
/** A software-inventory row as MDE sends it. */
export type InventoryRowInput = z.input<typeof InventoryRowSchema>;
