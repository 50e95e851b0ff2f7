import { MdeHttpError } from '../http/respond.js';
import type { RouteContext } from '../http/route.js';
import type { MachineRecord } from '../tenant/types.js';

/**
 * The snapshot the TVM endpoints read: the latest one generated (docs/mde-api.md#export-files, every six
 * hours).
 */
export function currentEpoch(ctx: RouteContext): number {
  return ctx.sim.tenant.snapshotEpoch(ctx.sim.clock.now());
}

/** `GET /api/machines/{id}` accepts the device id or its computer name (docs/mde-api.md#machines). */
export function findMachine(ctx: RouteContext, idOrName: string): { index: number; machine: MachineRecord } {
  const { tenant, clock } = ctx.sim;
  const now = clock.now();
  const key = decodeURIComponent(idOrName);
  const byId = tenant.machineIndexById(key.toLowerCase());
  if (byId !== undefined) {
    const machine = tenant.machine(byId, now);
    if (machine) return { index: byId, machine };
  }
  const lower = key.toLowerCase();
  const count = tenant.machineCount(now);
  for (let i = 0; i < count; i++) {
    const m = tenant.machine(i, now);
    if (m?.computerDnsName && m.computerDnsName.toLowerCase() === lower) return { index: i, machine: m };
  }
  throw new MdeHttpError(404, 'ResourceNotFound', `Machine ${key} was not found`);
}

/** Iterates machine indices with the machine record, for the reference endpoints. */
export function* eachMachine(ctx: RouteContext): Generator<{ index: number; machine: MachineRecord }> {
  const { tenant, clock } = ctx.sim;
  const now = clock.now();
  const count = tenant.machineCount(now);
  for (let i = 0; i < count; i++) {
    const machine = tenant.machine(i, now);
    if (machine) yield { index: i, machine };
  }
}

export function machineRef(m: MachineRecord) {
  return {
    id: m.id,
    computerDnsName: m.computerDnsName,
    osPlatform: m.osPlatform,
    rbacGroupName: m.rbacGroupName,
  };
}

/** Reads a JSON request body (limit 64 KB); MDE answers InvalidRequestBody when it is not JSON. */
export async function readJsonBody(ctx: RouteContext): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > 65_536) throw new MdeHttpError(400, 'InvalidRequestBody', 'Request body is too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const value = JSON.parse(text || '{}') as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new MdeHttpError(400, 'InvalidRequestBody', 'Request body is not a valid JSON object');
  }
}
