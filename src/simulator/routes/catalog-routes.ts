import { ROLES } from '../http/endpoint-budgets.js';
import { sendODataPage } from '../http/odata-page.js';
import { MdeHttpError } from '../http/respond.js';
import type { Route, RouteContext } from '../http/route.js';
import { sendBody } from '../http/send-body.js';
import { ENTITY_SETS } from '../odata/index.js';
import type { MachineVulnerabilityRecord, VulnerabilityRow } from '../tenant/types.js';
import { currentEpoch, eachMachine, machineRef } from './lookups.js';

const ID = '([^/]+)';

function collection(ctx: RouteContext, context: string, value: unknown[]) {
  sendBody(ctx, 200, { '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#${context}`, value });
}

function entity(ctx: RouteContext, context: string, value: object) {
  sendBody(ctx, 200, { '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#${context}/$entity`, ...value });
}

function param(ctx: RouteContext): string {
  return decodeURIComponent(ctx.params[1]!);
}

/** Machines that have at least one snapshot row matching `match` (the machineReferences endpoints). */
function referencingMachines(ctx: RouteContext, match: (row: VulnerabilityRow) => boolean) {
  const epoch = currentEpoch(ctx);
  const refs = [];
  for (const { index, machine } of eachMachine(ctx)) {
    if (ctx.sim.tenant.vulnerabilityRows(index, epoch).some(match)) refs.push(machineRef(machine));
  }
  return refs;
}

function cveOrThrow(ctx: RouteContext) {
  const id = param(ctx).toUpperCase();
  const cve = ctx.sim.tenant.cves(currentEpoch(ctx)).find((c) => c.id.toUpperCase() === id);
  if (!cve) throw new MdeHttpError(404, 'ResourceNotFound', `Vulnerability ${param(ctx)} was not found`);
  return cve;
}

function softwareOrThrow(ctx: RouteContext) {
  const id = param(ctx).toLowerCase();
  const sw = ctx.sim.tenant.software(currentEpoch(ctx)).find((s) => s.id.toLowerCase() === id);
  if (!sw) throw new MdeHttpError(404, 'ResourceNotFound', `Software ${param(ctx)} was not found`);
  return sw;
}

function recommendationOrThrow(ctx: RouteContext) {
  const id = param(ctx).toLowerCase();
  const rec = ctx.sim.tenant.recommendations(currentEpoch(ctx)).find((r) => r.id.toLowerCase() === id);
  if (!rec) throw new MdeHttpError(404, 'ResourceNotFound', `Recommendation ${param(ctx)} was not found`);
  return rec;
}

/** CVE DTOs for the CVEs that appear on rows matching `match`. */
function vulnerabilitiesOf(ctx: RouteContext, match: (row: VulnerabilityRow) => boolean) {
  const epoch = currentEpoch(ctx);
  const ids = new Set<string>();
  for (const { index } of eachMachine(ctx)) {
    for (const row of ctx.sim.tenant.vulnerabilityRows(index, epoch))
      if (row.cveId && match(row)) ids.add(row.cveId);
  }
  return ctx.sim.tenant.cves(epoch).filter((c) => ids.has(c.id));
}

/** docs/mde-api.md#cve-catalog: one record per machine × CVE × product, streamed from the snapshot. */
function* machineVulnerabilities(ctx: RouteContext): Generator<MachineVulnerabilityRecord> {
  const epoch = currentEpoch(ctx);
  for (const { index } of eachMachine(ctx)) {
    for (const row of ctx.sim.tenant.vulnerabilityRows(index, epoch)) {
      if (!row.cveId) continue;
      const kb = row.recommendedSecurityUpdateId;
      yield {
        id: `${row.deviceId}-_-${row.cveId}-_-${row.softwareVendor}-_-${row.softwareName}-_-${row.softwareVersion}-_-${kb ?? ''}`,
        cveId: row.cveId,
        machineId: row.deviceId,
        fixingKbId: kb,
        productName: row.softwareName,
        productVendor: row.softwareVendor,
        productVersion: row.softwareVersion,
        severity: row.vulnerabilitySeverityLevel ?? 'Low',
      };
    }
  }
}

const productOf = (id: string) => {
  const [vendor, name] = id.toLowerCase().split('-_-');
  return (row: VulnerabilityRow) => row.softwareVendor === vendor && row.softwareName === name;
};

/** docs/mde-api.md#cve-catalog, #software, #recommendations: the TVM catalogs and their references. */
export const catalogRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/vulnerabilities\/machinesVulnerabilities$/i,
    bucket: 'machinesVulnerabilities',
    roles: ROLES.vulnerabilityRead,
    handle(ctx) {
      return sendODataPage(
        ctx,
        ENTITY_SETS.machinesVulnerabilities,
        machineVulnerabilities(ctx) as Iterable<unknown> as Iterable<Record<string, unknown>>,
        'MachineVulnerabilities',
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/vulnerabilities$/i,
    bucket: 'vulnerabilities',
    roles: ROLES.vulnerabilityRead,
    handle(ctx) {
      const cves = ctx.sim.tenant.cves(currentEpoch(ctx)) as unknown as Record<string, unknown>[];
      return sendODataPage(ctx, ENTITY_SETS.vulnerabilities, cves, 'Vulnerabilities');
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/vulnerabilities/${ID}$`, 'i'),
    bucket: 'vulnerability-by-id',
    roles: ROLES.vulnerabilityRead,
    handle: (ctx) => entity(ctx, 'Vulnerabilities', cveOrThrow(ctx)),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/vulnerabilities/${ID}/machineReferences$`, 'i'),
    bucket: 'vulnerability-machines',
    roles: ROLES.vulnerabilityRead,
    handle(ctx) {
      const cve = cveOrThrow(ctx);
      collection(
        ctx,
        'MachineReferences',
        referencingMachines(ctx, (r) => r.cveId === cve.id),
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/software$/i,
    bucket: 'software',
    roles: ROLES.softwareRead,
    handle(ctx) {
      const list = ctx.sim.tenant.software(currentEpoch(ctx)) as unknown as Record<string, unknown>[];
      return sendODataPage(ctx, ENTITY_SETS.software, list, 'Software');
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/software/${ID}$`, 'i'),
    bucket: 'software-by-id',
    roles: ROLES.softwareRead,
    handle: (ctx) => entity(ctx, 'Software', softwareOrThrow(ctx)),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/software/${ID}/distributions$`, 'i'),
    bucket: 'software-distributions',
    roles: ROLES.softwareRead,
    handle(ctx) {
      const sw = softwareOrThrow(ctx);
      collection(ctx, 'Distributions', ctx.sim.tenant.softwareDistributions(sw.id, currentEpoch(ctx)) ?? []);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/software/${ID}/machineReferences$`, 'i'),
    bucket: 'software-machines',
    roles: ROLES.softwareRead,
    handle(ctx) {
      const sw = softwareOrThrow(ctx);
      collection(ctx, 'MachineReferences', referencingMachines(ctx, productOf(sw.id)));
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/software/${ID}/vulnerabilities$`, 'i'),
    bucket: 'software-vulnerabilities',
    roles: ROLES.vulnerabilityRead,
    handle(ctx) {
      const sw = softwareOrThrow(ctx);
      collection(ctx, 'Vulnerabilities', vulnerabilitiesOf(ctx, productOf(sw.id)));
    },
  },
  {
    method: 'GET',
    pattern: /^\/recommendations$/i,
    bucket: 'recommendations',
    roles: ROLES.recommendationRead,
    handle(ctx) {
      const list = ctx.sim.tenant.recommendations(currentEpoch(ctx)) as unknown as Record<string, unknown>[];
      return sendODataPage(ctx, ENTITY_SETS.recommendations, list, 'Recommendations');
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/recommendations/${ID}$`, 'i'),
    bucket: 'recommendation-by-id',
    roles: ROLES.recommendationRead,
    handle: (ctx) => entity(ctx, 'Recommendations', recommendationOrThrow(ctx)),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/recommendations/${ID}/machineReferences$`, 'i'),
    bucket: 'recommendation-machines',
    roles: ROLES.recommendationRead,
    handle(ctx) {
      const rec = recommendationOrThrow(ctx);
      collection(
        ctx,
        'MachineReferences',
        referencingMachines(ctx, (r) => r.recommendationReference === rec.id),
      );
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/recommendations/${ID}/vulnerabilities$`, 'i'),
    bucket: 'recommendation-vulnerabilities',
    roles: ROLES.vulnerabilityRead,
    handle(ctx) {
      const rec = recommendationOrThrow(ctx);
      collection(
        ctx,
        'Vulnerabilities',
        vulnerabilitiesOf(ctx, (r) => r.recommendationReference === rec.id),
      );
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/recommendations/${ID}/software$`, 'i'),
    bucket: 'recommendation-software',
    roles: ROLES.softwareRead,
    handle(ctx) {
      const rec = recommendationOrThrow(ctx);
      // A va- recommendation id is `va-_-vendor-_-product`; the software id is `vendor-_-product`.
      const swId = rec.id.replace(/^va-_-/, '');
      const sw = ctx.sim.tenant.software(currentEpoch(ctx)).find((s) => s.id === swId);
      if (!sw) throw new MdeHttpError(404, 'ResourceNotFound', `No software for recommendation ${rec.id}`);
      entity(ctx, 'Software', sw);
    },
  },
];
