import * as z from 'zod';
import { ENTITY_SETS, type EntitySetName } from '../mde/odata/entity-sets.js';
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
 * An OData `$filter` option, checked against what MDE can filter on for that entity set
 * (docs/mde-api.md#machine-filters, #cve-catalog), so a filter MDE would refuse is refused when it is set.
 */
function odataFilterOption(set: EntitySetName) {
  return z
    .string()
    .trim()
    .min(1)
    .superRefine((value, ctx) => {
      try {
        bindFilter(parseFilter(value), ENTITY_SETS[set]);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
      }
    });
}

/** How far back the first run reads alerts when `initialLookbackDays` is not set (docs/connector-options.md). */
export const DEFAULT_ALERT_LOOKBACK_DAYS = 30;

/** Finding statuses a connector can keep (docs/connector-options.md#vulnerability-status). */
export const FINDING_STATUSES = ['open', 'fixed'] as const;

/**
 * Every connector option of docs/data-model.md#connector that the sync engine uses, with defaults. Parsing
 * an unknown key is an error: a misspelt option must never be silently ignored.
 */
export const ConnectorOptionsSchema = z.strictObject({
  /** Free text for people: what this connector (or collection profile) is for. */
  description: z.string().trim().max(500).optional(),
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
  filter: odataFilterOption('machines').optional(),
  /**
   * The first run's window (30 to 365 days). Set, it bounds the first run's alerts and devices (only
   * devices last seen within it, so only their findings); unset, the first run reads alerts of
   * {@link DEFAULT_ALERT_LOOKBACK_DAYS} and every device. Later runs are never bounded by it.
   */
  initialLookbackDays: z.number().int().min(30).max(365).optional(),
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
  /**
   * Finding statuses kept: without `fixed`, a finding Defender reports fixed is removed instead of
   * kept as history. Open findings are what fixed ones come from, so `open` is always kept.
   */
  vulnerabilityStatus: z
    .array(z.enum(FINDING_STATUSES))
    .min(1)
    .refine((s) => s.includes('open'), {
      message: 'must include open: fixed findings are open findings Defender later reports fixed',
    })
    .default(['open', 'fixed'])
    .transform((s) => [...new Set(s)]),
  /** An OData `$filter` for /api/vulnerabilities: which vulnerability definitions are read. */
  vulnerabilityDefinitionFilter: odataFilterOption('vulnerabilities').optional(),
  /** Which existing host a machine is (docs/data-model.md#host-identity-and-merging). */
  identificationRules: IdentificationRulesSchema,
  /** Dynamic OS and OS_VERSION profiles; off removes this connector's profiles. */
  profiles: z.boolean().default(true),
  /**
   * Machine actions (isolate, release, antivirus scan) may be sent through this connector
   * (docs/actions.md); off by default, as they need write permissions a read-only connector lacks.
   */
  actions: z.boolean().default(false),
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
