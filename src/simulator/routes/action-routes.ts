import { BUDGETS, ROLES } from '../http/endpoint-budgets.js';
import { sendODataPage } from '../http/odata-page.js';
import { MdeHttpError } from '../http/respond.js';
import type { Route, RouteContext } from '../http/route.js';
import { sendBody } from '../http/send-body.js';
import { ActionRequestError, type ActionType } from '../machine-actions.js';
import { ENTITY_SETS } from '../odata/index.js';
import { findMachine, readJsonBody } from './lookups.js';

const ACTION_ROLES = [...ROLES.isolate, ...ROLES.scan];

/** Request body names are case-sensitive in MDE (docs/mde-api.md#errors): `comment` is not `Comment`. */
function requireString(body: Record<string, unknown>, name: string, allowed?: readonly string[]): string {
  const value = body[name];
  if (value === undefined || value === null || value === '') {
    throw new MdeHttpError(400, 'MissingRequiredParameter', `Missing required parameter '${name}'`);
  }
  if (typeof value !== 'string' || (allowed && !allowed.includes(value))) {
    throw new MdeHttpError(
      400,
      'InvalidRequestBody',
      `Invalid value for '${name}'${allowed ? `; allowed: ${allowed.join(', ')}` : ''}`,
    );
  }
  return value;
}

function requestor(ctx: RouteContext): string {
  return ctx.caller.appId;
}

async function createAction(ctx: RouteContext, type: ActionType) {
  const body = await readJsonBody(ctx);
  const comment = requireString(body, 'Comment');
  let scope: string | null = null;
  if (type === 'Isolate') {
    scope =
      body.IsolationType === undefined
        ? 'Full'
        : requireString(body, 'IsolationType', ['Full', 'Selective', 'UnManagedDevice']);
  } else if (type === 'RunAntiVirusScan') {
    scope = requireString(body, 'ScanType', ['Quick', 'Full']);
  }
  const { machine } = findMachine(ctx, ctx.params[1]!);
  try {
    const action = ctx.sim.actions.create({ type, scope, comment, requestor: requestor(ctx), machine });
    sendBody(ctx, 201, {
      '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#MachineActions/$entity`,
      ...action,
    });
  } catch (err) {
    if (err instanceof ActionRequestError) throw new MdeHttpError(err.status, err.code, err.message);
    throw err;
  }
}

/** docs/mde-api.md#machine-actions: isolate, release, antivirus scan, and the machine-action read-back. */
export const actionRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/machines\/([^/]+)\/isolate$/i,
    bucket: 'isolate',
    budget: BUDGETS.entity,
    roles: ROLES.isolate,
    handle: (ctx) => createAction(ctx, 'Isolate'),
  },
  {
    method: 'POST',
    pattern: /^\/machines\/([^/]+)\/unisolate$/i,
    bucket: 'unisolate',
    budget: BUDGETS.entity,
    roles: ROLES.isolate,
    handle: (ctx) => createAction(ctx, 'Unisolate'),
  },
  {
    method: 'POST',
    pattern: /^\/machines\/([^/]+)\/runAntiVirusScan$/i,
    bucket: 'runAntiVirusScan',
    budget: BUDGETS.entity,
    roles: ROLES.scan,
    handle: (ctx) => createAction(ctx, 'RunAntiVirusScan'),
  },
  {
    method: 'GET',
    pattern: /^\/machineactions$/i,
    bucket: 'machineactions',
    budget: BUDGETS.entity,
    roles: ROLES.machineRead,
    handle(ctx) {
      return sendODataPage(ctx, ENTITY_SETS.machineActions, ctx.sim.actions.list(), 'MachineActions');
    },
  },
  {
    method: 'GET',
    pattern: /^\/machineactions\/([^/]+)$/i,
    bucket: 'machineaction-by-id',
    budget: BUDGETS.entity,
    roles: ROLES.machineRead,
    handle(ctx) {
      const id = decodeURIComponent(ctx.params[1]!);
      const action = ctx.sim.actions.get(id);
      if (!action) throw new MdeHttpError(404, 'NotFound', `Machine action ${id} was not found`);
      sendBody(ctx, 200, {
        '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#MachineActions/$entity`,
        ...action,
      });
    },
  },
  {
    method: 'POST',
    pattern: /^\/machineactions\/([^/]+)\/cancel$/i,
    bucket: 'machineaction-cancel',
    budget: BUDGETS.entity,
    roles: ACTION_ROLES,
    async handle(ctx) {
      const body = await readJsonBody(ctx);
      const comment = requireString(body, 'Comment');
      try {
        const action = ctx.sim.actions.cancel(decodeURIComponent(ctx.params[1]!), requestor(ctx), comment);
        sendBody(ctx, 200, {
          '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#MachineActions/$entity`,
          ...action,
        });
      } catch (err) {
        if (err instanceof ActionRequestError) throw new MdeHttpError(err.status, err.code, err.message);
        throw err;
      }
    },
  },
];
