import * as z from 'zod';
import { ENTITY_SETS } from '../mde/odata/entity-sets.js';
import { bindFilter } from '../mde/odata/filter-binder.js';
import { parseFilter } from '../mde/odata/filter-parser.js';
import { IdentificationRulesSchema } from './identification-rules-option.js';

/** Data types a connector can collect (docs/operations.md, `--data-types`); machines are always collected. */
export const DATA_TYPES = [
  'machines',
  'vulnerabilities',
  'vulnerability-definitions',
  'software',
  'installed-software',
  'recommendations',
  'alerts',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

export const CLOUDS = ['commercial', 'gcc', 'gcc-high', 'dod', 'custom'] as const;
export type Cloud = (typeof CLOUDS)[number];

/**
 * Checks an OData `$filter` for machines against what MDE can filter on (docs/mde-api.md#machine-filters).
 */
function machineFilterProblem(filter: string): string | undefined {
  try {
    bindFilter(parseFilter(filter), ENTITY_SETS.machines);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Every connector option of docs/data-model.md#connector that the sync engine uses, with defaults. Parsing
 * an unknown key is an error: a misspelt option must never be silently ignored.
 */
export const ConnectorOptionsSchema = z.strictObject({
  dataTypes: z
    .array(z.enum(DATA_TYPES))
    .min(1)
    .default([
      'machines',
      'vulnerabilities',
      'vulnerability-definitions',
      'software',
      'recommendations',
      'alerts',
    ])
    .transform((types) => [...new Set<DataType>(['machines', ...types])]),
  /** Days without a report after which a device counts as stale; 0 means never. */
  staleDays: z.number().int().min(0).max(3650).default(0),
  /** Only devices carrying one of these tags (empty: all devices). */
  tags: z.array(z.string().min(1)).default([]),
  /** An OData `$filter` for /api/machines, checked against the properties MDE filters on. */
  filter: z
    .string()
    .trim()
    .min(1)
    .superRefine((value, ctx) => {
      const problem = machineFilterProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** How far back the first run reaches for alerts (30 to 365 days). */
  initialLookbackDays: z.number().int().min(30).max(365).default(30),
  /** Keep devices that were never scanned for vulnerabilities. */
  includeUnscanned: z.boolean().default(true),
  maxRetries: z.number().int().min(0).max(50).default(10),
  /** Failed runs in a row after which the schedule stops until an edit or a sync by hand (docs/scheduling.md). */
  maxFailedRuns: z.number().int().min(1).max(100).default(3),
  /** A full sync every N days; delta syncs in between (docs/sync.md#full-or-delta). */
  fullSyncEveryDays: z.number().int().min(1).max(14).default(7),
  /**
   * Between full syncs, a run reads every device only once the last such sweep is this many hours
   * old, and otherwise only devices whose lastSeen moved (machines-read-plan.ts); 0: every run.
   */
  deviceSweepHours: z.number().int().min(0).max(168).default(24),
  /** Overlap subtracted from the last good sync when asking for changes (docs/mde-api.md#delta-feed). */
  deltaOverlapHours: z.number().int().min(0).max(48).default(6),
  /** Validity of export links (docs/mde-api.md#export-files: at most 6 hours). */
  sasValidHours: z.number().int().min(1).max(6).default(2),
  /** `export`: the via-files export; `json`: the paged SoftwareVulnerabilitiesByMachine (small tenants). */
  vulnerabilitySource: z.enum(['export', 'json']).default('export'),
  /** Operation options: restrict software and vulnerabilities. */
  softwareId: z.string().min(1).optional(),
  softwareName: z.string().min(1).optional(),
  softwareVendor: z.string().min(1).optional(),
  vulnerabilityRbacGroupId: z.number().int().min(0).optional(),
  vulnerabilitySeverity: z
    .array(z.enum(['Low', 'Medium', 'High', 'Critical']))
    .min(1)
    .optional(),
  /** Which existing host a machine is (docs/data-model.md#host-identity-and-merging). */
  identificationRules: IdentificationRulesSchema,
  /** Dynamic OS and OS_VERSION profiles; off removes this connector's profiles. */
  profiles: z.boolean().default(true),
});

export type ConnectorOptions = z.output<typeof ConnectorOptionsSchema>;
export type ConnectorOptionsInput = z.input<typeof ConnectorOptionsSchema>;

export class OptionsError extends Error {
  readonly code = 'options' as const;
}

/** Validates options; the error names each bad field and what it allows. */
export function parseConnectorOptions(input: unknown): ConnectorOptions {
  const result = ConnectorOptionsSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const field = i.path.length ? i.path.join('.') : 'options';
    return `${field}: ${i.message}`;
  });
  throw new OptionsError(lines.join('; '));
}
