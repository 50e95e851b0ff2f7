import { BUDGETS, ROLES } from '../http/endpoint-budgets.js';
import { sendODataPage } from '../http/odata-page.js';
import { MdeHttpError } from '../http/respond.js';
import type { Route, RouteContext } from '../http/route.js';
import { sendBody } from '../http/send-body.js';
import { ENTITY_SETS } from '../odata/index.js';
import { datetimeBounds } from '../odata/last-seen-bounds.js';
import { currentEpoch, findMachine } from './lookups.js';

const ID = '([^/]+)';

function collection(ctx: RouteContext, context: string, value: unknown[]) {
  sendBody(ctx, 200, { '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#${context}`, value });
}

/** docs/mde-api.md#machines: the machine entity set and its per-device drill-downs. */
export const machineRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/machines$/i,
    bucket: 'machines',
    budget: BUDGETS.entity,
    roles: ROLES.machineRead,
    handle(ctx) {
      const now = ctx.sim.clock.now();
      // docs/mde-api.md#errors: no recent machines at all answers 404, not an empty list.
      if (ctx.sim.tenant.machineCount(now) === 0) {
        throw new MdeHttpError(404, 'ResourceNotFound', 'No machines found');
      }
      const filter = ctx.url.searchParams.get('$filter');
      const seen = filter ? datetimeBounds(filter, 'lastSeen') : undefined;
      return sendODataPage(
        ctx,
        ENTITY_SETS.machines,
        (seen ? ctx.sim.tenant.machinesLastSeenIn(now, seen) : ctx.sim.tenant.machines(now)) as Iterable<
          Record<string, unknown>
        >,
        'Machines',
        undefined,
        (skip) => ctx.sim.tenant.machines(now, skip) as Iterable<Record<string, unknown>>,
      );
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/machines/${ID}$`, 'i'),
    bucket: 'machine-by-id',
    budget: BUDGETS.entity,
    roles: ROLES.machineRead,
    handle(ctx) {
      const { machine } = findMachine(ctx, ctx.params[1]!);
      sendBody(ctx, 200, {
        '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#Machines/$entity`,
        ...machine,
      });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/machines/${ID}/logonusers$`, 'i'),
    bucket: 'machine-logonusers',
    budget: BUDGETS.entity,
    roles: ROLES.userRead,
    handle(ctx) {
      const { index } = findMachine(ctx, ctx.params[1]!);
      collection(ctx, 'Users', ctx.sim.tenant.logonUsers(index, ctx.sim.clock.now()));
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/machines/${ID}/alerts$`, 'i'),
    bucket: 'machine-alerts',
    budget: BUDGETS.entity,
    roles: ROLES.alertRead,
    handle(ctx) {
      const { machine } = findMachine(ctx, ctx.params[1]!);
      const value = [];
      for (const a of ctx.sim.tenant.alerts(ctx.sim.clock.now())) {
        if (a.machineId === machine.id) value.push({ ...a, evidence: [] });
      }
      collection(ctx, 'Alerts', value);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/machines/${ID}/vulnerabilities$`, 'i'),
    bucket: 'machine-vulnerabilities',
    budget: BUDGETS.machineVulnerabilities,
    roles: ROLES.vulnerabilityRead,
    handle(ctx) {
      const { index } = findMachine(ctx, ctx.params[1]!);
      const epoch = currentEpoch(ctx);
      const catalog = new Map(ctx.sim.tenant.cves(epoch).map((c) => [c.id, c]));
      const seen = new Set<string>();
      const value = [];
      for (const row of ctx.sim.tenant.vulnerabilityRows(index, epoch)) {
        if (!row.cveId || seen.has(row.cveId)) continue;
        seen.add(row.cveId);
        const cve = catalog.get(row.cveId);
        if (cve) value.push(cve);
      }
      collection(ctx, 'Vulnerabilities', value);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/machines/${ID}/software$`, 'i'),
    bucket: 'machine-software',
    budget: BUDGETS.entity,
    roles: ROLES.softwareRead,
    handle(ctx) {
      const { index } = findMachine(ctx, ctx.params[1]!);
      const epoch = currentEpoch(ctx);
      const catalog = new Map(ctx.sim.tenant.software(epoch).map((s) => [s.id, s]));
      const value = [];
      const seen = new Set<string>();
      for (const row of ctx.sim.tenant.inventoryRows(index, epoch)) {
        const id = `${row.softwareVendor}-_-${row.softwareName}`;
        const sw = catalog.get(id);
        if (sw && !seen.has(id)) {
          seen.add(id);
          value.push(sw);
        }
      }
      collection(ctx, 'Software', value);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/machines/${ID}/recommendations$`, 'i'),
    bucket: 'machine-recommendations',
    budget: BUDGETS.entity,
    roles: ROLES.recommendationRead,
    handle(ctx) {
      const { index } = findMachine(ctx, ctx.params[1]!);
      const epoch = currentEpoch(ctx);
      const refs = new Set(
        ctx.sim.tenant.vulnerabilityRows(index, epoch).map((r) => r.recommendationReference),
      );
      const value = ctx.sim.tenant.recommendations(epoch).filter((r) => refs.has(r.id));
      collection(ctx, 'Recommendations', value);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/machines/${ID}/getmissingkbs$`, 'i'),
    bucket: 'machine-missingkbs',
    budget: BUDGETS.entity,
    roles: ROLES.softwareRead,
    handle(ctx) {
      const { index } = findMachine(ctx, ctx.params[1]!);
      collection(ctx, 'MissingKbs', ctx.sim.tenant.missingKbs(index, currentEpoch(ctx)));
    },
  },
];
