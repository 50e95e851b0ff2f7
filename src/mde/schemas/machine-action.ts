/**
 * The MachineAction entity: the 201 body of isolate / unisolate / runAntiVirusScan, the 200 of cancel,
 * and `GET /api/machineactions[/{id}]` (docs/mde-api.md#machine-actions).
 */
import * as z from 'zod';
import { identity, numeric, text, timestamp } from './fields.js';

/** Documented machine-action `type` values (docs/mde-api.md#machine-actions). */
export const MACHINE_ACTION_TYPES = [
  'RunAntiVirusScan',
  'Offboard',
  'LiveResponse',
  'CollectInvestigationPackage',
  'Isolate',
  'Unisolate',
  'StopAndQuarantineFile',
  'RestrictCodeExecution',
  'UnrestrictCodeExecution',
] as const;

/** Documented machine-action `status` values (docs/mde-api.md#machine-actions). */
export const MACHINE_ACTION_STATUSES = [
  'Pending',
  'InProgress',
  'Succeeded',
  'Failed',
  'TimeOut',
  'Cancelled',
] as const;

/**
 * The statuses after which an action never changes again; poll until one of these
 * (docs/mde-api.md#machine-actions).
 */
export const MACHINE_ACTION_FINAL_STATUSES = ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'] as const;

/** Documented `relatedFileInfo.fileIdentifierType` values (docs/mde-api.md#machine-actions). */
export const FILE_IDENTIFIER_TYPES = ['Sha1', 'Sha256', 'Md5'] as const;

/** The file a StopAndQuarantineFile-like action is about. */
export const RelatedFileInfoSchema = z.looseObject({
  fileIdentifier: text(),
  fileIdentifierType: text(),
});

/**
 * A machine action. Required: `id`.
 *
 * The last-update time is `lastUpdateDateTimeUtc` on the entity and Get pages but
 * `lastUpdateTimeUtc` on the List page and the 2017 sample (docs/mde-api.md#documentation-defects). Both are
 * accepted and kept; the parsed record always fills `lastUpdateDateTimeUtc`, from `lastUpdateTimeUtc` when
 * that is the only one.
 */
export const MachineActionSchema = z
  .looseObject({
    id: identity(),
    type: text(),
    /** `Full`/`Selective` for isolation, `Quick`/`Full` for scans, null otherwise. */
    scope: text(),
    requestor: text(),
    /** The docs spell it `externalID`; keys are matched case-insensitively. */
    externalId: text(),
    requestSource: text(),
    /** LiveResponse commands; their shape is not documented, so they are kept as they are. */
    commands: z.array(z.unknown()).nullish(),
    cancellationRequestor: text(),
    cancellationComment: text(),
    cancellationDateTimeUtc: timestamp(),
    requestorComment: text(),
    status: text(),
    machineId: text(),
    computerDnsName: text(),
    creationDateTimeUtc: timestamp(),
    lastUpdateDateTimeUtc: timestamp(),
    lastUpdateTimeUtc: timestamp(),
    title: text(),
    relatedFileInfo: RelatedFileInfoSchema.nullish(),
    /** Observed in a 2021 docs PR, undocumented. */
    troubleshootInfo: text(),
    errorHResult: numeric(),
  })
  .transform((action) =>
    action.lastUpdateDateTimeUtc == null && action.lastUpdateTimeUtc != null
      ? { ...action, lastUpdateDateTimeUtc: action.lastUpdateTimeUtc }
      : action,
  );

/** A parsed machine action (`lastUpdateDateTimeUtc` filled from either spelling). */
export type MachineAction = z.output<typeof MachineActionSchema>;
/** A machine action as MDE sends it. */
export type MachineActionInput = z.input<typeof MachineActionSchema>;
