import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { EXPORT_FORMATS, type RecordKind } from '../../export/export-kinds.js';
import { exportColumns, readRecords } from '../../export/read-records.js';
import { writeRecords } from '../../export/write-records.js';
import type { ApiContext } from '../api-context.js';
import { sendStoreRead } from '../read-cache.js';
import { listFilter } from '../record-list.js';
import { recordSerializer } from '../record-serializer.js';
import { access } from '../roles.js';

/** The lists of the API, by URL segment (docs/api.md#lists); each is the record kind of that name. */
export const LIST_KINDS = {
  hosts: 'hosts',
  findings: 'findings',
  vulnerabilities: 'vulnerabilities',
  software: 'software',
  'installed-software': 'installed-software',
  recommendations: 'recommendations',
  alerts: 'alerts',
  profiles: 'profiles',
  runs: 'runs',
  actions: 'actions',
  audit: 'audit',
} as const satisfies Record<string, RecordKind>;

/** Who reads a list: everyone signed in, but the audit log (who changed what) is for admins. */
export const LIST_ACCESS: Partial<Record<keyof typeof LIST_KINDS, 'admin'>> = { audit: 'admin' };

/** At most this many records a page; more is a 400 (the default is 100). */
export const MAX_LIMIT = 1000;

const QueryText = z.string().max(4000).optional().describe('the query language (docs/queries.md)');

export const ListQuery = z.strictObject({
  query: QueryText,
  sort: z.string().max(100).optional().describe('`field` or `-field` (descending)'),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(100),
  cursor: z.string().max(4000).optional().describe('nextCursor of the previous page'),
});

const ListAnswer = z.object({
  items: z.array(z.record(z.string(), z.unknown())),
  nextCursor: z.string().nullable(),
  total: z.number(),
  totalExact: z.literal(false).optional(),
});

const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
} as const;

/** `GET /api/KIND` (a page) and `GET /api/KIND/export` (everything matching, streamed) for every list kind. */
export function registerListRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const [segment, kind] of Object.entries(LIST_KINDS)) {
    const level = LIST_ACCESS[segment as keyof typeof LIST_KINDS] ?? 'viewer';
    r.get(
      `/api/${segment}`,
      {
        config: access(level),
        serializerCompiler: recordSerializer,
        schema: {
          summary: `A page of ${segment}, filtered by a query, sorted, keyset-paged`,
          tags: ['lists'],
          querystring: ListQuery,
          response: { 200: ListAnswer },
        },
      },
      async (request, reply) => sendStoreRead(ctx, request, reply, 'list', { kind, request: request.query }),
    );

    r.get(
      `/api/${segment}/export`,
      {
        config: access(level),
        schema: {
          summary: `Every ${segment} record matching the query, streamed as CSV, JSON or JSON lines`,
          tags: ['lists'],
          querystring: z.strictObject({ format: z.enum(EXPORT_FORMATS).default('csv'), query: QueryText }),
        },
      },
      async (request, reply) => {
        const { format, query } = request.query;
        const filter = await listFilter(ctx.store, kind, query);
        const records = readRecords(ctx.store, kind, {
          ...(filter.where ? { sqlWhere: filter.where } : {}),
          ...(filter.predicate ? { where: filter.predicate } : {}),
        });
        const body = new PassThrough();
        writeRecords(records, format, body, { columns: () => exportColumns(ctx.store, kind) }).then(
          () => body.end(),
          (err: unknown) => body.destroy(err as Error),
        );
        return reply
          .type(CONTENT_TYPES[format])
          .header('content-disposition', `attachment; filename="${segment}.${format}"`)
          .send(body);
      },
    );
  }
}
