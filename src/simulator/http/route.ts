import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorState } from '../simulator-state.js';
import type { FaultRule } from './faults.js';
import type { RateBudget } from './rate-limiter.js';

/** Who called: the claims of a verified access token. */
export interface Caller {
  tenantId: string;
  appId: string;
  roles: readonly string[];
}

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  caller: Caller;
  /** Faults that shape this answer (nextLink, record and body faults). */
  faults: FaultRule[];
  sim: SimulatorState;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH';
  /** Matched against the path after `/api` or `/api/v1.0`, case-insensitively. */
  pattern: RegExp;
  /** The rate-limit bucket; routes of one documented API share it. */
  bucket: string;
  budget?: RateBudget;
  roles: readonly string[];
  handle(ctx: RouteContext): Promise<void> | void;
}

export function hasFault(ctx: RouteContext, kind: FaultRule['kind']): boolean {
  return ctx.faults.some((f) => f.kind === kind);
}
