/**
 * The out-of-the-box mapping from Defender fields to our model (the default transform map), as data: what
 * `mdec mapping` prints and what the normalizers implement. Source names are MDE's
 * (docs/mde-api.md#machine-fields, #vulnerability-rows, #cve-catalog, #software, #recommendations, #alerts);
 * targets are our model (docs/data-model.md).
 */
export interface FieldMapping {
  entity:
    | 'host'
    | 'finding'
    | 'vulnerabilityDefinition'
    | 'software'
    | 'installedSoftware'
    | 'recommendation'
    | 'alert';
  sourceField: string;
  dataType: 'string' | 'number' | 'boolean' | 'datetime' | 'list' | 'object';
  targetField: string;
  note?: string;
  /**
   * How the normalizers fill the target; test/field-mapping.test.ts checks each row against them so
   * this data cannot drift from the code. `copy` (when absent): the parsed source value in the row's
   * data type; `lowerCase`: the same, lower-cased; `derived`: computed from the source (a fallback, a
   * format, a filter); `sync`: set by the sync engine or the store, not by the normalizers.
   */
  fill?: 'copy' | 'lowerCase' | 'derived' | 'sync';
}

type Fill = FieldMapping['fill'];

const host = (
  sourceField: string,
  targetField: string,
  dataType: FieldMapping['dataType'] = 'string',
  note?: string,
  fill?: Fill,
) =>
  ({
    entity: 'host',
    sourceField,
    dataType,
    targetField,
    ...(note ? { note } : {}),
    ...(fill ? { fill } : {}),
  }) as const;
const finding = (
  sourceField: string,
  targetField: string,
  dataType: FieldMapping['dataType'] = 'string',
  note?: string,
  fill?: Fill,
) =>
  ({
    entity: 'finding',
    sourceField,
    dataType,
    targetField,
    ...(note ? { note } : {}),
    ...(fill ? { fill } : {}),
  }) as const;

export const DEFAULT_FIELD_MAPPING: readonly FieldMapping[] = [
  host('id', 'hostSource.machineId', 'string', 'lower-cased; the host identity', 'lowerCase'),
  host('computerDnsName', 'host.name', 'string', 'falls back to lastIpAddress, then aadDeviceId', 'derived'),
  host('computerDnsName', 'host.fqdn', 'string', 'lower-cased; only a dotted name', 'derived'),
  host('computerDnsName', 'host.hostname', 'string', 'first DNS label', 'derived'),
  host('ipAddresses[].ipAddress', 'host.ipAddresses', 'list', 'loopback interfaces left out', 'derived'),
  host('ipAddresses[].macAddress', 'host.macAddresses', 'list', 'as aa:bb:cc:dd:ee:ff', 'derived'),
  host('osPlatform', 'host.osPlatform'),
  host('osVersion / version', 'host.osVersion', 'string', undefined, 'derived'),
  host('osBuild', 'host.osBuild'),
  host('osArchitecture', 'host.osArchitecture'),
  host('firstSeen', 'host.firstSeen', 'datetime'),
  host('lastSeen', 'host.lastSeen', 'datetime'),
  host('machineTags', 'host.tags', 'list'),
  host(
    'isExcluded / lastSeen',
    'host.status',
    'string',
    'excluded, stale (stale-days), merged, active',
    'sync',
  ),
  host('aadDeviceId', 'hostSource.aadDeviceId', 'string', 'the all-zero id is dropped', 'derived'),
  host('lastIpAddress', 'hostSource.lastIpAddress'),
  host('lastExternalIpAddress', 'hostSource.lastExternalIpAddress'),
  host('agentVersion', 'hostSource.agentVersion'),
  host('healthStatus', 'hostSource.healthStatus'),
  host('deviceValue', 'hostSource.deviceValue'),
  host('rbacGroupId', 'hostSource.rbacGroupId', 'number'),
  host('rbacGroupName', 'hostSource.rbacGroupName'),
  host('riskScore', 'hostSource.riskScore'),
  host('exposureLevel', 'hostSource.exposureLevel'),
  host('isAadJoined', 'hostSource.isAadJoined', 'boolean'),
  host('onboardingStatus', 'hostSource.onboardingStatus'),
  host('managedBy', 'hostSource.managedBy'),
  host('isPotentialDuplication', 'hostSource.isPotentialDuplication', 'boolean'),
  host(
    'mergedIntoMachineId',
    'hostSource.mergedIntoMachineId',
    'string',
    'lower-cased; folds the record into its survivor',
    'lowerCase',
  ),
  host('isExcluded', 'hostSource.isExcluded', 'boolean'),
  host('exclusionReason', 'hostSource.exclusionReason'),
  host('defenderAvStatus', 'hostSource.defenderAvStatus'),
  host('managedByStatus', 'hostSource.managedByStatus'),
  host('osProcessor', 'hostSource.osProcessor', 'string', 'deprecated by MDE for osArchitecture; kept'),
  host('version', 'hostSource.version', 'string', 'the OS release, e.g. 22H2'),
  host('vmMetadata', 'hostSource.vmMetadata', 'object', 'set for cloud VMs'),
  host(
    'lastIpAddress / ipAddresses[].ipAddress / lastExternalIpAddress',
    'host.privateIpAddresses, host.publicIpAddresses',
    'list',
    'private: RFC 1918, RFC 4193 and the other special ranges; loopback and link-local left out',
    'derived',
  ),
  host(
    'computerDnsName',
    'host.privateDnsNames, host.publicDnsNames',
    'list',
    'private: a single label or a private-use suffix (.local, .internal, .lan, ...)',
    'derived',
  ),
  host(
    'machineTags / vmMetadata.vmId',
    'host.instanceId',
    'string',
    'an instanceId:VALUE or instanceId=VALUE tag (any case), else the cloud VM id',
    'derived',
  ),
  finding('deviceId', 'finding.machineId', 'string', 'lower-cased', 'lowerCase'),
  finding('cveId', 'finding.cveId', 'string', 'rows without a CVE are installed software, not findings'),
  finding('softwareVendor', 'finding.softwareVendor'),
  finding('softwareName', 'finding.softwareName'),
  finding('softwareVersion', 'finding.softwareVersion'),
  finding(
    'softwareVendor + softwareName + softwareVersion + cveId',
    'finding.name',
    'string',
    undefined,
    'derived',
  ),
  finding('vulnerabilitySeverityLevel', 'finding.sourceSeverity'),
  finding(
    'vulnerabilitySeverityLevel / cvssScore',
    'finding.severity, finding.score',
    'number',
    'scoring map',
    'derived',
  ),
  finding('cvssScore', 'finding.cvssScore', 'number'),
  finding('firstSeenTimestamp', 'finding.firstFound', 'datetime', 'zone-less, read as UTC'),
  finding('(snapshot generatedTime)', 'finding.lastFound', 'datetime', undefined, 'sync'),
  finding('securityUpdateAvailable', 'finding.securityUpdateAvailable', 'boolean'),
  finding('recommendedSecurityUpdate', 'finding.recommendedSecurityUpdate'),
  finding('recommendedSecurityUpdateId', 'finding.recommendedSecurityUpdateId'),
  finding('recommendedSecurityUpdateUrl', 'finding.recommendedSecurityUpdateUrl'),
  finding('diskPaths', 'finding.diskPaths', 'list'),
  finding('registryPaths', 'finding.registryPaths', 'list'),
  finding('exploitabilityLevel', 'finding.exploitabilityLevel'),
  finding('recommendationReference', 'finding.recommendationReference'),
  finding('rbacGroupId', 'finding.rbacGroupId', 'number'),
  finding('rbacGroupName', 'finding.rbacGroupName'),
  finding(
    'endOfSupportStatus (software inventory)',
    'finding.endOfSupportStatus',
    'string',
    'from the installed software of the same device, vendor, product and version',
    'sync',
  ),
  finding(
    'endOfSupportDate (software inventory)',
    'finding.endOfSupportDate',
    'datetime',
    'from the installed software of the same device, vendor, product and version',
    'sync',
  ),
  {
    entity: 'vulnerabilityDefinition',
    sourceField: 'id',
    dataType: 'string',
    targetField: 'vulnerabilityDefinition.id',
  },
  {
    entity: 'vulnerabilityDefinition',
    sourceField: 'cvssV3',
    dataType: 'number',
    targetField: 'vulnerabilityDefinition.cvssV3',
  },
  {
    entity: 'vulnerabilityDefinition',
    sourceField: 'cvssVector',
    dataType: 'string',
    targetField: 'vulnerabilityDefinition.cvssVector',
  },
  {
    entity: 'vulnerabilityDefinition',
    sourceField: 'epss',
    dataType: 'number',
    targetField: 'vulnerabilityDefinition.epss',
  },
  {
    entity: 'vulnerabilityDefinition',
    sourceField: 'publicExploit / exploitVerified / exploitInKit',
    dataType: 'boolean',
    targetField: 'vulnerabilityDefinition.exploit flags',
  },
  { entity: 'software', sourceField: 'id (vendor-_-name)', dataType: 'string', targetField: 'software.id' },
  {
    entity: 'software',
    sourceField: 'softwareVersion + deviceId (software inventory, else vulnerability rows)',
    dataType: 'list',
    targetField: 'software.versions',
    note: 'each installed version with its device count',
    fill: 'sync',
  },
  {
    entity: 'installedSoftware',
    sourceField: 'deviceId + softwareVendor + softwareName + softwareVersion',
    dataType: 'string',
    targetField: 'installedSoftware (one row)',
  },
  {
    entity: 'installedSoftware',
    sourceField: 'endOfSupportStatus / endOfSupportDate',
    dataType: 'string',
    targetField: 'installedSoftware.endOfSupportStatus / endOfSupportDate',
  },
  {
    entity: 'recommendation',
    sourceField: 'id',
    dataType: 'string',
    targetField: 'recommendation.id',
    note: 'joins finding.recommendationReference',
  },
  { entity: 'alert', sourceField: 'id', dataType: 'string', targetField: 'alert.id' },
  {
    entity: 'alert',
    sourceField: 'machineId',
    dataType: 'string',
    targetField: 'alert.hostId',
    note: 'through the host source',
  },
  {
    entity: 'alert',
    sourceField: 'evidence',
    dataType: 'list',
    targetField: 'alert.evidence',
    note: 'with $expand=evidence',
  },
];
