import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { ActionFailedError, ActionInputError, ActionRefusedError } from '../../actions/action-errors.js';
import { refreshMachineAction, requestMachineAction } from '../../actions/machine-action-service.js';
import { ApiError as MdeApiError } from '../../mde/mde-errors.js';
import { apiActor } from '../api-actor.js';
import type { ApiContext } from '../api-context.js';
import { ApiError, badRequest, notFound } from '../api-error.js';
import { access } from '../roles.js';

const tags = ['actions'];
const ActionView = z.record(z.string(), z.unknown()).describe('a machine action as stored (docs/actions.md)');
const IdParams = z.strictObject({ id: z.coerce.number().int().positive() });

/** The body field a request field of the action service is given in. */
const BODY_FIELD: Record<string, (type: string) => string> = {
  type: (type) => (type === 'scan' ? 'scanType' : 'isolationType'),
  comment: () => 'comment',
  target: () => 'id',
};

/**
 * Machine actions through the API (docs/api.md#actions), by main's action service
 * (src/actions/machine-action-service.ts) exactly as `mdec action` sends them: analysts request,
 * viewers read. Every request lands in the audit log with the signed-in user as requester.
 */
export function registerActionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/hosts/:id/actions',
    {
      config: access('analyst'),
      schema: {
        summary:
          'Scan, isolate or release a host through its connector; 201 with the action, 200 with `duplicate: true` when the same action is already pending',
        tags,
        params: IdParams,
        body: z.strictObject({
          type: z.enum(['scan', 'isolate', 'unisolate']),
          scanType: z.enum(['quick', 'full']).optional().describe('scan only; quick by default'),
          isolationType: z.enum(['full', 'selective']).optional().describe('isolate only; full by default'),
          comment: z.string().min(1).max(1000),
        }),
        response: { 200: ActionView, 201: ActionView },
      },
    },
    async (request, reply) => {
      const { type, scanType, isolationType, comment } = request.body;
      const hostId = request.params.id;
      const host = await ctx.store.db
        .selectFrom('hosts')
        .select('id')
        .where('id', '=', hostId)
        .executeTakeFirst();
      if (!host) throw notFound(`host ${hostId}`);
      if (scanType !== undefined && type !== 'scan')
        throw badRequest('body.scanType', `${type} takes no scanType`);
      if (isolationType !== undefined && type !== 'isolate')
        throw badRequest('body.isolationType', `${type} takes no isolationType`);
      try {
        const result = await requestMachineAction(ctx.actions, {
          requester: apiActor(request),
          target: { hostId },
          action: type,
          ...((scanType ?? isolationType) !== undefined ? { type: (scanType ?? isolationType)! } : {}),
          comment,
        });
        return reply
          .code(result.alreadyPending ? 200 : 201)
          .send({ ...result.action, duplicate: result.alreadyPending });
      } catch (err) {
        if (err instanceof ActionInputError) {
          const field = (BODY_FIELD[err.field] ?? (() => err.field))(type);
          throw badRequest(`body.${field}`, err.message);
        }
        if (err instanceof ActionRefusedError) {
          if (err.reason === 'unknown-device') throw notFound(`host ${hostId}`);
          throw new ApiError(409, `action-refused`, err.message);
        }
        if (err instanceof ActionFailedError) {
          // MDE's 403: the connector's app registration lacks the action's permission (the message names it).
          if (err.cause instanceof MdeApiError && err.cause.status === 403)
            throw new ApiError(403, 'mde-permission', err.message);
          throw new ApiError(502, 'action-failed', err.message);
        }
        throw err;
      }
    },
  );

  r.get(
    '/api/actions/:id',
    {
      config: access('viewer'),
      schema: {
        summary: 'A machine action, its status read again from MDE while it is not final',
        tags,
        params: IdParams,
        response: {
          200: z.object({ action: ActionView, refreshError: z.string().optional() }),
        },
      },
    },
    async (request) => {
      const found = await refreshMachineAction(ctx.actions, request.params.id);
      if (!found) throw notFound(`machine action ${request.params.id}`);
      return { ...found, action: { ...found.action } };
    },
  );
}
