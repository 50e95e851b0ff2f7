import type { Store } from '../../src/store/db/store.js';

/** A device as an action names it: our host id and MDE's machine id. */
export interface ActionDevice {
  hostId: number;
  machineId: string;
}

/**
 * The devices a connector brought in, grouped as the action tests need them. Only hosts that one
 * device stands for are used (not duplicates the identification rules joined), so the machine an
 * action goes to is the one the test expects.
 */
export async function actionDevices(store: Store, connector: string) {
  const sources = await store.db
    .selectFrom('hostSources')
    .innerJoin('connectors', 'connectors.id', 'hostSources.connectorId')
    .select([
      'hostSources.hostId',
      'hostSources.machineId',
      'hostSources.onboardingStatus',
      'hostSources.healthStatus',
      'hostSources.osPlatform',
    ])
    .where('connectors.name', '=', connector)
    .orderBy('hostSources.hostId')
    .execute();
  const perHost = new Map<number, number>();
  for (const s of sources) perHost.set(Number(s.hostId), (perHost.get(Number(s.hostId)) ?? 0) + 1);
  const single = sources.filter((s) => perHost.get(Number(s.hostId)) === 1);
  const device = (s: (typeof sources)[number]): ActionDevice => ({
    hostId: Number(s.hostId),
    machineId: s.machineId,
  });
  // The simulator accepts scans on Windows only, and lets actions succeed on devices reporting Active.
  const windows = single.filter(
    (s) => s.onboardingStatus === 'Onboarded' && (s.osPlatform ?? '').toLowerCase().startsWith('windows'),
  );
  const notOnboarded = single.find((s) => s.onboardingStatus !== 'Onboarded');
  if (!notOnboarded) throw new Error(`connector ${connector} brought in no device that is not onboarded`);
  return {
    onboardedWindows: windows.map(device),
    healthy: windows.filter((s) => s.healthStatus === 'Active').map(device),
    notOnboarded: device(notOnboarded),
  };
}
