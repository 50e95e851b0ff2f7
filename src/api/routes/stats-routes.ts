import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { Store } from '../../store/db/store.js';
import type { ApiContext } from '../api-context.js';
import { type DashboardStats, dashboardStats, TREND_RUNS } from '../dashboard-stats.js';
import { access } from '../roles.js';

/**
 * Findings and host sources change only through runs and connector removals, so the figures are
 * read again when a run has finished or the connectors changed, and at most every this many
 * milliseconds otherwise: one pass over the findings (seconds at millions) serves every dashboard
 * opened meanwhile.
 */
const FRESH_MS = 10 * 60_000;

const DashboardAnswer = z.object({
  openFindingsOverRuns: z
    .array(z.object({ runId: z.number(), connector: z.string(), finishedAt: z.string(), open: z.number() }))
    .describe(`the open findings when each of the last ${TREND_RUNS} finished runs ended, oldest first`),
  hostsByExposureLevel: z
    .record(z.string(), z.number())
    .describe('hosts by the worst exposure level of their Defender sources (`unknown`: none given)'),
  meanTimeToFix: z.object({
    overallDays: z.number().nullable(),
    fixed: z.number(),
    bySeverity: z.array(
      z.object({ severity: z.number(), fixed: z.number(), meanDays: z.number().nullable() }),
    ),
  }),
});

/** The latest finished run and the connectors, which a cached answer must have seen. */
async function storeVersion(store: Store): Promise<string> {
  const run = await store.db
    .selectFrom('syncRuns')
    .select(['id', 'finishedAt'])
    .where('finishedAt', 'is not', null)
    .orderBy('finishedAt', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const connectors = await store.db
    .selectFrom('connectors')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('id').as('last')])
    .executeTakeFirst();
  return `${run?.id}@${run?.finishedAt}/${connectors?.n}:${connectors?.last}`;
}

/** `GET /api/stats/dashboard` (docs/api.md#statistics): the dashboard's trend and time figures. */
export function registerStatsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  let cached: { run: string; at: number; value: Promise<DashboardStats> } | undefined;

  r.get(
    '/api/stats/dashboard',
    {
      config: access('viewer'),
      schema: {
        summary:
          'Open findings over the last runs, hosts by exposure level, mean time to fix by severity (computed by the database)',
        tags: ['system'],
        response: { 200: DashboardAnswer },
      },
    },
    async () => {
      const run = await storeVersion(ctx.store);
      const now = Date.now();
      if (!cached || cached.run !== run || now - cached.at > FRESH_MS) {
        const value = dashboardStats(ctx.store);
        cached = { run, at: now, value };
        // A failed read is not kept: the next request tries again.
        value.catch(() => {
          if (cached?.value === value) cached = undefined;
        });
      }
      return cached.value;
    },
  );
}
