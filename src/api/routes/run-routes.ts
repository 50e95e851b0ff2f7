import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { recordAudit } from '../../audit/audit-log.js';
import { presentRecord } from '../../export/read-records.js';
import { ConnectorRepository } from '../../store/connectors/connector-repository.js';
import { RunRepository, type SyncRun } from '../../store/runs/run-repository.js';
import { SyncRefusedError, SyncRunningError } from '../../sync/run-sync.js';
import { apiActor } from '../api-actor.js';
import type { ApiContext } from '../api-context.js';
import { ApiError, notFound } from '../api-error.js';
import { access } from '../roles.js';
import type { RunProgress } from '../run-supervisor.js';

const RunView = z.record(z.string(), z.unknown()).describe('a sync run, as mdec export runs writes it');
const RunParams = z.strictObject({ id: z.coerce.number().int().positive() });
const tags = ['runs'];
/** How often the events stream looks at a run it is not running itself (a worker elsewhere). */
const POLL_MS = 1000;
/** Progress updates of one stream are sent at most this often. */
const UPDATE_EVERY_MS = 250;

function runView(run: SyncRun, connector: string | undefined): Record<string, unknown> {
  return { ...presentRecord({ ...run } as unknown as Record<string, unknown>), connector: connector ?? null };
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
        summary: 'Start a sync now; 409 while one of this connector is running',
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
      // A run of the connector that a worker has queued or runs counts as in progress too.
      if (ctx.runs.isRunning(name) || (await runs.hasQueued(connector.id)))
        throw new ApiError(409, 'run-in-progress', `a sync of "${name}" is queued or running`);
      try {
        const runId = await ctx.runs.start(name, request.body.mode);
        await audit(request, 'run.start', runId, name, `mode ${request.body.mode}`);
        return reply.code(202).send({ runId });
      } catch (err) {
        if (err instanceof SyncRunningError) throw new ApiError(409, 'run-in-progress', err.message);
        if (err instanceof SyncRefusedError) throw new ApiError(409, 'sync-refused', err.message);
        throw err;
      }
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
      // A run of this process stops now; one a worker runs sees the request at its next heartbeat.
      const here = ctx.runs.cancel(id);
      const state = here ? 'processing' : await runs.cancel(id, ctx.now());
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
      let closed = false;
      const lastUpdate = new Map<string, number>();
      const onProgress = (p: RunProgress) => {
        if (p.phase === 'update') {
          const now = Date.now();
          if (now - (lastUpdate.get(p.stream) ?? 0) < UPDATE_EVERY_MS) return;
          lastUpdate.set(p.stream, now);
        }
        send('progress', p);
      };
      const events = ctx.runs.events(id);
      events?.on('progress', onProgress);
      const finish = async () => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        events?.off('progress', onProgress);
        events?.off('end', onEnd);
        const run = await runs.byId(id).catch(() => undefined);
        if (run) send('end', await view(run));
        res.end();
      };
      const onEnd = () => void finish();
      events?.once('end', onEnd);
      // Runs of other processes, or one that ended before this request: the database says when it ends.
      const timer = setInterval(() => {
        void runs.byId(id).then(
          (run) => {
            if (run && run.state !== 'processing' && run.state !== 'queued' && !ctx.runs.events(id))
              void finish();
          },
          () => void finish(),
        );
      }, POLL_MS);
      request.raw.on('close', () => {
        closed = true;
        clearInterval(timer);
        events?.off('progress', onProgress);
        events?.off('end', onEnd);
      });
      if (first.state !== 'processing' && first.state !== 'queued' && !events) await finish();
    },
  );
}
