import type { IncomingMessage, ServerResponse } from 'node:http';
import { EXPORT_KINDS, type ExportKind } from '../export-store.js';
import type { SimulatorState } from '../simulator-state.js';
import { FaultSpecError, validateFaultRule } from './faults.js';
import { sendJson } from './respond.js';

/** The admin API lives under `/_sim/`, apart from the MDE paths, so no MDE client can hit it by mistake. */
export const ADMIN_PREFIX = '/_sim/';

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text ? JSON.parse(text) : {};
}

function adminError(res: ServerResponse, status: number, message: string) {
  sendJson(res, status, { error: { code: 'BadRequest', message } });
}

/** Streams one JSON object per line, so ground truth of a large tenant never sits in memory. */
async function sendNdjson(res: ServerResponse, rows: Iterable<unknown>) {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  let buffer = '';
  for (const row of rows) {
    buffer += `${JSON.stringify(row)}\n`;
    if (buffer.length > 1 << 16) {
      if (!res.write(buffer)) await new Promise((r) => res.once('drain', r));
      buffer = '';
    }
  }
  res.end(buffer);
}

function* vulnerabilityTruth(sim: SimulatorState, epoch: number) {
  const count = sim.tenant.machineCount(sim.tenant.snapshotTime(epoch).getTime());
  for (let i = 0; i < count; i++) yield* sim.tenant.vulnerabilityRows(i, epoch);
}

/**
 * Test and benchmark controls: the clock, faults, token revocation, request
 * counts and the ground truth of what the tenant holds.
 */
export async function handleAdminRequest(
  sim: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const route = `${req.method} ${url.pathname.slice(ADMIN_PREFIX.length - 1)}`;
  const now = sim.clock.now();
  const epoch = sim.tenant.snapshotEpoch(now);
  try {
    switch (route) {
      case 'GET /health':
        return sendJson(res, 200, { ok: true });
      case 'GET /clock':
        return sendJson(res, 200, clockView(sim));
      case 'POST /clock/advance': {
        const body = (await readJson(req)) as Record<string, unknown>;
        const ms =
          Number(body.ms ?? 0) + Number(body.minutes ?? 0) * 60_000 + Number(body.hours ?? 0) * 3600_000;
        if (!Number.isFinite(ms) || ms <= 0)
          return adminError(res, 400, 'give a positive "hours", "minutes" or "ms"');
        sim.clock.advance(ms);
        return sendJson(res, 200, clockView(sim));
      }
      case 'GET /faults':
        return sendJson(res, 200, { rules: sim.faults.list() });
      case 'POST /faults': {
        const body = (await readJson(req)) as Record<string, unknown>;
        const rules = Array.isArray(body.rules) ? body.rules : [body];
        const valid = rules.map(validateFaultRule);
        for (const rule of valid) sim.faults.add(rule);
        return sendJson(res, 200, { rules: sim.faults.list() });
      }
      case 'DELETE /faults':
        sim.faults.clear();
        return sendJson(res, 200, { rules: [] });
      case 'POST /tokens/revoke':
        sim.tokens.revokeAll();
        return sendJson(res, 200, { revoked: true });
      case 'GET /stats':
        return sendJson(res, 200, {
          ...sim.stats,
          // The simulator's own memory, for the benchmark's "flat at any tenant size" check.
          memory: {
            rssMb: Math.round(process.memoryUsage().rss / 1048576),
            peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
          },
        });
      case 'POST /stats/reset':
        sim.stats.total = 0;
        sim.stats.throttled = 0;
        sim.stats.faults = 0;
        sim.stats.byBucket = {};
        sim.stats.byApiHost = {};
        sim.limiter.reset();
        return sendJson(res, 200, sim.stats);
      case 'GET /truth':
        return sendJson(res, 200, sim.tenant.groundTruth(epochParam(url, epoch), now));
      case 'GET /truth/machines':
        return sendNdjson(res, sim.tenant.machines(now));
      case 'GET /truth/vulnerabilities':
        return sendNdjson(res, vulnerabilityTruth(sim, epochParam(url, epoch)));
      case 'GET /truth/alerts':
        return sendNdjson(res, sim.tenant.alerts(now));
      case 'POST /exports/prepare': {
        // Builds export files ahead of time, so a benchmark times the connector, not the generator.
        const kind = (url.searchParams.get('kind') ?? 'vulnerabilities') as ExportKind;
        if (!EXPORT_KINDS.includes(kind))
          return adminError(res, 400, `kind must be one of ${EXPORT_KINDS.join(', ')}`);
        const g = sim.exports.ensure(kind, epoch);
        await g.finished;
        return sendJson(res, 200, { kind, epoch, files: g.fileCount });
      }
      case 'POST /changes/prepare': {
        // The change feed of the last `epochs` snapshots worked out ahead, like export files above.
        const raw = url.searchParams.get('epochs') ?? '4';
        if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 128)
          return adminError(res, 400, 'epochs must be a whole number from 1 to 128');
        const from = epoch - Number(raw) + 1;
        sim.tenant.prepareChanges(from, epoch);
        return sendJson(res, 200, { fromEpoch: Math.max(1, from), toEpoch: epoch });
      }
      default:
        return sendJson(res, 404, { error: { code: 'NotFound', message: `no admin route ${route}` } });
    }
  } catch (err) {
    if (err instanceof FaultSpecError || err instanceof SyntaxError) return adminError(res, 400, err.message);
    throw err;
  }
}

function epochParam(url: URL, fallback: number): number {
  const raw = url.searchParams.get('epoch');
  return raw !== null && /^\d+$/.test(raw) ? Math.min(Number(raw), fallback) : fallback;
}

function clockView(sim: SimulatorState) {
  const now = sim.clock.now();
  const epoch = sim.tenant.snapshotEpoch(now);
  return {
    now: new Date(now).toISOString(),
    epoch,
    generatedTime: sim.tenant.snapshotTime(epoch).toISOString(),
  };
}
