import type * as z from 'zod';
import type { EndpointFamily } from '../../mde/http/client-rate-limiter.js';
import { odataPages } from '../../mde/paging/odata-pages.js';
import { parseRecord } from '../../mde/parse/parse-record.js';
import { CveSchema } from '../../mde/schemas/cve.js';
import { RecommendationSchema } from '../../mde/schemas/recommendation.js';
import { SoftwareSchema } from '../../mde/schemas/software.js';
import type { KeyedRecord } from '../../normalize/model.js';
import {
  normalizeCve,
  normalizeRecommendation,
  normalizeSoftware,
} from '../../normalize/normalize-catalogs.js';
import type { KeyedTable } from '../../store/catalog/keyed-writer.js';
import { reject, type SyncContext, storeKeyedBatch } from '../sync-context.js';

interface CatalogSpec<S extends z.ZodType> {
  stream: string;
  path: string;
  family: EndpointFamily;
  pageSize: number;
  schema: S;
  table: Exclude<KeyedTable, 'alerts' | 'installedSoftware'>;
  /** An OData `$filter` narrowing the catalog; entries outside it are then removed like unlisted ones. */
  filter?: string | undefined;
  normalize(value: z.output<S>): KeyedRecord;
}

/**
 * A small OData catalog read whole every run (docs/mde-api.md#cve-catalog, #software, #recommendations):
 * written by key and content hash; after a complete read, entries the tenant no longer lists are removed.
 */
async function syncCatalog<S extends z.ZodType>(ctx: SyncContext, spec: CatalogSpec<S>): Promise<void> {
  const counters = ctx.counters(spec.stream);
  ctx.progress.start(spec.stream);
  const pages = odataPages(ctx.client, spec.family, spec.path, {
    pageSize: spec.pageSize,
    ...(spec.filter ? { query: { $filter: spec.filter } } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  let page = 0;
  for await (const records of pages) {
    page++;
    const rows: KeyedRecord[] = [];
    for (const raw of records) {
      counters.fetched++;
      const parsed = parseRecord(spec.schema, raw);
      if (!parsed.ok) {
        reject(counters, parsed.reason);
        continue;
      }
      rows.push(spec.normalize(parsed.value));
    }
    await storeKeyedBatch(ctx, spec.stream, spec.table, rows, {
      stream: spec.stream,
      value: { runId: ctx.runId, page },
    });
  }
  counters.closed += await ctx.keyed.sweep(spec.table, ctx.connector.id, ctx.runId, ctx.now().toISOString());
  if (spec.filter) counters.note = `only entries matching "${spec.filter}" were read`;
  await ctx.checkpoints.clear(ctx.connector.id, spec.stream);
  counters.outcome = 'complete';
}

export const syncVulnerabilityDefinitions = (ctx: SyncContext) =>
  syncCatalog(ctx, {
    stream: 'vulnerability-definitions',
    path: '/api/vulnerabilities',
    family: 'tvmEntity',
    pageSize: 8_000,
    schema: CveSchema,
    table: 'vulnerabilityDefinitions',
    filter: ctx.connector.options.vulnerabilityDefinitionFilter,
    normalize: normalizeCve,
  });

export const syncSoftware = (ctx: SyncContext) =>
  syncCatalog(ctx, {
    stream: 'software',
    path: '/api/Software',
    family: 'tvmEntity',
    pageSize: 10_000,
    schema: SoftwareSchema,
    table: 'software',
    normalize: normalizeSoftware,
  });

export const syncRecommendations = (ctx: SyncContext) =>
  syncCatalog(ctx, {
    stream: 'recommendations',
    path: '/api/recommendations',
    family: 'tvmEntity',
    pageSize: 10_000,
    schema: RecommendationSchema,
    table: 'recommendations',
    normalize: normalizeRecommendation,
  });
