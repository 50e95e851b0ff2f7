import type { Command } from 'commander';
import { ActionInputError, ActionRefusedError } from '../actions/action-errors.js';
import { ACTION_TYPES } from '../actions/action-request.js';
import type { TargetRef } from '../actions/action-target.js';
import {
  type ActionServiceDeps,
  refreshMachineAction,
  requestMachineAction,
  waitForMachineAction,
} from '../actions/machine-action-service.js';
import { cliActor } from '../audit/audit-actor.js';
import { type ActionKind, isFinalStatus } from '../mde/actions/machine-actions.js';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { UndiciHttpTransport } from '../mde/http/http-transport.js';
import {
  MachineActionRepository,
  type StoredMachineAction,
} from '../store/actions/machine-action-repository.js';
import { createMdeClient } from '../sync/mde-client-factory.js';
import { actionProgress } from './action-progress.js';
import { type CliContext, type GlobalFlags, openCliContext } from './cli-context.js';
import { printJson, printTable } from './output.js';
import { EXIT, UsageError } from './usage-error.js';

interface RequestFlags {
  host?: string;
  machineId?: string;
  connector?: string;
  comment?: string;
  type?: string;
  wait?: boolean;
  pollInterval: string;
  waitTimeout: string;
  caFile?: string;
}

/** Runs `work` with the action service's dependencies; the HTTP connections are closed after. */
async function withActionService<T>(
  ctx: CliContext,
  caFile: string | undefined,
  work: (deps: ActionServiceDeps) => Promise<T>,
): Promise<T> {
  const ca = caFile ?? process.env.MDEC_CA_FILE;
  const transport = new UndiciHttpTransport(ca ? { caFile: ca } : {});
  const limiter = new ClientRateLimiter();
  try {
    return await work({
      store: ctx.store,
      secrets: ctx.secrets,
      createClient: (connector, credentials) =>
        createMdeClient(connector, credentials, { limiter, transport }),
    });
  } finally {
    await transport.close();
  }
}

function targetOf(flags: RequestFlags): TargetRef {
  if ((flags.host === undefined) === (flags.machineId === undefined))
    throw new UsageError(
      'give the device with one of --host ID (a host id) or --machine-id ID (an MDE machine id)',
    );
  if (flags.host !== undefined) {
    if (!/^\d+$/.test(flags.host.trim()))
      throw new UsageError(`--host must be a host id, a whole number (got "${flags.host}")`);
    return { hostId: Number(flags.host) };
  }
  if (!flags.machineId?.trim()) throw new UsageError('--machine-id must not be empty');
  return { machineId: flags.machineId.trim() };
}

function positive(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > max)
    throw new UsageError(`--${flag} must be a number above 0 and at most ${max} (got "${value}")`);
  return n;
}

/** People read one line per field; scripts get the stored action as JSON. */
function printAction(
  ctx: CliContext,
  action: StoredMachineAction,
  extra: Record<string, unknown> = {},
): void {
  if (ctx.json) {
    printJson({ ...action, ...extra });
    return;
  }
  const rows: [string, unknown][] = [
    ['id', action.id],
    ['action', action.actionType ? `${action.action} (${action.actionType})` : action.action],
    ['host', `${action.hostId ?? '(removed)'}${action.hostName ? ` ${action.hostName}` : ''}`],
    ['machine id', action.machineId],
    ['connector', action.connector],
    ['comment', action.comment],
    ['requested by', `${action.requestedBy} (${action.requestedVia})`],
    ['requested at', action.requestedAt],
    ['MDE action', action.mdeActionId ?? '-'],
    ['status', action.status],
    ['outcome', action.outcome],
    ['last update', action.lastUpdateAt ?? '-'],
    ['checked at', action.checkedAt ?? '-'],
  ];
  if (action.error) rows.push(['error', action.error]);
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(13)} ${String(v)}\n`);
}

/** Exit status of a waited-for action: 0 only for Succeeded (docs/actions.md#exit-codes-and-errors). */
function exitFor(action: StoredMachineAction): number {
  return action.status === 'Succeeded' ? EXIT.ok : EXIT.failure;
}

/** The bad-input errors of the service as exit 2 naming the flag; failures stay failures (exit 1). */
function asCliError(error: unknown): unknown {
  if (error instanceof ActionInputError)
    return new UsageError(`--${error.field === 'target' ? 'host' : error.field}: ${error.message}`);
  if (error instanceof ActionRefusedError) return new UsageError(error.message);
  return error;
}

function registerRequest(
  action: Command,
  kind: ActionKind,
  description: string,
  globals: () => GlobalFlags,
): void {
  const types = Object.keys(ACTION_TYPES[kind].values);
  const cmd = action
    .command(kind)
    .description(description)
    .option('--host <id>', 'the host id (as `mdec export hosts` shows it)')
    .option('--machine-id <id>', "the device's MDE machine id")
    .option('--connector <name>', 'the connector to act through, when several report the device')
    .option('--comment <text>', 'why: MDE records it with the action (required)');
  if (types.length > 0)
    cmd.option('--type <type>', `${types.join(' or ')} (default ${ACTION_TYPES[kind].default})`);
  cmd
    .option('--wait', 'wait until the action succeeds, fails, times out or is cancelled')
    .option('--poll-interval <seconds>', 'time between status reads while waiting', '15')
    .option('--wait-timeout <minutes>', 'stop waiting after this long (the action goes on)', '30')
    .option('--ca-file <path>', 'extra CA certificates (PEM) to trust, e.g. a TLS-inspecting proxy')
    .action(async (flags: RequestFlags) => {
      const target = targetOf(flags);
      if (flags.comment === undefined)
        throw new UsageError('--comment is required: MDE records why the action was taken');
      const intervalMs = positive('poll-interval', flags.pollInterval, 600) * 1000;
      const timeoutMs = positive('wait-timeout', flags.waitTimeout, 24 * 60) * 60_000;
      const ctx = await openCliContext(globals(), 'existing');
      try {
        await withActionService(ctx, flags.caFile, async (deps) => {
          const result = await requestMachineAction(deps, {
            requester: cliActor(),
            target,
            ...(flags.connector ? { connector: flags.connector } : {}),
            action: kind,
            ...(flags.type !== undefined ? { type: flags.type } : {}),
            comment: flags.comment!,
          }).catch((error: unknown) => {
            throw asCliError(error);
          });
          const sent = result.action;
          if (!ctx.json) {
            process.stdout.write(
              result.alreadyPending
                ? `An identical ${kind} is already pending on ${sent.hostName ?? sent.machineId}: action ${sent.id} (MDE action ${sent.mdeActionId}), requested by ${sent.requestedBy} at ${sent.requestedAt}, status ${sent.status}.\n`
                : `Sent ${kind}${sent.actionType ? ` (${sent.actionType.toLowerCase()})` : ''} to ${sent.hostName ?? sent.machineId} through "${sent.connector}": action ${sent.id} (MDE action ${sent.mdeActionId}), status ${sent.status}.\n`,
            );
          }
          if (!flags.wait || isFinalStatus(sent.status)) {
            if (ctx.json) printAction(ctx, sent, { alreadyPending: result.alreadyPending });
            else if (!flags.wait) process.stdout.write(`Follow it with \`mdec action show ${sent.id}\`.\n`);
            process.exitCode = flags.wait ? exitFor(sent) : EXIT.ok;
            return;
          }
          const progress = ctx.json ? undefined : actionProgress();
          progress?.status(sent);
          const abort = new AbortController();
          const onSignal = () => abort.abort(new Error('interrupted'));
          process.once('SIGINT', onSignal);
          try {
            const done = await waitForMachineAction(deps, sent.id, {
              intervalMs,
              timeoutMs,
              signal: abort.signal,
              ...(progress ? { onStatus: (a: StoredMachineAction) => progress.status(a) } : {}),
            });
            progress?.end();
            if (ctx.json) printAction(ctx, done, { alreadyPending: result.alreadyPending });
            else
              process.stdout.write(
                `Action ${done.id} ${done.status === 'Succeeded' ? 'succeeded' : `ended ${done.status}`}${done.error ? `: ${done.error}` : ''}.\n`,
              );
            process.exitCode = exitFor(done);
          } finally {
            progress?.end();
            process.off('SIGINT', onSignal);
          }
        });
      } finally {
        await ctx.close();
      }
    });
}

/**
 * `mdec action scan|isolate|unisolate|list|show` (docs/actions.md): machine actions through a
 * connector that has them enabled, stored and audited.
 */
export function registerActionCommand(program: Command, globals: () => GlobalFlags): void {
  const action = program
    .command('action')
    .description('isolate, release or scan a device through MDE; list and show the actions sent');
  registerRequest(action, 'scan', 'run a Microsoft Defender Antivirus scan on a device', globals);
  registerRequest(action, 'isolate', 'isolate a device from the network', globals);
  registerRequest(action, 'unisolate', 'release a device from isolation', globals);

  action
    .command('list')
    .description('the actions sent, newest first (as stored; `action show` reads the status again)')
    .option('--host <id>', "only this host's actions")
    .action(async (flags: { host?: string }) => {
      if (flags.host !== undefined && !/^\d+$/.test(flags.host.trim()))
        throw new UsageError(`--host must be a host id, a whole number (got "${flags.host}")`);
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const all = await new MachineActionRepository(ctx.store).list(
          flags.host !== undefined ? { hostId: Number(flags.host) } : {},
        );
        if (ctx.json) printJson(all);
        else if (all.length === 0) process.stdout.write('No machine actions yet.\n');
        else
          printTable(
            ['id', 'requested at', 'by', 'action', 'host', 'connector', 'status', 'outcome'],
            all.map((a) => [
              String(a.id),
              a.requestedAt,
              a.requestedBy,
              a.actionType ? `${a.action} (${a.actionType})` : a.action,
              `${a.hostId ?? '-'} ${a.hostName ?? a.machineId}`,
              a.connector,
              a.status,
              a.outcome,
            ]),
          );
      } finally {
        await ctx.close();
      }
    });

  action
    .command('show')
    .description('one action, its status read again from MDE when it is not final yet')
    .argument('<id>', 'the action id (from `action list`)')
    .option('--ca-file <path>', 'extra CA certificates (PEM) to trust, e.g. a TLS-inspecting proxy')
    .action(async (id: string, flags: { caFile?: string }) => {
      if (!/^\d+$/.test(id.trim()))
        throw new UsageError(`the action id must be a whole number (got "${id}")`);
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const found = await withActionService(ctx, flags.caFile, (deps) =>
          refreshMachineAction(deps, Number(id)),
        );
        if (!found) throw new UsageError(`no machine action ${id}; \`mdec action list\` shows them`);
        if (found.refreshError)
          ctx.note(`could not read the status from MDE (showing the stored one): ${found.refreshError}`);
        printAction(ctx, found.action);
      } finally {
        await ctx.close();
      }
    });
}
