/**
 * An alert: `GET /api/alerts[/{id}]` (with `$expand=evidence`) and `/api/machines/{id}/alerts`
 * (docs/mde-api.md#alerts).
 */
import * as z from 'zod';
import { identity, numeric, text, texts, timestamp } from './fields.js';

/** Documented alert `severity` values (7); note the capital S in `UnSpecified`. */
export const ALERT_SEVERITIES = ['UnSpecified', 'Informational', 'Low', 'Medium', 'High'] as const;

/** Documented alert `status` values (7). */
export const ALERT_STATUSES = ['Unknown', 'New', 'InProgress', 'Resolved'] as const;

/** Alert `classification` values; the middle one's wire form is inferred (7). */
export const ALERT_CLASSIFICATIONS = [
  'TruePositive',
  'InformationalExpectedActivity',
  'FalsePositive',
] as const;

/** Alert `determination` values of all classifications; `Apt` and `SecurityPersonnel` are deprecated (7). */
export const ALERT_DETERMINATIONS = [
  'MultiStagedAttack',
  'MaliciousUserActivity',
  'CompromisedUser',
  'Malware',
  'Phishing',
  'UnwantedSoftware',
  'SecurityTesting',
  'LineOfBusinessApplication',
  'ConfirmedUserActivity',
  'Clean',
  'InsufficientData',
  'Other',
  'Apt',
  'SecurityPersonnel',
] as const;

/** Documented `investigationState` values (7). */
export const INVESTIGATION_STATES = [
  'Unknown',
  'Terminated',
  'SuccessfullyRemediated',
  'Benign',
  'Failed',
  'PartiallyRemediated',
  'Running',
  'PendingApproval',
  'PendingResource',
  'PartiallyInvestigated',
  'TerminatedByUser',
  'TerminatedBySystem',
  'Queued',
  'InnerFailure',
  'PreexistingAlert',
  'UnsupportedOs',
  'UnsupportedAlertType',
  'SuppressedAlert',
] as const;

/** Evidence `entityType` values shown in the docs (7); the list is open-ended. */
export const EVIDENCE_ENTITY_TYPES = ['User', 'Process', 'File'] as const;

/** One evidence item (only with `$expand=evidence`). Which fields are set depends on `entityType`. */
export const AlertEvidenceSchema = z.looseObject({
  entityType: text(),
  evidenceCreationTime: timestamp(),
  detectionStatus: text(),
  sha1: text(),
  sha256: text(),
  fileName: text(),
  filePath: text(),
  processId: numeric(),
  processCommandLine: text(),
  processCreationTime: timestamp(),
  parentProcessId: numeric(),
  parentProcessCreationTime: timestamp(),
  parentProcessFileName: text(),
  parentProcessFilePath: text(),
  ipAddress: text(),
  url: text(),
  registryKey: text(),
  registryHive: text(),
  registryValueType: text(),
  registryValue: text(),
  accountName: text(),
  domainName: text(),
  userSid: text(),
  aadUserId: text(),
  userPrincipalName: text(),
});

/** One analyst comment on an alert. */
export const AlertCommentSchema = z.looseObject({
  comment: text(),
  createdBy: text(),
  createdTime: timestamp(),
});

/** The user an alert relates to. */
export const AlertRelatedUserSchema = z.looseObject({
  userName: text(),
  domainName: text(),
});

/** An alert. Required: `id` (e.g. `da637472900382838869_1364969609`). */
export const AlertSchema = z.looseObject({
  id: identity(),
  incidentId: numeric(),
  investigationId: numeric(),
  assignedTo: text(),
  severity: text(),
  status: text(),
  classification: text(),
  determination: text(),
  investigationState: text(),
  detectionSource: text(),
  detectorId: text(),
  category: text(),
  threatFamilyName: text(),
  threatName: text(),
  title: text(),
  description: text(),
  alertCreationTime: timestamp(),
  firstEventTime: timestamp(),
  lastEventTime: timestamp(),
  /** The incremental-pull watermark (7). */
  lastUpdateTime: timestamp(),
  resolvedTime: timestamp(),
  machineId: text(),
  computerDnsName: text(),
  rbacGroupName: text(),
  aadTenantId: text(),
  mitreTechniques: texts(),
  relatedUser: AlertRelatedUserSchema.nullish(),
  comments: z.array(AlertCommentSchema).nullish(),
  evidence: z.array(AlertEvidenceSchema).nullish(),
});

/** A parsed alert. */
export type Alert = z.output<typeof AlertSchema>;
/** An alert as MDE sends it. */
export type AlertInput = z.input<typeof AlertSchema>;
/** A parsed evidence item. */
export type AlertEvidence = z.output<typeof AlertEvidenceSchema>;
