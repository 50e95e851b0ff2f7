import type { QueryField, QueryFieldType, QuerySpec } from '../normalize/query/compile-query.js';
import type { RecordKind } from './export-kinds.js';

/** A field reading one exported record field as it is. */
const column = (type: QueryFieldType, name: string): QueryField => ({
  type,
  read: (r) => r[name],
  field: name,
});
const text = (name: string) => column('text', name);
const list = (name: string) => column('list', name);
const number = (name: string) => column('number', name);
const date = (name: string) => column('date', name);
const severity = (name: string) => column('severity', name);
const exploit = (name: string) => column('exploit', name);
const boolean = (name: string) => column('boolean', name);

/** Every record in this store came from Microsoft Defender: `source:Defender`. */
const source: QueryField = { type: 'text', read: () => 'Defender' };

/**
 * The query fields of each exportable kind (docs/queries.md lists them). Severity and exploit fields
 * read their entity's own form (a finding's severity 1 to 5, a CVE's `High`, a finding's
 * `ExploitIsVerified`, a CVE's maturity rank) on one scale, so a word means the same everywhere.
 */
export const QUERY_SPECS: Record<RecordKind, QuerySpec> = {
  findings: {
    fields: {
      source,
      severity: severity('severity'),
      score: number('score'),
      cvss: number('cvssScore'),
      cve: text('cveId'),
      status: text('status'),
      software: text('softwareName'),
      vendor: text('softwareVendor'),
      version: text('softwareVersion'),
      host: text('hostName'),
      machine: text('machineId'),
      exploit: exploit('exploitabilityLevel'),
      group: text('rbacGroupName'),
      update: boolean('securityUpdateAvailable'),
      securityUpdate: boolean('securityUpdateAvailable'),
      recommendation: text('recommendationReference'),
      path: {
        type: 'list',
        read: (r) => [
          ...((r.diskPaths as string[] | null) ?? []),
          ...((r.registryPaths as string[] | null) ?? []),
        ],
      },
      endOfSupport: text('endOfSupportStatus'),
      endOfSupportDate: date('endOfSupportDate'),
      firstFound: date('firstFound'),
      lastFound: date('lastFound'),
      lastFixed: date('lastFixed'),
      reopened: number('reopenedCount'),
    },
    textFields: ['name', 'cveId', 'softwareName', 'softwareVendor', 'hostName'],
  },
  hosts: {
    fields: {
      source,
      name: text('name'),
      os: text('osPlatform'),
      osVersion: text('osVersion'),
      tag: list('tags'),
      status: text('status'),
      ip: list('ipAddresses'),
      privateIp: list('privateIpAddresses'),
      publicIp: list('publicIpAddresses'),
      privateDns: list('privateDnsNames'),
      publicDns: list('publicDnsNames'),
      instanceId: text('instanceId'),
      mac: list('macAddresses'),
      risk: severity('riskLevel'),
      riskScore: number('riskScore'),
      vulnerabilities: number('openVulnerabilityCount'),
      topCve: text('topVulnerabilityCveId'),
      topSeverity: severity('topVulnerabilitySeverity'),
      alerts: number('openAlertCount'),
      alertSeverity: severity('topAlertSeverity'),
      health: text('defenderHealthStatus'),
      group: text('defenderRbacGroupName'),
      value: text('defenderDeviceValue'),
      exposure: severity('defenderExposureLevel'),
      defenderRisk: severity('defenderRiskScore'),
      onboarding: text('defenderOnboardingStatus'),
      machine: text('defenderMachineId'),
      externalIp: text('defenderLastExternalIpAddress'),
      agentVersion: text('defenderAgentVersion'),
      rbacGroupId: number('defenderRbacGroupId'),
      aadJoined: boolean('defenderIsAadJoined'),
      aadDeviceId: text('defenderAadDeviceId'),
      managedBy: text('defenderManagedBy'),
      managedByStatus: text('defenderManagedByStatus'),
      lastSeen: date('lastSeen'),
      firstSeen: date('firstSeen'),
      profile: list('profiles'),
    },
    textFields: ['name', 'fqdn', 'hostname', 'defenderMachineId'],
  },
  vulnerabilities: {
    fields: {
      source,
      cve: text('id'),
      severity: severity('severity'),
      cvss: number('cvssV3BaseScore'),
      temporal: number('cvssV3TemporalScore'),
      reported: number('cvssV3'),
      epss: number('epss'),
      exploit: exploit('exploitMaturityRank'),
      maturity: exploit('exploitMaturityRank'),
      patch: boolean('patchAvailable'),
      agrees: boolean('cvssV3ScoreAgrees'),
      av: { type: 'text', read: (r) => (r.cvssV3Components as Record<string, string> | null)?.AV ?? null },
      software: {
        type: 'list',
        read: (r) => ((r.affectedSoftware as Array<{ name: string }> | null) ?? []).map((s) => s.name),
      },
      exposed: number('exposedMachines'),
      published: date('publishedOn'),
      updated: date('updatedOn'),
    },
    textFields: ['id', 'name', 'description'],
  },
  software: {
    fields: {
      source,
      name: text('name'),
      vendor: text('vendor'),
      weaknesses: number('weaknesses'),
      exposed: number('exposedMachines'),
      impact: number('impactScore'),
      publicExploit: boolean('publicExploit'),
      activeAlert: boolean('activeAlert'),
      version: {
        type: 'list',
        read: (r) => ((r.versions as Array<{ version: string }> | null) ?? []).map((v) => v.version),
      },
    },
    textFields: ['id', 'name', 'vendor'],
  },
  'installed-software': {
    fields: {
      source,
      software: text('softwareName'),
      vendor: text('softwareVendor'),
      version: text('softwareVersion'),
      host: text('hostName'),
      machine: text('machineId'),
      kind: text('kind'),
      status: text('status'),
      weaknesses: number('numberOfWeaknesses'),
      endOfSupport: text('endOfSupportStatus'),
      endOfSupportDate: date('endOfSupportDate'),
      firstSeen: date('firstSeen'),
      lastSeen: date('lastSeen'),
    },
    textFields: ['softwareName', 'softwareVendor', 'hostName'],
  },
  recommendations: {
    fields: {
      source,
      name: text('recommendationName'),
      product: text('productName'),
      vendor: text('vendor'),
      category: text('recommendationCategory'),
      subCategory: text('subCategory'),
      status: text('status'),
      remediation: text('remediationType'),
      severityScore: number('severityScore'),
      weaknesses: number('weaknesses'),
      exposed: number('exposedMachinesCount'),
      publicExploit: boolean('publicExploit'),
      activeAlert: boolean('activeAlert'),
      unpatchable: boolean('hasUnpatchableCve'),
    },
    textFields: ['id', 'recommendationName', 'productName', 'vendor'],
  },
  alerts: {
    fields: {
      source,
      severity: severity('severity'),
      status: text('status'),
      title: text('title'),
      category: text('category'),
      classification: text('classification'),
      determination: text('determination'),
      detectionSource: text('detectionSource'),
      machine: text('machineId'),
      host: text('computerDnsName'),
      group: text('rbacGroupName'),
      assignedTo: text('assignedTo'),
      technique: list('mitreTechniques'),
      created: date('alertCreationTime'),
      updated: date('lastUpdateTime'),
      resolved: date('resolvedTime'),
    },
    textFields: ['id', 'title', 'description'],
  },
  runs: {
    fields: {
      state: text('state'),
      mode: text('mode'),
      trigger: text('trigger'),
      started: date('startedAt'),
      finished: date('finishedAt'),
      apiCalls: number('apiCalls'),
    },
    textFields: ['state', 'mode', 'error'],
  },
  profiles: {
    fields: {
      kind: text('kind'),
      name: text('name'),
      os: text('osPlatform'),
      osVersion: text('osVersion'),
      connector: text('connector'),
      hosts: number('hostCount'),
    },
    textFields: ['name'],
  },
  actions: {
    fields: {
      action: text('action'),
      type: text('actionType'),
      status: text('status'),
      outcome: text('outcome'),
      connector: text('connector'),
      host: text('hostName'),
      hostId: number('hostId'),
      machineId: text('machineId'),
      requestedBy: text('requestedBy'),
      requested: date('requestedAt'),
    },
    textFields: ['hostName', 'machineId', 'comment'],
  },
  audit: {
    fields: {
      actor: text('actor'),
      actorKind: text('actorKind'),
      action: text('action'),
      target: text('target'),
      connector: text('connectorName'),
      outcome: text('outcome'),
      at: date('at'),
    },
    textFields: ['actor', 'action', 'target', 'detail'],
  },
};
