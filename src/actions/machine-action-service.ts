import type { AuditActor } from '../audit/audit-actor.js';
import { recordAudit } from '../audit/audit-log.js';
import {
  type ActionKind,
  isFinalStatus,
  type PollActionOptions,
  pollAction,
  readAction,
  runAction,
} from '../mde/actions/machine-actions.js';
import type { MdeClient } from '../mde/mde-client.js';
import { ActionTimeoutError, ApiError } from '../mde/mde-errors.js';
import type { MachineAction } from '../mde/schemas/machine-action.js';
import type { SecretBox } from '../security/secret-box.js';
import {
  MachineActionRepository,
  type StoredMachineAction,
} from '../store/actions/machine-action-repository.js';
import { type Connector, ConnectorRepository } from '../store/connectors/connector-repository.js';
import type { Store } from '../store/db/store.js';
import { ActionFailedError, ActionRefusedError } from './action-errors.js';
import { ACTION_PERMISSIONS, grantPermissionFix } from './action-permissions.js';
import { buildActionRequest } from './action-request.js';
import {
  type ActionTarget,
  describeTargetRef,
  resolveActionTarget,
  type TargetRef,
} from './action-target.js';

/** What the action service needs; the CLI and the REST API each build one. */
export interface ActionServiceDeps {
  store: Store;
  secrets: SecretBox;
  /** Builds the MDE client of a connector from its decrypted credentials. */
  createClient: (
    connector: Connector,
    credentials: Awaited<ReturnType<ConnectorRepository['credentials']>>,
  ) => MdeClient;
  now?: () => Date;
}

/** One request: who asks, for which device, what, and why. */
export interface MachineActionRequest {
  requester: AuditActor;
  target: TargetRef;
  /** Picks the connector when several report the device. */
  connector?: string;
  action: ActionKind;
  /** `quick`/`full` for scan, `full`/`selective` for isolate, none for unisolate. */
  type?: string;
  comment: string;
}

/** The stored action, and whether MDE already had the same action pending (nothing new was sent). */
export interface MachineActionResult {
  action: StoredMachineAction;
  alreadyPending: boolean;
}

/** Who records what MDE reports about an action: the product itself, not a person. */
const SYSTEM_ACTOR: AuditActor = { kind: 'system', name: 'mdec' };

/** Audit action name of a request (docs/audit-log.md#actions). */
function auditAction(kind: ActionKind): string {
  return `machine-action.${kind}`;
}

/**
 * Why MDE refused, in words that say what to do: a 403 names the missing permission
 * (docs/mde-api.md#permissions), a conflicting pending action says to wait.
 */
function refusalMessage(kind: ActionKind, error: ApiError): string {
  if (error.status === 403) {
    const permission = ACTION_PERMISSIONS[kind];
    return `MDE denied ${kind}: the app registration lacks the permission ${permission}; ${grantPermissionFix(permission)}`;
  }
  if (error.mdeCode === 'ActiveRequestAlreadyExists')
    return `MDE refused ${kind}: another action of the same family is pending on the device; wait until it ends (\`mdec action list\`) and try again`;
  return `MDE refused ${kind}: ${error.message}`;
}

/**
 * Sends a machine action through the connector that reports the device and stores it
 * (docs/actions.md). Every request, accepted or not, is in the audit log with its requester.
 *
 * @throws ActionInputError for a bad type or comment; ActionRefusedError when the device cannot take
 *   actions (nothing sent); ActionFailedError when MDE refused or could not be reached.
 */
export async function requestMachineAction(
  deps: ActionServiceDeps,
  request: MachineActionRequest,
): Promise<MachineActionResult> {
  const now = deps.now ?? (() => new Date());
  const mdeRequest = buildActionRequest(request.action, request.type, request.comment);
  const audit = (
    target: string,
    connector: string | null,
    outcome: string,
    detail: string,
    after?: unknown,
  ) =>
    recordAudit(
      deps.store,
      request.requester,
      {
        action: auditAction(request.action),
        target: { kind: 'host', name: target },
        connector,
        ...(after === undefined ? {} : { after }),
        outcome,
        detail,
      },
      now,
    );

  let target: ActionTarget;
  try {
    target = await resolveActionTarget(deps.store, deps.secrets, request.target, request.connector);
  } catch (error) {
    if (error instanceof ActionRefusedError)
      await audit(describeTargetRef(request.target), request.connector ?? null, 'refused', error.message);
    throw error;
  }

  const repo = new MachineActionRepository(deps.store);
  const targetName = `host ${target.hostId} (machine ${target.machineId})`;
  const requestedAt = now().toISOString();
  const base = {
    connectorId: target.connector.id,
    connectorName: target.connector.name,
    hostId: target.hostId,
    machineId: target.machineId,
    hostName: target.hostName,
    action: request.action,
    actionType: mdeRequest.scanType ?? mdeRequest.isolationType ?? null,
    comment: mdeRequest.comment,
    requestedBy: request.requester.name,
    requestedVia: request.requester.kind,
    requestedAt,
  };
  const credentials = await new ConnectorRepository(deps.store, deps.secrets).credentials(
    target.connector.id,
  );
  const client = deps.createClient(target.connector, credentials);
  let outcome: Awaited<ReturnType<typeof runAction>>;
  try {
    outcome = await runAction(client, target.machineId, mdeRequest);
  } catch (error) {
    if (error instanceof ApiError) {
      const message = refusalMessage(request.action, error);
      const stored = await repo.insert({
        ...base,
        mdeActionId: null,
        status: 'Refused',
        outcome: 'refused',
        error: message,
        checkedAt: requestedAt,
        raw: '{}',
      });
      await audit(targetName, target.connector.name, error.status === 403 ? 'denied' : 'refused', message, {
        actionId: stored.id,
      });
      throw new ActionFailedError(message, stored.id, { cause: error });
    }
    const message = `${request.action} could not be sent: ${error instanceof Error ? error.message : String(error)}`;
    await audit(targetName, target.connector.name, 'failed', message);
    throw new ActionFailedError(message, undefined, { cause: error });
  }

  const mde = outcome.action;
  let stored = outcome.created ? undefined : await repo.byMdeActionId(mde.id);
  const alreadyPending = !outcome.created;
  stored ??= await repo.insert({
    ...base,
    mdeActionId: mde.id,
    status: mde.status ?? 'Pending',
    outcome: alreadyPending ? 'already-pending' : 'accepted',
    error: null,
    mdeRequestor: mde.requestor ?? null,
    lastUpdateAt: mde.lastUpdateDateTimeUtc ?? null,
    checkedAt: requestedAt,
    raw: JSON.stringify(mde),
  });
  await audit(
    targetName,
    target.connector.name,
    alreadyPending ? 'already-pending' : 'accepted',
    alreadyPending
      ? `an identical ${request.action} was already pending: MDE action ${mde.id} (request ${stored.id})`
      : `MDE action ${mde.id}`,
    { actionId: stored.id, mdeActionId: mde.id, type: base.actionType, comment: base.comment },
  );
  return { action: stored, alreadyPending };
}

/** Options of {@link waitForMachineAction}. */
export interface WaitOptions
  extends Pick<PollActionOptions, 'intervalMs' | 'timeoutMs' | 'sleep' | 'signal'> {
  /** Told of every status read, for a progress display. */
  onStatus?: (action: StoredMachineAction) => void;
}

/**
 * Polls MDE until the action is final (Succeeded, Failed, TimeOut, Cancelled), storing each status
 * read, and returns the final stored action. The final status is recorded in the audit log once.
 *
 * @throws ActionFailedError when the wait times out (the action may still finish: `action show`
 *   reads it again later) or the action cannot be read.
 */
export async function waitForMachineAction(
  deps: ActionServiceDeps,
  id: number,
  options: WaitOptions = {},
): Promise<StoredMachineAction> {
  const known = await new MachineActionRepository(deps.store).byId(id);
  if (!known) throw new ActionFailedError(`no machine action ${id}; \`mdec action list\` shows them`);
  const { stored, client } = await clientFor(deps, known);
  if (isFinalStatus(stored.status) || !client || !stored.mdeActionId) return stored;
  let latest = stored;
  let writes = Promise.resolve();
  try {
    await pollAction(client, stored.mdeActionId, {
      ...options,
      onStatus: (mde) => {
        writes = writes.then(async () => {
          latest = await applyStatus(deps, latest, mde);
          options.onStatus?.(latest);
        });
      },
    });
    await writes;
    return latest;
  } catch (error) {
    await writes.catch(() => {});
    if (error instanceof ActionTimeoutError)
      throw new ActionFailedError(
        `action ${id} is still ${latest.status} after ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s of waiting; \`mdec action show ${id}\` reads it again later`,
        id,
        { cause: error },
      );
    throw new ActionFailedError(
      `cannot read the status of action ${id}: ${error instanceof Error ? error.message : String(error)}`,
      id,
      { cause: error },
    );
  }
}

/**
 * The stored action, its status read again from MDE first when it is not final yet and its connector
 * still exists. A failed read leaves the stored status and says why in `refreshError`.
 */
export async function refreshMachineAction(
  deps: ActionServiceDeps,
  id: number,
): Promise<{ action: StoredMachineAction; refreshError?: string } | undefined> {
  const known = await new MachineActionRepository(deps.store).byId(id);
  if (!known) return undefined;
  const { stored, client } = await clientFor(deps, known);
  if (isFinalStatus(stored.status) || !client || !stored.mdeActionId) return { action: stored };
  try {
    return { action: await applyStatus(deps, stored, await readAction(client, stored.mdeActionId)) };
  } catch (error) {
    return { action: stored, refreshError: error instanceof Error ? error.message : String(error) };
  }
}

/** The stored action and, when its connector still exists, a client to read it with. */
async function clientFor(
  deps: ActionServiceDeps,
  stored: StoredMachineAction,
): Promise<{ stored: StoredMachineAction; client: MdeClient | undefined }> {
  if (stored.connectorId === null) return { stored, client: undefined };
  const connectors = new ConnectorRepository(deps.store, deps.secrets);
  const connector = await connectors.byId(stored.connectorId);
  if (!connector) return { stored, client: undefined };
  return { stored, client: deps.createClient(connector, await connectors.credentials(connector.id)) };
}

/**
 * Stores a status read from MDE. The moment an action becomes final is recorded in the audit log,
 * once: later reads of a final action change nothing.
 */
async function applyStatus(
  deps: ActionServiceDeps,
  stored: StoredMachineAction,
  mde: MachineAction,
): Promise<StoredMachineAction> {
  const now = deps.now ?? (() => new Date());
  const status = mde.status ?? stored.status;
  if (status === stored.status && !isFinalStatus(status)) return stored;
  const failed = status === 'Failed' && mde.errorHResult ? `MDE error ${mde.errorHResult}` : null;
  const cancelled =
    status === 'Cancelled' && mde.cancellationRequestor
      ? `cancelled by ${mde.cancellationRequestor}${mde.cancellationComment ? `: ${mde.cancellationComment}` : ''}`
      : null;
  const updated = await new MachineActionRepository(deps.store).updateStatus(stored.id, {
    status,
    error: failed ?? cancelled ?? stored.error,
    lastUpdateAt: mde.lastUpdateDateTimeUtc ?? stored.lastUpdateAt,
    checkedAt: now().toISOString(),
    raw: JSON.stringify(mde),
  });
  if (isFinalStatus(status) && !isFinalStatus(stored.status)) {
    await recordAudit(
      deps.store,
      SYSTEM_ACTOR,
      {
        action: 'machine-action.result',
        target: { kind: 'host', name: `host ${stored.hostId ?? '(removed)'} (machine ${stored.machineId})` },
        connector: stored.connector,
        outcome: status.toLowerCase(),
        detail: `${stored.action} requested by ${stored.requestedBy} (request ${stored.id}, MDE action ${stored.mdeActionId})${updated.error ? `: ${updated.error}` : ''}`,
      },
      now,
    );
  }
  return updated;
}
