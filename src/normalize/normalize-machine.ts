import type { Machine } from '../mde/schemas/machine.js';
import { splitAddresses, splitDnsNames } from './address-reach.js';
import { contentHash } from './content-hash.js';
import { type CustomFieldExtractor, hasCustomAttributes, NO_CUSTOM_ATTRIBUTES } from './custom-fields.js';
import { hostName, shortHostname, usableAadDeviceId } from './host-name.js';
import { instanceId } from './instance-id.js';
import type { NormalizedMachine } from './model.js';
import { pickExtra } from './pick-extra.js';

const KNOWN = new Set([
  'id',
  'computerDnsName',
  'firstSeen',
  'lastSeen',
  'osPlatform',
  'osVersion',
  'osProcessor',
  'version',
  'osBuild',
  'lastIpAddress',
  'lastExternalIpAddress',
  'agentVersion',
  'healthStatus',
  'deviceValue',
  'rbacGroupId',
  'rbacGroupName',
  'riskScore',
  'exposureLevel',
  'isAadJoined',
  'aadDeviceId',
  'machineTags',
  'defenderAvStatus',
  'onboardingStatus',
  'osArchitecture',
  'managedBy',
  'managedByStatus',
  'ipAddresses',
  'vmMetadata',
  'isPotentialDuplication',
  'mergedIntoMachineId',
  'isExcluded',
  'exclusionReason',
]);

/**
 * A parsed MDE machine (docs/mde-api.md#machine-fields) as a host and what Defender says about it. Pure.
 * `custom`: the connector's host custom fields, read from the parsed record (unknown fields included).
 */
export function normalizeMachine(m: Machine, custom?: CustomFieldExtractor): NormalizedMachine {
  const customAttributes = custom ? custom.extract(m) : NO_CUSTOM_ATTRIBUTES;
  const aadDeviceId = usableAadDeviceId(m.aadDeviceId);
  const interfaces = (m.ipAddresses ?? []).map((i) => ({
    ipAddress: i.ipAddress ?? null,
    macAddress: i.macAddress ?? null,
    type: (i.type as string | null | undefined) ?? null,
    operationalStatus: i.operationalStatus ?? null,
  }));
  // Loopback interfaces say nothing about the device; leave them out of the host's addresses.
  const real = interfaces.filter(
    (i) => i.type !== 'SoftwareLoopback' && i.ipAddress && !i.ipAddress.startsWith('127.'),
  );
  const ipAddresses = unique([m.lastIpAddress ?? null, ...real.map((i) => i.ipAddress)]);
  const macAddresses = unique(real.map((i) => normalizeMac(i.macAddress)));
  // osVersion is often null on machines; `version` (e.g. 22H2) is the release.
  const osVersion = m.osVersion ?? m.version ?? null;
  const osBuild = m.osBuild === null || m.osBuild === undefined ? null : String(m.osBuild);
  const tags = [...(m.machineTags ?? [])];
  const source = {
    machineId: m.id.toLowerCase(),
    aadDeviceId,
    computerDnsName: m.computerDnsName ?? null,
    lastIpAddress: m.lastIpAddress ?? null,
    lastExternalIpAddress: m.lastExternalIpAddress ?? null,
    agentVersion: m.agentVersion ?? null,
    healthStatus: m.healthStatus ?? null,
    deviceValue: m.deviceValue ?? null,
    rbacGroupId: m.rbacGroupId ?? null,
    rbacGroupName: m.rbacGroupName ?? null,
    riskScore: m.riskScore ?? null,
    exposureLevel: m.exposureLevel ?? null,
    isAadJoined: m.isAadJoined ?? null,
    onboardingStatus: m.onboardingStatus ?? null,
    machineTags: tags,
    managedBy: m.managedBy ?? null,
    isPotentialDuplication: m.isPotentialDuplication ?? null,
    mergedIntoMachineId: m.mergedIntoMachineId ? m.mergedIntoMachineId.toLowerCase() : null,
    isExcluded: m.isExcluded ?? null,
    exclusionReason: m.exclusionReason ?? null,
    defenderAvStatus: m.defenderAvStatus ?? null,
    osPlatform: m.osPlatform ?? null,
    osVersion,
    osBuild,
    osArchitecture: m.osArchitecture ?? null,
    osProcessor: m.osProcessor ?? null,
    version: m.version ?? null,
    managedByStatus: m.managedByStatus ?? null,
    vmMetadata: m.vmMetadata ? { ...m.vmMetadata } : null,
    ipAddresses: interfaces,
    firstSeen: m.firstSeen ?? null,
    lastSeen: m.lastSeen ?? null,
    extra: pickExtra(m, KNOWN),
    contentHash: '',
  };
  // lastSeen moves every day on every device; it is compared on its own, not through the hash.
  const { lastSeen: _lastSeen, contentHash: _hash, ...stable } = source;
  source.contentHash = contentHash(Object.values(stable));
  // Custom attributes count only when present, so hosts of connectors without them hash as before.
  if (hasCustomAttributes(customAttributes))
    source.contentHash = contentHash([source.contentHash, customAttributes]);
  return {
    host: {
      name: hostName({
        computerDnsName: m.computerDnsName,
        lastIpAddress: m.lastIpAddress,
        aadDeviceId,
        machineId: source.machineId,
      }),
      fqdn: m.computerDnsName?.includes('.') ? m.computerDnsName.toLowerCase() : null,
      hostname: shortHostname(m.computerDnsName),
      ipAddresses,
      macAddresses,
      osPlatform: m.osPlatform ?? null,
      osVersion,
      osBuild,
      osArchitecture: m.osArchitecture ?? null,
      firstSeen: m.firstSeen ?? null,
      lastSeen: m.lastSeen ?? null,
      tags,
      // The split reads every address the device reports, its internet-facing one included.
      ...splitAddresses([m.lastIpAddress, ...interfaces.map((i) => i.ipAddress), m.lastExternalIpAddress]),
      ...splitDnsNames([m.computerDnsName]),
      instanceId: instanceId(tags, m.vmMetadata),
      customAttributes,
    },
    source,
  };
}

function unique(values: Array<string | null>): string[] {
  return [...new Set(values.filter((v): v is string => !!v))];
}

/** MACs arrive as `001122AABBCC` or `00-11-22-AA-BB-CC`; store them one way. */
export function normalizeMac(mac: string | null): string | null {
  if (!mac) return null;
  const hex = mac.replace(/[^0-9a-f]/gi, '').toLowerCase();
  if (hex.length !== 12 || /^0+$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}
