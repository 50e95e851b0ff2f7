/**
 * Machine actions (docs/mde-api.md#machine-actions): isolate, release, antivirus scan, and polling until the
 * action is final. MDE matches request body names case-sensitively (docs/mde-api.md#errors) and answers a
 * second request for a device with a pending action by 400 ActiveRequestAlreadyExists
 * (docs/mde-api.md#machine-actions), which is the same request already in flight, not a failure.
 */
import { realTime } from '../http/client-rate-limiter.js';
import type { MdeClient, RequestOptions } from '../mde-client.js';
import { ActionTimeoutError, ApiError, ConfigError } from '../mde-errors.js';
import { odataPages } from '../paging/odata-pages.js';
import { parseRecord } from '../parse/parse-record.js';
import {
  MACHINE_ACTION_FINAL_STATUSES,
  type MachineAction,
  MachineActionSchema,
} from '../schemas/machine-action.js';
import {
  CommentRequestSchema,
  type ISOLATION_TYPES,
  IsolateRequestSchema,
  RunAntiVirusScanRequestSchema,
  type SCAN_TYPES,
} from '../schemas/machine-action-request.js';

/** The actions the connector triggers (docs/operations.md: `mdec action scan|isolate|unisolate`). */
export const ACTION_KINDS = ['isolate', 'unisolate', 'scan'] as const;

/** One of {@link ACTION_KINDS}. */
export type ActionKind = (typeof ACTION_KINDS)[number];

/** What to do to one device. */
export interface ActionRequest {
  type: ActionKind;
  /** Required by MDE; shown in the portal's action center. */
  comment: string;
  /** For `isolate`; default `Full`. */
  isolationType?: (typeof ISOLATION_TYPES)[number];
  /** For `scan`; default `Quick`. */
  scanType?: (typeof SCAN_TYPES)[number];
}

/** The action MDE holds for the request. */
export interface ActionOutcome {
  action: MachineAction;
  /** False when MDE said an identical action was already pending and that one is returned. */
  created: boolean;
}

/** MDE's action path segment and `type` value per kind (docs/mde-api.md#machine-actions). */
const ACTIONS = {
  isolate: { segment: 'isolate', type: 'Isolate' },
  unisolate: { segment: 'unisolate', type: 'Unisolate' },
  scan: { segment: 'runAntiVirusScan', type: 'RunAntiVirusScan' },
} as const satisfies Record<ActionKind, { segment: string; type: string }>;

const FINAL: ReadonlySet<string> = new Set(MACHINE_ACTION_FINAL_STATUSES);

/** True when the action will not change any more (docs/mde-api.md#machine-actions). */
export function isFinalStatus(status: string | null | undefined): boolean {
  return status != null && FINAL.has(status);
}

/**
 * Triggers an action on a device. A 400 ActiveRequestAlreadyExists is resolved by finding the pending
 * action of the same type; if the pending one is of another type (e.g. an isolate while a release is
 * pending), that is a real conflict and the ApiError is thrown.
 *
 * @throws ConfigError for an empty comment or a bad option; ApiError for MDE's refusals
 *   (OsPlatformNotSupported, ClientVersionNotSupported, ResourceNotFound, Forbidden, ...).
 */
export async function runAction(
  client: MdeClient,
  machineId: string,
  request: ActionRequest,
  options?: RequestOptions,
): Promise<ActionOutcome> {
  const spec = ACTIONS[request.type];
  if (!spec) throw new ConfigError('type', `action type must be one of ${Object.keys(ACTIONS).join(', ')}`);
  if (!machineId.trim()) throw new ConfigError('machineId', 'machineId must not be empty');
  const body = requestBody(request);
  const path = `/api/machines/${encodeURIComponent(machineId)}/${spec.segment}`;
  try {
    const answer = await client.postJson('entity', path, body, options);
    return { action: parseAction(answer, path), created: true };
  } catch (error) {
    if (
      !(error instanceof ApiError) ||
      error.status !== 400 ||
      error.mdeCode !== 'ActiveRequestAlreadyExists'
    ) {
      throw error;
    }
    const pending = await findPendingAction(client, machineId, spec.type, options);
    if (!pending) throw error;
    client.logSink('info', 'action-already-pending', `${spec.type} is already pending on the device`, {
      actionId: pending.id,
    });
    return { action: pending, created: false };
  }
}

/**
 * The newest non-final action of `type` on a device, from `GET /api/machineactions`
 * (docs/mde-api.md#machine-actions), or undefined when there is none.
 */
export async function findPendingAction(
  client: MdeClient,
  machineId: string,
  type: string,
  options?: RequestOptions,
): Promise<MachineAction | undefined> {
  // OData string literals escape a quote by doubling it.
  const filter = `machineId eq '${machineId.replace(/'/g, "''")}'`;
  let best: MachineAction | undefined;
  const pages = odataPages(client, 'entity', '/api/machineactions', {
    pageSize: 10_000,
    query: { $filter: filter },
    ...(options?.signal ? { signal: options.signal } : {}),
  });
  for await (const page of pages) {
    for (const raw of page) {
      const parsed = parseRecord(MachineActionSchema, raw);
      if (!parsed.ok) continue;
      const action = parsed.value;
      if (action.type !== type || isFinalStatus(action.status)) continue;
      if (action.machineId && action.machineId.toLowerCase() !== machineId.toLowerCase()) continue;
      if (!best || (action.creationDateTimeUtc ?? '') > (best.creationDateTimeUtc ?? '')) best = action;
    }
  }
  return best;
}

/** Options of {@link pollAction}. */
export interface PollActionOptions extends RequestOptions {
  /** Time between reads; default 15 s. */
  intervalMs?: number;
  /** Give up after this much waiting; default 10 minutes. */
  timeoutMs?: number;
  /** Injected so tests (and the simulator's clock) decide how time passes. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called with every status read, e.g. for a progress line. */
  onStatus?: (action: MachineAction) => void;
}

/**
 * Reads `GET /api/machineactions/{id}` until the status is final (Succeeded, Failed, TimeOut,
 * Cancelled) and returns that action. Time is counted in intervals slept, so an injected sleep
 * fully controls it.
 *
 * @throws ActionTimeoutError when `timeoutMs` of waiting passes first.
 */
export async function pollAction(
  client: MdeClient,
  id: string,
  options: PollActionOptions = {},
): Promise<MachineAction> {
  const intervalMs = options.intervalMs ?? 15_000;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const sleep = options.sleep ?? realTime.sleep;
  let waited = 0;
  for (;;) {
    const action = await readAction(client, id, options);
    options.onStatus?.(action);
    if (isFinalStatus(action.status)) return action;
    if (waited >= timeoutMs) {
      throw new ActionTimeoutError(
        id,
        action.status ?? undefined,
        `machine action ${id} is still ${action.status ?? 'unknown'} after ${Math.round(waited / 1000)} s`,
      );
    }
    const step = Math.min(intervalMs, Math.max(1, timeoutMs - waited));
    await sleep(step, options.signal);
    waited += step;
  }
}

/** One read of `GET /api/machineactions/{id}` (docs/mde-api.md#machine-actions). */
export async function readAction(
  client: MdeClient,
  id: string,
  options?: RequestOptions,
): Promise<MachineAction> {
  const path = `/api/machineactions/${encodeURIComponent(id)}`;
  return parseAction(await client.getJson('entity', path, undefined, options), path);
}

/** The body with MDE's exact, case-sensitive parameter names (docs/mde-api.md#errors, #machine-actions). */
function requestBody(request: ActionRequest): Record<string, string> {
  const comment = request.comment?.trim();
  if (!comment) throw new ConfigError('comment', 'comment is required for machine actions');
  const [body, schema] =
    request.type === 'isolate'
      ? [{ Comment: comment, IsolationType: request.isolationType ?? 'Full' }, IsolateRequestSchema]
      : request.type === 'scan'
        ? [{ Comment: comment, ScanType: request.scanType ?? 'Quick' }, RunAntiVirusScanRequestSchema]
        : [{ Comment: comment }, CommentRequestSchema];
  const checked = parseRecord(schema, body, { normalizeKeys: false });
  if (!checked.ok)
    throw new ConfigError(request.type === 'scan' ? 'scanType' : 'isolationType', checked.reason);
  return body;
}

function parseAction(raw: unknown, path: string): MachineAction {
  const parsed = parseRecord(MachineActionSchema, raw);
  if (!parsed.ok) {
    throw new ApiError(`${path} answered an unusable machine action: ${parsed.reason}`, {
      status: 200,
      url: path,
    });
  }
  return parsed.value;
}
