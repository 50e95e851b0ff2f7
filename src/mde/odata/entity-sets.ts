/**
 * What each OData entity set of the MDE API accepts: filterable properties, `$top` maximum, value types,
 * `$expand`. The lists are MDE's documented ones (docs/mde-api.md#machine-filters, #cve-catalog,
 * #software, #recommendations, #alerts, #machine-actions); anything else gives 400 ODataError, which is
 * what a connector must be ready for (docs/mde-api.md#documentation-defects). The simulator serves these
 * sets; the client checks a machines `$filter` against them before asking.
 */

/** How a value is compared. `string-collection` is reachable only through a lambda (`any`). */
export const PROPERTY_TYPES = [
  'string',
  'number',
  'datetime',
  'guid',
  'bool',
  'string-collection',
  'object',
  'object-collection',
] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];
export type ScalarPropertyType = Exclude<PropertyType, 'string-collection' | 'object' | 'object-collection'>;

export const FILTER_FUNCTIONS = ['startswith', 'endswith', 'contains'] as const;
export type FilterFunction = (typeof FILTER_FUNCTIONS)[number];

export const ENTITY_SET_NAMES = [
  'machines',
  'alerts',
  'vulnerabilities',
  'machinesVulnerabilities',
  'software',
  'recommendations',
  'machineActions',
] as const;
export type EntitySetName = (typeof ENTITY_SET_NAMES)[number];

export interface EntitySetSpec {
  readonly name: EntitySetName;
  /** The EDM type named in error messages, e.g. `microsoft.windowsDefenderATP.api.PublicAssetDto`. */
  readonly typeName: string;
  readonly maxTop: number;
  /** Every property of the entity, filterable or not, so "unknown" and "not filterable" differ. */
  readonly properties: Readonly<Record<string, PropertyType>>;
  readonly filterable: ReadonlySet<string>;
  readonly orderable: ReadonlySet<string>;
  readonly functions: ReadonlySet<FilterFunction>;
  readonly expandable: ReadonlySet<string>;
  /** Lower-cased name or alias → canonical property name. */
  readonly lookup: ReadonlyMap<string, string>;
}

/** The canonical name of `name` on `spec` (case-insensitive, aliases included), if the entity has it. */
export function resolveProperty(spec: EntitySetSpec, name: string): string | undefined {
  return spec.lookup.get(name.toLowerCase());
}

export function isScalarType(type: PropertyType): type is ScalarPropertyType {
  return type !== 'string-collection' && type !== 'object' && type !== 'object-collection';
}

interface SpecInput {
  name: EntitySetName;
  typeName: string;
  maxTop: number;
  properties: Record<string, PropertyType>;
  filterable: readonly string[];
  functions?: readonly FilterFunction[];
  expandable?: readonly string[];
  aliases?: Record<string, string>;
}

/** Builds a spec and checks it, so a typo in a list below fails at import rather than at query time. */
function defineEntitySet(input: SpecInput): EntitySetSpec {
  const lookup = new Map<string, string>();
  const add = (key: string, canonical: string) => {
    const lower = key.toLowerCase();
    if (lookup.has(lower)) throw new Error(`${input.name}: property name '${key}' is ambiguous`);
    lookup.set(lower, canonical);
  };
  for (const name of Object.keys(input.properties)) add(name, name);
  for (const [alias, target] of Object.entries(input.aliases ?? {})) add(alias, target);
  const typeOf = (name: string) => {
    const type = input.properties[name];
    if (type === undefined) throw new Error(`${input.name}: '${name}' is not a property`);
    return type;
  };
  for (const name of input.filterable) {
    if (!isScalarType(typeOf(name)) && typeOf(name) !== 'string-collection') {
      throw new Error(`${input.name}: '${name}' cannot be filterable`);
    }
  }
  for (const name of input.expandable ?? []) typeOf(name);
  return {
    name: input.name,
    typeName: input.typeName,
    maxTop: input.maxTop,
    properties: input.properties,
    filterable: new Set(input.filterable),
    // Not documented by MDE (docs/mde-api.md#machine-filters); we let every filterable single value be
    // orderable.
    orderable: new Set(input.filterable.filter((n) => isScalarType(typeOf(n)))),
    // startswith is documented (docs/mde-api.md#machine-filters); endswith is allowed alongside it. contains
    // is not documented for MDE, so it is parsed but refused.
    functions: new Set(input.functions ?? ['startswith', 'endswith']),
    expandable: new Set(input.expandable ?? []),
    lookup,
  };
}

/**
 * Property types of each entity, one key per property of its records; the simulator's tests check
 * that each list names exactly the properties of the records it serves.
 */
export const machineProperties = {
  id: 'string',
  computerDnsName: 'string',
  firstSeen: 'datetime',
  lastSeen: 'datetime',
  osPlatform: 'string',
  osVersion: 'string',
  osProcessor: 'string',
  version: 'string',
  lastIpAddress: 'string',
  lastExternalIpAddress: 'string',
  agentVersion: 'string',
  osBuild: 'number',
  healthStatus: 'string',
  deviceValue: 'string',
  // docs/mde-api.md#field-casing: documented as String but a JSON number, and filtered as `rbacGroupId eq
  // 140`.
  rbacGroupId: 'number',
  rbacGroupName: 'string',
  riskScore: 'string',
  exposureLevel: 'string',
  isAadJoined: 'bool',
  aadDeviceId: 'guid',
  machineTags: 'string-collection',
  defenderAvStatus: 'string',
  onboardingStatus: 'string',
  osArchitecture: 'string',
  managedBy: 'string',
  managedByStatus: 'string',
  ipAddresses: 'object-collection',
  vmMetadata: 'object',
  isPotentialDuplication: 'bool',
  mergedIntoMachineId: 'string',
  isExcluded: 'bool',
  exclusionReason: 'string',
} satisfies Record<string, PropertyType>;

export const alertProperties = {
  id: 'string',
  incidentId: 'number',
  investigationId: 'number',
  assignedTo: 'string',
  severity: 'string',
  status: 'string',
  classification: 'string',
  determination: 'string',
  investigationState: 'string',
  detectionSource: 'string',
  detectorId: 'string',
  category: 'string',
  threatFamilyName: 'string',
  threatName: 'string',
  title: 'string',
  description: 'string',
  alertCreationTime: 'datetime',
  firstEventTime: 'datetime',
  lastEventTime: 'datetime',
  lastUpdateTime: 'datetime',
  resolvedTime: 'datetime',
  machineId: 'string',
  computerDnsName: 'string',
  rbacGroupName: 'string',
  aadTenantId: 'guid',
  mitreTechniques: 'string-collection',
  relatedUser: 'object',
  comments: 'object-collection',
  evidence: 'object-collection',
} satisfies Record<string, PropertyType>;

export const cveProperties = {
  id: 'string',
  name: 'string',
  description: 'string',
  severity: 'string',
  cvssV3: 'number',
  cvssVector: 'string',
  exposedMachines: 'number',
  publishedOn: 'datetime',
  updatedOn: 'datetime',
  firstDetected: 'datetime',
  publicExploit: 'bool',
  exploitVerified: 'bool',
  exploitInKit: 'bool',
  exploitTypes: 'string-collection',
  exploitUris: 'string-collection',
  cveSupportability: 'string',
  tags: 'string-collection',
  epss: 'number',
} satisfies Record<string, PropertyType>;

export const machineVulnerabilityProperties = {
  id: 'string',
  cveId: 'string',
  machineId: 'string',
  fixingKbId: 'string',
  productName: 'string',
  productVendor: 'string',
  productVersion: 'string',
  severity: 'string',
} satisfies Record<string, PropertyType>;

export const softwareProperties = {
  id: 'string',
  name: 'string',
  vendor: 'string',
  weaknesses: 'number',
  publicExploit: 'bool',
  activeAlert: 'bool',
  exposedMachines: 'number',
  impactScore: 'number',
} satisfies Record<string, PropertyType>;

export const recommendationProperties = {
  id: 'string',
  productName: 'string',
  recommendationName: 'string',
  weaknesses: 'number',
  vendor: 'string',
  recommendedVersion: 'string',
  recommendedProgram: 'string',
  recommendedVendor: 'string',
  recommendationCategory: 'string',
  subCategory: 'string',
  severityScore: 'number',
  publicExploit: 'bool',
  activeAlert: 'bool',
  associatedThreats: 'string-collection',
  remediationType: 'string',
  status: 'string',
  configScoreImpact: 'number',
  exposureImpact: 'number',
  totalMachineCount: 'number',
  exposedMachinesCount: 'number',
  nonProductivityImpactedAssets: 'number',
  relatedComponent: 'string',
  hasUnpatchableCve: 'bool',
  tags: 'string-collection',
  exposedCriticalDevices: 'number',
} satisfies Record<string, PropertyType>;

/**
 * docs/mde-api.md#machine-actions, plus both last-update spellings (docs/mde-api.md#documentation-defects)
 * and the wire-only fields.
 */
const machineActionProperties: Record<string, PropertyType> = {
  id: 'guid',
  type: 'string',
  title: 'string',
  scope: 'string',
  requestor: 'string',
  externalId: 'string',
  requestSource: 'string',
  commands: 'object-collection',
  cancellationRequestor: 'string',
  cancellationComment: 'string',
  cancellationDateTimeUtc: 'datetime',
  requestorComment: 'string',
  status: 'string',
  machineId: 'string',
  computerDnsName: 'string',
  creationDateTimeUtc: 'datetime',
  lastUpdateDateTimeUtc: 'datetime',
  lastUpdateTimeUtc: 'datetime',
  relatedFileInfo: 'object',
  troubleshootInfo: 'object',
  errorHResult: 'number',
};

export const ENTITY_SETS: Readonly<Record<EntitySetName, EntitySetSpec>> = {
  machines: defineEntitySet({
    name: 'machines',
    typeName: 'microsoft.windowsDefenderATP.api.PublicAssetDto',
    maxTop: 10_000,
    properties: machineProperties,
    // docs/mde-api.md#machine-filters, the 14 of get-machines.md.
    filterable: [
      'computerDnsName',
      'id',
      'version',
      'deviceValue',
      'aadDeviceId',
      'machineTags',
      'lastSeen',
      'exposureLevel',
      'onboardingStatus',
      'lastIpAddress',
      'healthStatus',
      'osPlatform',
      'riskScore',
      'rbacGroupId',
    ],
  }),
  alerts: defineEntitySet({
    name: 'alerts',
    typeName: 'microsoft.windowsDefenderATP.api.PublicAlertV2Dto',
    maxTop: 10_000,
    properties: alertProperties,
    // docs/mde-api.md#alerts; the docs' typo `asssignedTo` (docs/mde-api.md#documentation-defects) is
    // accepted as another name for assignedTo.
    filterable: [
      'alertCreationTime',
      'lastUpdateTime',
      'incidentId',
      'investigationId',
      'id',
      'assignedTo',
      'detectionSource',
      'lastEventTime',
      'status',
      'severity',
      'category',
    ],
    aliases: { asssignedTo: 'assignedTo' },
    expandable: ['evidence'],
  }),
  vulnerabilities: defineEntitySet({
    name: 'vulnerabilities',
    typeName: 'Analytics.Contracts.PublicAPI.PublicVulnerabilityDto',
    maxTop: 8_000,
    properties: cveProperties,
    filterable: ['id', 'name', 'description', 'cvssV3', 'publishedOn', 'severity', 'updatedOn'],
  }),
  machinesVulnerabilities: defineEntitySet({
    name: 'machinesVulnerabilities',
    typeName: 'microsoft.windowsDefenderATP.api.PublicAssetVulnerabilityDto',
    maxTop: 10_000,
    properties: machineVulnerabilityProperties,
    filterable: [
      'id',
      'cveId',
      'machineId',
      'fixingKbId',
      'productName',
      'productVersion',
      'severity',
      'productVendor',
    ],
  }),
  software: defineEntitySet({
    name: 'software',
    typeName: 'Analytics.Contracts.PublicAPI.PublicProductDto',
    maxTop: 10_000,
    properties: softwareProperties,
    filterable: ['id', 'name', 'vendor'],
  }),
  recommendations: defineEntitySet({
    name: 'recommendations',
    typeName: 'Analytics.Contracts.PublicAPI.PublicRecommendationDto',
    maxTop: 10_000,
    properties: recommendationProperties,
    filterable: [
      'id',
      'productName',
      'vendor',
      'recommendedVersion',
      'recommendationCategory',
      'subCategory',
      'severityScore',
      'remediationType',
      'recommendedProgram',
      'recommendedVendor',
      'status',
    ],
  }),
  machineActions: defineEntitySet({
    name: 'machineActions',
    typeName: 'microsoft.windowsDefenderATP.api.PublicMachineActionDto',
    maxTop: 10_000,
    properties: machineActionProperties,
    filterable: ['id', 'status', 'machineId', 'type', 'requestor', 'creationDateTimeUtc'],
  }),
};
