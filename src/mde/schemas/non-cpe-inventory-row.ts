/**
 * One `SoftwareInventoryNoProductCodeByMachine` / `SoftwareInventoryNonCpeExport` row
 * (docs/mde-api.md#installed-software).
 */
import * as z from 'zod';
import { identity, rbacGroupId, text, timestamp } from './fields.js';

/** A software row without a CPE. Required: the row key deviceId + vendor + name + version. */
export const NonCpeInventoryRowSchema = z.looseObject({
  deviceId: identity(),
  deviceName: text(),
  osPlatform: text(),
  rbacGroupName: text(),
  /** A number in the doc sample (`11`). */
  rbacGroupId: rbacGroupId(),
  softwareVendor: identity(),
  softwareName: identity(),
  softwareVersion: identity(),
  /** Wire form `2021-01-30 11:31:12.271`. */
  softwareLastSeenTimestamp: timestamp(),
});

/** A parsed non-CPE software row. */
export type NonCpeInventoryRow = z.output<typeof NonCpeInventoryRowSchema>;
/** A non-CPE software row as MDE sends it. */
export type NonCpeInventoryRowInput = z.input<typeof NonCpeInventoryRowSchema>;
