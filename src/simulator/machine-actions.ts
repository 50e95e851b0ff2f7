import { randomUUID } from 'node:crypto';
import type { MachineRecord } from './tenant/types.js';

/** docs/mde-api.md#machine-actions: machine action types the simulator accepts, and the final states. */
export const ACTION_TYPES = ['Isolate', 'Unisolate', 'RunAntiVirusScan'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export const FINAL_STATUSES = ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'] as const;

/**
 * Simulated minutes an action spends in each state before it moves on (docs/mde-api.md#machine-actions:
 * poll).
 */
const PENDING_MS = 60_000;
const IN_PROGRESS_MS = 4 * 60_000;

interface StoredAction {
  id: string;
  type: ActionType;
  scope: string | null;
  requestor: string;
  requestorComment: string;
  machineId: string;
  computerDnsName: string | null;
  createdMs: number;
  /** The outcome the action reaches when it finishes; decided at creation from the device's health. */
  outcome: 'Succeeded' | 'Failed';
  cancelled?: { byMs: number; requestor: string; comment: string };
}

export class ActionRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Machine actions and their lifecycle: Pending → InProgress → Succeeded/Failed over simulated time,
 * with MDE's duplicate-request answer (docs/mde-api.md#machine-actions: 400 ActiveRequestAlreadyExists).
 */
export class MachineActionStore {
  private readonly actions: StoredAction[] = [];

  constructor(private readonly now: () => number) {}

  create(input: {
    type: ActionType;
    scope: string | null;
    comment: string;
    requestor: string;
    machine: MachineRecord;
  }): Record<string, unknown> {
    const { machine } = input;
    const platform = machine.osPlatform.toLowerCase();
    // Isolation needs Windows or Linux; AV scan needs Windows (docs/mde-api.md#machine-actions platform
    // notes).
    const supported =
      input.type === 'RunAntiVirusScan'
        ? platform.startsWith('windows')
        : platform.startsWith('windows') || platform === 'linux';
    if (!supported) {
      throw new ActionRequestError(
        400,
        'OsPlatformNotSupported',
        `${input.type} is not supported for OS platform ${machine.osPlatform}`,
      );
    }
    const pending = this.actions.find(
      (a) =>
        a.machineId === machine.id &&
        this.isIsolationFamily(a.type) === this.isIsolationFamily(input.type) &&
        !this.isFinal(a),
    );
    if (pending) {
      throw new ActionRequestError(400, 'ActiveRequestAlreadyExists', 'Action is already in progress');
    }
    const healthy = machine.healthStatus === 'Active';
    const action: StoredAction = {
      id: randomUUID(),
      type: input.type,
      scope: input.scope,
      requestor: input.requestor,
      requestorComment: input.comment,
      machineId: machine.id,
      computerDnsName: machine.computerDnsName,
      createdMs: this.now(),
      outcome: healthy ? 'Succeeded' : 'Failed',
    };
    this.actions.push(action);
    return this.render(action);
  }

  get(id: string): Record<string, unknown> | undefined {
    const a = this.actions.find((x) => x.id.toLowerCase() === id.toLowerCase());
    return a && this.render(a);
  }

  list(): Record<string, unknown>[] {
    return this.actions.map((a) => this.render(a));
  }

  cancel(id: string, requestor: string, comment: string): Record<string, unknown> {
    const a = this.actions.find((x) => x.id.toLowerCase() === id.toLowerCase());
    if (!a) throw new ActionRequestError(404, 'NotFound', `Machine action ${id} was not found`);
    if (this.isFinal(a)) {
      throw new ActionRequestError(400, 'BadRequest', `Machine action ${id} is already in a final state`);
    }
    a.cancelled = { byMs: this.now(), requestor, comment };
    return this.render(a);
  }

  /** Whether the device is isolated now: the last finished isolation-family action decides. */
  isIsolated(machineId: string): boolean {
    let isolated = false;
    for (const a of this.actions) {
      if (a.machineId !== machineId || !this.isIsolationFamily(a.type)) continue;
      if (this.status(a) === 'Succeeded') isolated = a.type === 'Isolate';
    }
    return isolated;
  }

  private isIsolationFamily(type: ActionType): boolean {
    return type === 'Isolate' || type === 'Unisolate';
  }

  private isFinal(a: StoredAction): boolean {
    return (FINAL_STATUSES as readonly string[]).includes(this.status(a));
  }

  private status(a: StoredAction): string {
    const t = this.now();
    if (a.cancelled) return 'Cancelled';
    if (t < a.createdMs + PENDING_MS) return 'Pending';
    if (t < a.createdMs + PENDING_MS + IN_PROGRESS_MS) return 'InProgress';
    return a.outcome;
  }

  private lastUpdateMs(a: StoredAction): number {
    const t = this.now();
    if (a.cancelled) return a.cancelled.byMs;
    if (t < a.createdMs + PENDING_MS) return a.createdMs;
    if (t < a.createdMs + PENDING_MS + IN_PROGRESS_MS) return a.createdMs + PENDING_MS;
    return a.createdMs + PENDING_MS + IN_PROGRESS_MS;
  }

  /**
   * docs/mde-api.md#machine-actions; both spellings of the last-update field are sent
   * (docs/mde-api.md#documentation-defects).
   */
  private render(a: StoredAction): Record<string, unknown> {
    const lastUpdate = new Date(this.lastUpdateMs(a)).toISOString();
    const status = this.status(a);
    return {
      id: a.id,
      type: a.type,
      title: `${a.type} action on ${a.computerDnsName ?? a.machineId}`,
      requestor: a.requestor,
      requestorComment: a.requestorComment,
      status,
      machineId: a.machineId,
      computerDnsName: a.computerDnsName,
      creationDateTimeUtc: new Date(a.createdMs).toISOString(),
      lastUpdateDateTimeUtc: lastUpdate,
      lastUpdateTimeUtc: lastUpdate,
      cancellationRequestor: a.cancelled?.requestor ?? null,
      cancellationComment: a.cancelled?.comment ?? null,
      cancellationDateTimeUtc: a.cancelled ? new Date(a.cancelled.byMs).toISOString() : null,
      errorHResult: status === 'Failed' ? -2147467259 : 0,
      scope: a.scope,
      externalId: null,
      requestSource: 'PublicApi',
      relatedFileInfo: null,
      commands: [],
      troubleshootInfo: null,
    };
  }
}
