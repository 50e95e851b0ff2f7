import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import * as z from 'zod';
import { QUERY_SPECS } from '../../export/query-fields.js';
import { QUERY_FIELD_TYPES } from '../../normalize/query/compile-query.js';
import { findingCountsBySeverity } from '../../store/findings/finding-counts.js';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-error.js';
import { access } from '../roles.js';
import { LIST_KINDS } from './list-routes.js';

const Counts = z.record(z.string(), z.number());

/** `/healthz`, `/metrics`, `/api/openapi.json`, `/api/query-fields`, `/api/stats/overview` (docs/api.md). */
export function registerSystemRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const store = ctx.store;

  r.get(
    '/healthz',
    {
      config: access('public'),
      schema: {
        summary: 'Liveness: 200 when the database answers, else 503',
        tags: ['system'],
        security: [],
        response: { 200: z.object({ status: z.literal('ok'), database: z.literal('ok') }) },
      },
    },
    async () => {
      try {
        await sql`select 1`.execute(store.db);
      } catch {
        throw new ApiError(503, 'database-unreachable', 'the database does not answer');
      }
      return { status: 'ok' as const, database: 'ok' as const };
    },
  );

  r.get(
    '/metrics',
    {
      config: access('viewer'),
      schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['system'] },
    },
    async (_request, reply) =>
      reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
  );

  r.get(
    '/api/openapi.json',
    {
      config: access('public'),
      schema: {
        summary: 'This API, described (OpenAPI 3), generated from the schemas that validate it',
        tags: ['system'],
        security: [],
      },
    },
    async () => app.swagger(),
  );

  r.get(
    '/api/query-fields',
    {
      config: access('viewer'),
      schema: {
        summary: 'The query fields of a list and their kinds, for completion',
        tags: ['system'],
        querystring: z.strictObject({ entity: z.enum(Object.keys(LIST_KINDS) as [keyof typeof LIST_KINDS]) }),
        response: {
          200: z.object({
            entity: z.string(),
            fields: z.array(z.object({ name: z.string(), type: z.enum(QUERY_FIELD_TYPES) })),
            freeText: z.array(z.string()),
          }),
        },
      },
    },
    async (request) => {
      const spec = QUERY_SPECS[LIST_KINDS[request.query.entity]];
      return {
        entity: request.query.entity,
        fields: Object.entries(spec.fields).map(([name, f]) => ({ name, type: f.type })),
        freeText: spec.textFields,
      };
    },
  );

  r.get(
    '/api/stats/overview',
    {
      config: access('viewer'),
      schema: {
        summary: "The dashboard's counts",
        tags: ['system'],
        response: {
          200: z.object({
            connectors: z.number(),
            hostsByStatus: Counts,
            hostsByRiskLevel: Counts,
            openFindingsBySeverity: Counts,
            alertsBySeverity: Counts,
            runsByState: Counts,
          }),
        },
      },
    },
    async () => {
      const grouped = async (
        table: 'hosts' | 'alerts' | 'syncRuns',
        column: string,
        options: { none?: string; withoutMergedHosts?: boolean } = {},
      ) => {
        let q = store.db
          .selectFrom(table)
          .select([sql<string | null>`${sql.ref(column)}`.as('key'), sql<number>`count(*)`.as('n')]);
        // A merged host stands for its survivor, which carries the risk (docs/host-risk.md).
        if (options.withoutMergedHosts) q = q.where(sql.ref('status'), '!=', 'merged') as typeof q;
        const rows = (await q.groupBy(sql.ref(column) as never).execute()) as Array<{
          key: string | null;
          n: number;
        }>;
        return Object.fromEntries(rows.map((row) => [row.key ?? options.none ?? 'none', Number(row.n)]));
      };
      const connectors = await store.db
        .selectFrom('connectors')
        .select(sql<number>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      return {
        connectors: Number(connectors.n),
        hostsByStatus: await grouped('hosts', 'status'),
        hostsByRiskLevel: await grouped('hosts', 'riskLevel', { none: 'unrated', withoutMergedHosts: true }),
        openFindingsBySeverity: await findingCountsBySeverity(store.db, { status: 'open' }),
        alertsBySeverity: await grouped('alerts', 'severity'),
        runsByState: await grouped('syncRuns', 'state'),
      };
    },
  );
}
