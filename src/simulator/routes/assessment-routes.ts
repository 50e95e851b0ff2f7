import { signedBlobUrl } from '../http/blob-signature.js';
import { corruptRecord } from '../http/corrupt-record.js';
import { BUDGETS, ROLES } from '../http/endpoint-budgets.js';
import { streamPage } from '../http/odata-page.js';
import { withQuery } from '../http/odata-url.js';
import { MdeHttpError } from '../http/respond.js';
import { hasFault, type Route, type RouteContext } from '../http/route.js';
import { sendBody } from '../http/send-body.js';
import { decodeSkipToken, encodeSkipToken } from '../http/skip-token.js';
import type { SimulatedTenant } from '../tenant/simulated-tenant.js';
import { currentEpoch } from './lookups.js';

/** docs/mde-api.md#rate-limits: assessment JSON pages default to 50,000 rows and allow at most 200,000. */
const DEFAULT_PAGE_SIZE = 50_000;
const MAX_PAGE_SIZE = 200_000;
/** docs/mde-api.md#delta-feed: the change feed reaches back at most 14 days. */
const MAX_SINCE_MS = 14 * 24 * 3600_000;

type RowsOf = (tenant: SimulatedTenant, machineIndex: number, epoch: number) => object[];

interface PageLimits {
  size: number;
  /** `$top` truncates: the answer then has no nextLink (docs/mde-api.md#paging). */
  truncated: boolean;
}

function pageLimits(ctx: RouteContext): PageLimits {
  const top = ctx.url.searchParams.get('$top');
  const pageSize = ctx.url.searchParams.get('pageSize');
  if (top !== null) return { size: positiveInt(top, '$top', MAX_PAGE_SIZE), truncated: true };
  if (pageSize !== null) return { size: positiveInt(pageSize, 'pageSize', MAX_PAGE_SIZE), truncated: false };
  return { size: DEFAULT_PAGE_SIZE, truncated: false };
}

function positiveInt(text: string, name: string, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) {
    throw new MdeHttpError(400, 'InvalidInput', `${name} must be an integer between 1 and ${max}`);
  }
  return n;
}

function skipTokenOf(ctx: RouteContext): Record<string, number> | undefined {
  const raw = ctx.url.searchParams.get('$skiptoken');
  if (raw === null) return undefined;
  const token = decodeSkipToken(raw);
  if (!token) throw new MdeHttpError(400, 'InvalidInput', 'The $skiptoken is not valid');
  return token;
}

function nextLink(ctx: RouteContext, position: Record<string, number>): string | undefined {
  if (hasFault(ctx, 'missing-nextlink')) return undefined;
  if (hasFault(ctx, 'loop-nextlink')) return ctx.url.toString();
  if (hasFault(ctx, 'malformed-nextlink')) return 'not a link';
  return withQuery(ctx.url, { $skiptoken: encodeSkipToken(position) }, ['$top']);
}

/**
 * Sends rows produced lazily; `position` is read after the last row, since it says where the rows
 * stopped. Streams unless a body fault needs the whole body (only small test pages).
 */
async function sendRows(
  ctx: RouteContext,
  contextName: string,
  rows: Iterable<object>,
  position: () => Record<string, number> | undefined,
): Promise<void> {
  const corrupt = hasFault(ctx, 'malformed-records');
  const shaped = (function* () {
    let first = true;
    for (const row of rows) {
      yield corrupt && first
        ? corruptRecord(row as Record<string, unknown>)
        : (row as Record<string, unknown>);
      first = false;
    }
  })();
  const context = `${ctx.sim.baseUrl}/api/$metadata#Collection(microsoft.windowsDefenderATP.api.${contextName})`;
  if (ctx.faults.some((f) => f.kind === 'slow' || f.kind === 'cut-body')) {
    const body: Record<string, unknown> = { '@odata.context': context, value: [...shaped] };
    const at = position();
    const link = at && nextLink(ctx, at);
    if (link) body['@odata.nextLink'] = link;
    sendBody(ctx, 200, body);
    return;
  }
  await streamPage(ctx, context, shaped, () => {
    const at = position();
    return at && nextLink(ctx, at);
  });
}

/**
 * One page of a per-device snapshot feed, walking devices in index order (docs/mde-api.md#vulnerability-rows,
 * #software).
 */
function sendSnapshotPage(ctx: RouteContext, rowsOf: RowsOf, contextName: string): Promise<void> {
  const limits = pageLimits(ctx);
  const token = skipTokenOf(ctx);
  const { tenant } = ctx.sim;
  const epoch = token?.e ?? currentEpoch(ctx);
  const machines = tenant.machineCount(tenant.snapshotTime(epoch).getTime());
  let device = token?.d ?? 0;
  let offset = token?.r ?? 0;
  // Rows are made device by device as the page is written: a 50,000-row page never sits in memory.
  const rows = (function* () {
    let sent = 0;
    while (device < machines && sent < limits.size) {
      const deviceRows = rowsOf(tenant, device, epoch);
      while (offset < deviceRows.length && sent < limits.size) {
        yield deviceRows[offset++]!;
        sent++;
      }
      if (offset >= deviceRows.length) {
        device++;
        offset = 0;
      }
    }
  })();
  return sendRows(ctx, contextName, rows, () =>
    device < machines && !limits.truncated ? { e: epoch, d: device, r: offset } : undefined,
  );
}

function parseSinceTime(ctx: RouteContext): number {
  const raw = ctx.url.searchParams.get('sinceTime');
  if (raw === null) throw new MdeHttpError(400, 'MissingRequiredParameter', 'sinceTime is required');
  const t = Date.parse(raw);
  if (Number.isNaN(t))
    throw new MdeHttpError(400, 'InvalidInput', `sinceTime '${raw}' is not a valid date time`);
  if (ctx.sim.clock.now() - t > MAX_SINCE_MS) {
    throw new MdeHttpError(400, 'InvalidInput', 'sinceTime must be within the last 14 days');
  }
  return t;
}

/**
 * docs/mde-api.md#delta-feed: the changes of every generation window from the one that holds `sinceTime` to
 * the latest snapshot. Transition e (snapshot e-1 → e) is published once snapshot e exists.
 */
function sendChangesPage(ctx: RouteContext): Promise<void> {
  const limits = pageLimits(ctx);
  const token = skipTokenOf(ctx);
  const { tenant } = ctx.sim;
  let first: number;
  let last: number;
  if (token) {
    first = token.s!;
    last = token.l!;
  } else {
    const since = parseSinceTime(ctx);
    first = tenant.snapshotEpoch(Math.max(since, tenant.options.originMs)) + 1;
    last = currentEpoch(ctx);
  }
  let epoch = token?.e ?? first;
  let offset = token?.o ?? 0;
  const rows: object[] = [];
  while (epoch <= last && rows.length < limits.size) {
    let index = 0;
    let exhausted = true;
    for (const row of tenant.changeRows(epoch)) {
      if (index++ < offset) continue;
      if (rows.length === limits.size) {
        exhausted = false;
        break;
      }
      rows.push(row);
    }
    if (exhausted) {
      epoch++;
      offset = 0;
    } else {
      offset = index - 1;
    }
  }
  const more = epoch <= last;
  // Change pages are small (about 1% of the estate per window), so they are built whole.
  return sendRows(ctx, 'DeltaAssetVulnerability', rows, () =>
    more && !limits.truncated ? { s: first, l: last, e: epoch, o: offset } : undefined,
  );
}

const vulnRows: RowsOf = (t, i, e) => t.vulnerabilityRows(i, e);
const inventoryRows: RowsOf = (t, i, e) => t.inventoryRows(i, e);
const nonCpeRows: RowsOf = (t, i, e) => t.nonCpeInventoryRows(i, e);

/** docs/mde-api.md#export-files: `sasValidHours` at most 6; links are valid 1 hour by default. */
function sendExportFiles(ctx: RouteContext, kind: 'vulnerabilities' | 'inventory' | 'noncpe') {
  const raw = ctx.url.searchParams.get('sasValidHours');
  const hours = raw === null ? 1 : positiveInt(raw, 'sasValidHours', 6);
  const { tenant, exports } = ctx.sim;
  const epoch = currentEpoch(ctx);
  const generation = exports.ensure(kind, epoch);
  const generated = tenant.snapshotTime(epoch);
  const expiry = new Date(ctx.sim.clock.now() + hours * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const files: string[] = [];
  for (let i = 0; i < generation.fileCount; i++) {
    files.push(signedBlobUrl(ctx.sim, `/blob/tvm-export/${kind}/${epoch}/${exports.fileName(i)}`, expiry));
  }
  sendBody(ctx, 200, {
    '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#microsoft.windowsDefenderATP.api.ExportFilesResponse`,
    exportFiles: files,
    // A malformed answer lacks the snapshot's version key.
    ...(hasFault(ctx, 'malformed-records')
      ? {}
      : { generatedTime: generated.toISOString().replace(/\.\d{3}Z$/, 'Z') }),
  });
}

export const assessmentRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/machines\/SoftwareVulnerabilitiesByMachine$/i,
    bucket: 'SoftwareVulnerabilitiesByMachine',
    budget: BUDGETS.assessmentJson,
    roles: ROLES.vulnerabilityRead,
    handle: (ctx) => sendSnapshotPage(ctx, vulnRows, 'AssetVulnerability'),
  },
  {
    method: 'GET',
    pattern: /^\/machines\/SoftwareVulnerabilityChangesByMachine$/i,
    bucket: 'SoftwareVulnerabilityChangesByMachine',
    budget: BUDGETS.assessmentJson,
    roles: ROLES.vulnerabilityRead,
    handle: sendChangesPage,
  },
  {
    method: 'GET',
    pattern: /^\/machines\/SoftwareInventoryByMachine$/i,
    bucket: 'SoftwareInventoryByMachine',
    budget: BUDGETS.assessmentJson,
    roles: ROLES.softwareRead,
    handle: (ctx) => sendSnapshotPage(ctx, inventoryRows, 'AssetSoftware'),
  },
  {
    method: 'GET',
    pattern: /^\/machines\/SoftwareInventoryNoProductCodeByMachine$/i,
    bucket: 'SoftwareInventoryNoProductCodeByMachine',
    budget: BUDGETS.assessmentJson,
    roles: ROLES.softwareRead,
    handle: (ctx) => sendSnapshotPage(ctx, nonCpeRows, 'AssetNonCpeSoftware'),
  },
  {
    method: 'GET',
    pattern: /^\/machines\/SoftwareVulnerabilitiesExport$/i,
    bucket: 'SoftwareVulnerabilitiesExport',
    budget: BUDGETS.assessmentExport,
    roles: ROLES.vulnerabilityRead,
    handle: (ctx) => sendExportFiles(ctx, 'vulnerabilities'),
  },
  {
    method: 'GET',
    pattern: /^\/machines\/SoftwareInventoryExport$/i,
    bucket: 'SoftwareInventoryExport',
    budget: BUDGETS.assessmentExport,
    roles: ROLES.softwareRead,
    handle: (ctx) => sendExportFiles(ctx, 'inventory'),
  },
  {
    method: 'GET',
    pattern: /^\/machines\/SoftwareInventoryNonCpeExport$/i,
    bucket: 'SoftwareInventoryNonCpeExport',
    budget: BUDGETS.assessmentExport,
    roles: ROLES.softwareRead,
    handle: (ctx) => sendExportFiles(ctx, 'noncpe'),
  },
];
