import type { SecretBox } from '../security/secret-box.js';
import { type Connector, ConnectorRepository } from '../store/connectors/connector-repository.js';
import type { Store } from '../store/db/store.js';
import { ActionRefusedError } from './action-errors.js';

/** The device an action is for: our host id, or MDE's machine id. */
export type TargetRef = { hostId: number } | { machineId: string };

/** A device that may take an action: its Defender source on a connector with actions enabled. */
export interface ActionTarget {
  connector: Connector;
  hostId: number;
  machineId: string;
  hostName: string | null;
}

/** How a target is named in messages and in the audit log. */
export function describeTargetRef(ref: TargetRef): string {
  return 'hostId' in ref ? `host ${ref.hostId}` : `machine ${ref.machineId}`;
}

/**
 * Finds the Defender source an action goes through (docs/actions.md#which-devices). The rules: the
 * device has a Defender source; its connector has actions enabled (`--actions`); MDE says the device
 * is `Onboarded`, since MDE can only act on onboarded sensors; and exactly one connector qualifies, or
 * `connectorName` picks one.
 *
 * @throws ActionRefusedError naming which rule failed and how to fix it.
 */
export async function resolveActionTarget(
  store: Store,
  secrets: SecretBox,
  ref: TargetRef,
  connectorName?: string,
): Promise<ActionTarget> {
  const named = describeTargetRef(ref);
  let query = store.db
    .selectFrom('hostSources')
    .innerJoin('hosts', 'hosts.id', 'hostSources.hostId')
    .select([
      'hostSources.hostId',
      'hostSources.connectorId',
      'hostSources.machineId',
      'hostSources.onboardingStatus',
      'hostSources.computerDnsName',
      'hostSources.lastSeen',
      'hosts.name',
    ])
    .where('hostSources.source', '=', 'Defender');
  query =
    'hostId' in ref
      ? query.where('hostSources.hostId', '=', ref.hostId)
      : query.where((eb) => eb(eb.fn('lower', ['hostSources.machineId']), '=', ref.machineId.toLowerCase()));
  const sources = await query.execute();
  if (sources.length === 0) {
    const host =
      'hostId' in ref
        ? await store.db.selectFrom('hosts').select('id').where('id', '=', ref.hostId).executeTakeFirst()
        : undefined;
    throw host
      ? new ActionRefusedError('no-defender-source', `${named} has no Defender source: MDE cannot act on it`)
      : new ActionRefusedError(
          'unknown-device',
          `no ${'hostId' in ref ? 'host' : 'device'} ${'hostId' in ref ? ref.hostId : ref.machineId} in the store; sync its connector first, or check the id (\`mdec export hosts\` lists them)`,
        );
  }
  const connectors = new ConnectorRepository(store, secrets);
  const candidates: { source: (typeof sources)[number]; connector: Connector }[] = [];
  for (const source of sources) {
    const connector = await connectors.byId(Number(source.connectorId));
    if (connector) candidates.push({ source, connector });
  }
  const chosen = connectorName ? candidates.filter((c) => c.connector.name === connectorName) : candidates;
  if (chosen.length === 0) {
    throw new ActionRefusedError(
      'unknown-device',
      `connector "${connectorName}" does not report ${named} (reported by: ${candidates.map((c) => c.connector.name).join(', ')})`,
    );
  }
  const enabled = chosen.filter((c) => c.connector.options.actions);
  if (enabled.length === 0) {
    const names = [...new Set(chosen.map((c) => c.connector.name))];
    throw new ActionRefusedError(
      'actions-disabled',
      `machine actions are off for connector ${names.map((n) => `"${n}"`).join(', ')}; turn them on with \`mdec connector edit --name ${names[0]} --actions\``,
    );
  }
  const through = [...new Set(enabled.map((c) => c.connector.name))];
  if (through.length > 1) {
    throw new ActionRefusedError(
      'ambiguous',
      `${named} is reported by several connectors with actions on (${through.join(', ')}); choose one with --connector`,
    );
  }
  // One connector may report a host through several devices (duplicates the identification rules
  // joined): act on the onboarded one seen last.
  const onboarded = (c: (typeof enabled)[number]) => c.source.onboardingStatus?.toLowerCase() === 'onboarded';
  const { source, connector } = [...enabled].sort(
    (a, b) =>
      Number(onboarded(b)) - Number(onboarded(a)) ||
      (b.source.lastSeen ?? '').localeCompare(a.source.lastSeen ?? ''),
  )[0]!;
  if (!onboarded({ source, connector })) {
    throw new ActionRefusedError(
      'not-onboarded',
      `${named} is not onboarded to Defender for Endpoint (onboarding status: ${source.onboardingStatus ?? 'unknown'}); MDE can only act on onboarded devices`,
    );
  }
  return {
    connector,
    hostId: Number(source.hostId),
    machineId: source.machineId,
    hostName: source.computerDnsName ?? source.name,
  };
}
