import { BUDGETS, ROLES } from '../http/endpoint-budgets.js';
import { sendODataPage } from '../http/odata-page.js';
import { MdeHttpError } from '../http/respond.js';
import type { Route, RouteContext } from '../http/route.js';
import { sendBody } from '../http/send-body.js';
import { ENTITY_SETS } from '../odata/index.js';
import { findMachine } from './lookups.js';

function alertOrThrow(ctx: RouteContext) {
  const id = decodeURIComponent(ctx.params[1]!);
  const alert = ctx.sim.tenant.alertById(id, ctx.sim.clock.now());
  if (!alert) throw new MdeHttpError(404, 'ResourceNotFound', `Alert ${id} was not found`);
  return alert;
}

/** docs/mde-api.md#alerts: alerts, with evidence only under `$expand=evidence`. */
export const alertRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/alerts$/i,
    bucket: 'alerts',
    budget: BUDGETS.entity,
    roles: ROLES.alertRead,
    handle(ctx) {
      const alerts = ctx.sim.tenant.alerts(ctx.sim.clock.now()) as Iterable<unknown> as Iterable<
        Record<string, unknown>
      >;
      return sendODataPage(ctx, ENTITY_SETS.alerts, alerts, 'Alerts');
    },
  },
  {
    method: 'GET',
    pattern: /^\/alerts\/([^/]+)$/i,
    bucket: 'alert-by-id',
    budget: BUDGETS.entity,
    roles: ROLES.alertRead,
    handle(ctx) {
      const alert = alertOrThrow(ctx);
      sendBody(ctx, 200, { '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#Alerts/$entity`, ...alert });
    },
  },
  {
    method: 'GET',
    pattern: /^\/alerts\/([^/]+)\/machine$/i,
    bucket: 'alert-machine',
    budget: BUDGETS.entity,
    roles: ROLES.machineRead,
    handle(ctx) {
      const alert = alertOrThrow(ctx);
      const { machine } = findMachine(ctx, alert.machineId);
      sendBody(ctx, 200, {
        '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#Machines/$entity`,
        ...machine,
      });
    },
  },
];
