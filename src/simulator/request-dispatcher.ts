import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleEntraRequest } from './entra/entra-handler.js';
import { ADMIN_PREFIX, handleAdminRequest } from './http/admin-handler.js';
import { handleBlobRequest } from './http/blob-handler.js';
import { BLOB_ONLY_FAULTS, type FaultKind, type FaultRule, IMMEDIATE_FAULTS } from './http/faults.js';
import { MdeHttpError, sendJson, sendMdeError } from './http/respond.js';
import type { Route, RouteContext } from './http/route.js';
import { ODataError, oDataErrorBody } from './odata/index.js';
import { actionRoutes } from './routes/action-routes.js';
import { alertRoutes } from './routes/alert-routes.js';
import { assessmentRoutes } from './routes/assessment-routes.js';
import { catalogRoutes } from './routes/catalog-routes.js';
import { machineRoutes } from './routes/machine-routes.js';
import type { SimulatorState } from './simulator-state.js';

/** Order matters: the fixed assessment paths must win over `/machines/{id}`. */
const ROUTES: Route[] = [
  ...assessmentRoutes,
  ...actionRoutes,
  ...machineRoutes,
  ...alertRoutes,
  ...catalogRoutes,
];

/** `/api/...` and the versioned `/api/v1.0/...` are the same API (docs/mde-api.md#clouds-and-hosts). */
const API_PREFIX = /^\/api(?:\/v1\.0)?(?=\/)/i;

const BLOB_FAULTS: ReadonlySet<FaultKind> = new Set([
  '429',
  '5xx',
  'reset',
  'slow',
  'cut-body',
  'expired-link',
  'truncated-gzip',
  'empty-file',
  'malformed-records',
]);

/** One entry point for every request: admin, Entra sign-in, export blobs and the MDE API. */
export function createRequestDispatcher(sim: SimulatorState) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', sim.baseUrl);
    try {
      if (url.pathname.startsWith(ADMIN_PREFIX)) return await handleAdminRequest(sim, req, res, url);
      sim.stats.total++;
      if (url.pathname.startsWith('/blob/')) {
        if (answerImmediateFault(sim, res, drawImmediate(sim, url.pathname))) return;
        const faults = sim.faults.draw(url.pathname, (k) => BLOB_FAULTS.has(k) && !IMMEDIATE_FAULTS.has(k));
        return await handleBlobRequest(sim, req, res, url, faults);
      }
      const apiMatch = API_PREFIX.exec(url.pathname);
      if (!apiMatch) {
        if (answerImmediateFault(sim, res, drawImmediate(sim, url.pathname))) return;
        if (await handleEntraRequest(sim.tokens, req, res, url)) return;
        return sendMdeError(res, 404, 'ResourceNotFound', `No resource at ${url.pathname}`);
      }
      await handleApiRequest(sim, req, res, url, url.pathname.slice(apiMatch[0].length));
    } catch (err) {
      answerError(res, err);
    }
  };
}

async function handleApiRequest(
  sim: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
): Promise<void> {
  // Network-level faults strike before anything else; faults that shape an answer only strike
  // requests that get one, so a refused request does not use them up.
  if (
    answerImmediateFault(
      sim,
      res,
      sim.faults.draw(url.pathname, (k) => IMMEDIATE_FAULTS.has(k)),
    )
  )
    return;
  const verdict = sim.tokens.verifyAccessToken(req.headers.authorization);
  if (!verdict.ok) return sendMdeError(res, 401, 'Unauthorized', verdict.message);
  const found = matchRoute(req.method ?? 'GET', path);
  if (found === 'method')
    return sendMdeError(res, 405, 'MethodNotAllowed', `${req.method} is not allowed here`);
  if (!found) return sendMdeError(res, 404, 'ResourceNotFound', `Resource ${path} was not found`);
  const { route, params } = found;
  const roles = verdict.claims.roles;
  if (!route.roles.some((r) => roles.includes(r))) {
    // docs/mde-api.md#errors: a valid token without the permission is 403 Forbidden.
    return sendMdeError(
      res,
      403,
      'Forbidden',
      `The application does not have any of the required application permissions (${route.roles.join(', ')}) to access the resource.`,
    );
  }
  if (route.budget) {
    const key = `${verdict.claims.tid}|${verdict.claims.appid}|${route.bucket}`;
    const decision = sim.limiter.take(key, route.budget);
    if (!decision.allowed) {
      sim.stats.throttled++;
      return sendMdeError(
        res,
        429,
        'TooManyRequests',
        `Rate limit of the ${decision.window} reached for this API. Retry in ${decision.retryAfterSeconds} seconds.`,
        { 'retry-after': String(decision.retryAfterSeconds) },
      );
    }
  }
  sim.stats.byBucket[route.bucket] = (sim.stats.byBucket[route.bucket] ?? 0) + 1;
  const host = req.headers.host ?? '';
  sim.stats.byApiHost[host] = (sim.stats.byApiHost[host] ?? 0) + 1;
  const faults = sim.faults.draw(url.pathname, (k) => !IMMEDIATE_FAULTS.has(k) && !BLOB_ONLY_FAULTS.has(k));
  const ctx: RouteContext = {
    req,
    res,
    url,
    params,
    caller: { tenantId: verdict.claims.tid, appId: verdict.claims.appid, roles },
    faults,
    sim,
  };
  await route.handle(ctx);
}

function matchRoute(
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | 'method' | undefined {
  let pathMatched = false;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    m.forEach((v, i) => {
      if (i > 0 && v !== undefined) params[i] = v;
    });
    return { route, params };
  }
  return pathMatched ? 'method' : undefined;
}

/** At most one network-level fault per request, so two rules never spend themselves on one answer. */
function drawImmediate(sim: SimulatorState, path: string): FaultRule[] {
  return sim.faults.draw(path, (k) => IMMEDIATE_FAULTS.has(k), 1);
}

/** Answers 429, 5xx, reset and token revocation before any route runs; true when it answered. */
function answerImmediateFault(sim: SimulatorState, res: ServerResponse, faults: FaultRule[]): boolean {
  for (const fault of faults) {
    if (!IMMEDIATE_FAULTS.has(fault.kind)) continue;
    sim.stats.faults++;
    switch (fault.kind) {
      case 'revoke-tokens':
        sim.tokens.revokeAll();
        continue;
      case '429': {
        const seconds = String(fault.param ?? 1);
        sendMdeError(res, 429, 'TooManyRequests', 'Too many requests (injected fault).', {
          'retry-after': seconds,
        });
        return true;
      }
      case '5xx': {
        const status = fault.param && fault.param >= 500 && fault.param < 600 ? fault.param : 500;
        sendMdeError(res, status, 'InternalServerError', '');
        return true;
      }
      case 'reset':
        res.socket?.destroy();
        return true;
    }
  }
  return false;
}

function answerError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof MdeHttpError) {
    sendMdeError(res, err.status, err.code, err.message);
    return;
  }
  if (err instanceof ODataError) {
    sendJson(res, 400, oDataErrorBody(err, randomUUID()));
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`simulator: internal error: ${message}\n`);
  sendMdeError(res, 500, 'InternalServerError', '');
}
