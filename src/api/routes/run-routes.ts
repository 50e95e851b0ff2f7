import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { recordAudit } from '../../audit/audit-log.js';
import { presentRecord } from '../../export/present-record.js';
import { ConnectorRepository } from '../../store/connectors/connector-repository.js';
import { notImported } from '../../store/runs/not-imported.js';
import { RunRepository, type SyncRun } from '../../store/runs/run-repository.js';
import { type LiveProgress, parseLiveProgress, progressEventsBetween } from '../../sync/live-progress.js';
import { apiActor } from '../api-actor.js';
import type { ApiContext } from '../api-context.js';
import { ApiError, notFound } from '../api-error.js';
import { access } from '../roles.js';

const RunView = z
  .record(z.string(), z.unknown())
  .describe(
    'a sync run, as mdec export runs writes it, with `connector` and `notImported` ([{stream, count, reason}])',
  );
const RunParams = z.strictObject({ id: z.coerce.number().int().positive() });
const tags = ['runs'];
/** How often the events stream reads the run's state and progress (its worker writes them, src/sync/live-progress.ts). */
const POLL_MS = 1000;

/** A run as `mdec export runs` writes it, with its connector's name and what it did not import, and why. */
function runView(run: SyncRun, connector: string | undefined): Record<string, unknown> {
  return {
    ...presentRecord({ ...run } as unknown as Record<string, unknown>),
    connector: connector ?? null,
    notImported: notImported(run.counters),
  };
}

/** Starting, reading, cancelling and following sync runs (docs/api.md#runs). */
export function registerRunRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const runs = new RunRepository(ctx.store);
  const connectors = new ConnectorRepository(ctx.store, ctx.secrets, ctx.now);
  const view = async (run: SyncRun) => runView(run, (await connectors.byId(run.connectorId))?.name);
  const audit = (
    request: FastifyRequest,
    action: string,
    runId: number,
    connector: string | null,
    detail: string,
  ) =>
    recordAudit(
      ctx.store,
      apiActor(request),
      { action, target: { kind: 'run', name: `run ${runId}` }, connector, outcome: 'succeeded', detail },
      ctx.now,
    );

  r.post(
    '/api/connectors/:name/runs',
    {
      config: access('analyst'),
      schema: {
        summary:
          'Hand a sync to the workers now (the job queue); 409 while one of this connector is queued or running',
        tags,
        params: z.strictObject({ name: z.string().min(1).max(200) }),
        body: z
          .strictObject({ mode: z.enum(['auto', 'full', 'delta']).default('auto') })
          .default({ mode: 'auto' }),
        response: { 202: z.object({ runId: z.number() }) },
      },
    },
    async (request, reply) => {
      const name = request.params.name;
      const connector = await connectors.byName(name);
      if (!connector) throw notFound(`connector "${name}"`);
      // A run queued for the workers, or a sync holding the connector's lease anywhere (a worker,
      // the CLI), is in progress.
      if (await ctx.runs.inProgress(connector.id))
        throw new ApiError(409, 'run-in-progress', `a sync of "${name}" is queued or running`);
      const runId = await ctx.runs.request(connector.id, request.body.mode);
      await audit(request, 'run.start', runId, name, `mode ${request.body.mode}`);
      return reply.code(202).send({ runId });
    },
  );

  r.get(
    '/api/runs/:id',
    {
      config: access('viewer'),
      schema: { summary: 'A sync run', tags, params: RunParams, response: { 200: RunView } },
    },
    async (request) => {
      const run = await runs.byId(request.params.id);
      if (!run) throw notFound(`run ${request.params.id}`);
      return view(run);
    },
  );

  r.post(
    '/api/runs/:id/cancel',
    {
      config: access('analyst'),
      schema: {
        summary:
          'Cancel a queued run at once, or ask a running one to stop after its current batch (as mdec runs cancel)',
        tags,
        params: RunParams,
        response: { 202: z.object({ runId: z.number(), state: z.enum(['cancelled', 'stopping']) }) },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const run = await runs.byId(id);
      if (!run) throw notFound(`run ${id}`);
      if (run.state !== 'processing' && run.state !== 'queued')
        throw new ApiError(409, 'run-finished', `run ${id} has ended (${run.state})`);
      // A queued run leaves the queue; a running one's worker sees the request within seconds.
      const state = await ctx.runs.cancel(id);
      const outcome = state === 'cancelled' ? 'cancelled' : 'stopping';
      const connector = (await connectors.byId(run.connectorId))?.name ?? null;
      await audit(request, 'run.cancel', id, connector, outcome);
      return reply.code(202).send({ runId: id, state: outcome });
    },
  );

  r.get(
    '/api/runs/:id/events',
    {
      config: access('viewer'),
      schema: {
        summary: 'Server-Sent Events: `progress` while the run goes on, then one `end` with the final run',
        tags,
        params: RunParams,
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const first = await runs.byId(id);
      if (!first) throw notFound(`run ${id}`);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
      });
      const send = (event: string, data: unknown) => {
        if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      // The run's row says how far it got (its worker writes it) and when it ended: read every second.
      let closed = false;
      let seen: LiveProgress | undefined;
      const sendProgress = (text: string | null) => {
        const now = parseLiveProgress(text);
        if (!now) return;
        for (const p of progressEventsBetween(seen, now)) send('progress', p);
        seen = now;
      };
      // `followed`: the run was live when this stream began; what it reported last is sent before its end.
      const finish = async (followed: boolean) => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        const run = await runs.byId(id).catch(() => undefined);
        if (followed) sendProgress((await runs.liveState(id).catch(() => undefined))?.liveProgress ?? null);
        if (run) send('end', await view(run));
        res.end();
      };
      let looking = false;
      const look = () => {
        if (looking || closed) return;
        looking = true;
        runs.liveState(id).then(
          (live) => {
            looking = false;
            if (closed) return;
            if (!live || (live.state !== 'processing' && live.state !== 'queued')) return void finish(true);
            sendProgress(live.liveProgress);
          },
          () => void finish(true),
        );
      };
      const timer = setInterval(look, POLL_MS);
      request.raw.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
      if (first.state !== 'processing' && first.state !== 'queued') await finish(false);
      else look();
    },
  );
}
