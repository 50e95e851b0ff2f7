import { describe, expect, it } from 'vitest';
import { ENTITY_SET_NAMES, ENTITY_SETS, resolveProperty } from './entity-sets.js';

describe('ENTITY_SETS', () => {
  it.each([
    // docs/mde-api.md#machine-filters
    [
      'machines',
      10_000,
      'computerDnsName id version deviceValue aadDeviceId machineTags lastSeen exposureLevel onboardingStatus lastIpAddress healthStatus osPlatform riskScore rbacGroupId',
    ],
    // docs/mde-api.md#alerts
    [
      'alerts',
      10_000,
      'alertCreationTime lastUpdateTime incidentId investigationId id assignedTo detectionSource lastEventTime status severity category',
    ],
    // docs/mde-api.md#cve-catalog, #software, #recommendations, #machine-actions
    ['vulnerabilities', 8_000, 'id name description cvssV3 publishedOn severity updatedOn'],
    [
      'machinesVulnerabilities',
      10_000,
      'id cveId machineId fixingKbId productName productVersion severity productVendor',
    ],
    ['software', 10_000, 'id name vendor'],
    [
      'recommendations',
      10_000,
      'id productName vendor recommendedVersion recommendationCategory subCategory severityScore remediationType recommendedProgram recommendedVendor status',
    ],
    ['machineActions', 10_000, 'id status machineId type requestor creationDateTimeUtc'],
  ] as const)('%s: $top max %i and the documented filterable properties', (name, maxTop, filterable) => {
    const spec = ENTITY_SETS[name];
    expect(spec.name).toBe(name);
    expect(spec.maxTop).toBe(maxTop);
    expect([...spec.filterable].sort()).toEqual(filterable.split(' ').sort());
  });

  it('lets every filterable single-valued property be ordered on, and no collection', () => {
    for (const name of ENTITY_SET_NAMES) {
      const spec = ENTITY_SETS[name];
      for (const property of spec.filterable) {
        const collection = spec.properties[property] === 'string-collection';
        expect(spec.orderable.has(property), `${name}.${property}`).toBe(!collection);
      }
      for (const property of spec.orderable) expect(spec.filterable.has(property)).toBe(true);
    }
  });

  it('allows startswith and endswith everywhere, contains nowhere, and $expand only for alert evidence', () => {
    for (const name of ENTITY_SET_NAMES) {
      const spec = ENTITY_SETS[name];
      expect([...spec.functions].sort()).toEqual(['endswith', 'startswith']);
      expect([...spec.expandable]).toEqual(name === 'alerts' ? ['evidence'] : []);
    }
  });

  it('types the properties the evaluator must compare specially', () => {
    expect(ENTITY_SETS.machines.properties).toMatchObject({
      lastSeen: 'datetime',
      rbacGroupId: 'number',
      aadDeviceId: 'guid',
      machineTags: 'string-collection',
      riskScore: 'string',
    });
    expect(ENTITY_SETS.vulnerabilities.properties.cvssV3).toBe('number');
    expect(ENTITY_SETS.machineActions.properties.id).toBe('guid');
    expect(ENTITY_SETS.alerts.properties.incidentId).toBe('number');
  });

  it('resolves names case-insensitively and through aliases', () => {
    expect(resolveProperty(ENTITY_SETS.machines, 'ComputerDnsName')).toBe('computerDnsName');
    expect(resolveProperty(ENTITY_SETS.machines, 'RBACGROUPID')).toBe('rbacGroupId');
    expect(resolveProperty(ENTITY_SETS.alerts, 'InvestigationId')).toBe('investigationId');
    expect(resolveProperty(ENTITY_SETS.alerts, 'asssignedTo')).toBe('assignedTo');
    expect(resolveProperty(ENTITY_SETS.machines, 'asssignedTo')).toBeUndefined();
    expect(resolveProperty(ENTITY_SETS.machines, 'nope')).toBeUndefined();
  });
});
