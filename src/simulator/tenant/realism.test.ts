import { beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedTenant } from './create-simulated-tenant.js';
import { scoreOfVector, severityOfScore } from './cvss.js';
import { SNAPSHOT_MS } from './simulated-tenant.js';
import type { CveRecord, MachineRecord, VulnerabilityRow } from './types.js';

const ORIGIN = Date.parse('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
const tenant = createSimulatedTenant({
  devices: 2000,
  seed: 77,
  originMs: ORIGIN,
  tenantId: 'a839b112-1253-6432-9bf6-94542403f21c',
});

let machines: MachineRecord[];
let rows: VulnerabilityRow[][];
let cves: Map<string, CveRecord>;

beforeAll(() => {
  machines = [...tenant.machines(ORIGIN)];
  rows = machines.map((_, i) => tenant.vulnerabilityRows(i, 0));
  cves = new Map(tenant.cves(0).map((c) => [c.id, c]));
});

function countWhere<T>(list: readonly T[], test: (item: T) => boolean): number {
  return list.reduce((n, item) => n + (test(item) ? 1 : 0), 0);
}

describe('realism of a 2,000-device tenant', () => {
  it('has every OS, with matching version fields', () => {
    const platforms = new Set(machines.map((m) => m.osPlatform));
    expect([...platforms].sort()).toEqual([
      'Android',
      'Linux',
      'Windows10',
      'Windows11',
      'WindowsServer2019',
      'WindowsServer2022',
      'iOS',
      'macOS',
    ]);
    for (const m of machines) {
      if (m.osPlatform === 'Windows10') {
        expect(m.osBuild).toBe(19045);
        expect(m.version).toBe('22H2');
        expect(m.osVersion).toMatch(/^10\.0\.19045\.\d+$/);
      }
      if (m.osPlatform === 'macOS') expect(m.osBuild).toBeNull();
    }
  });

  it('has merged records pointing at surviving machines, and potential duplicates sharing a name', () => {
    const merged = machines.filter((m) => m.mergedIntoMachineId !== null);
    expect(merged.length).toBeGreaterThan(5);
    for (const m of merged) {
      const target = tenant.machineIndexById(m.mergedIntoMachineId!);
      expect(target).toBeDefined();
      expect(machines[target!]!.mergedIntoMachineId).toBeNull();
      expect(m.computerDnsName).toBe(machines[target!]!.computerDnsName);
      expect(tenant.vulnerabilityRows(tenant.machineIndexById(m.id)!, 0)).toEqual([]);
    }
    const duplicates = machines.filter((m) => m.isPotentialDuplication);
    expect(duplicates.length).toBeGreaterThan(5);
    const names = machines.map((m) => m.computerDnsName);
    expect(
      countWhere(
        duplicates,
        (d) => d.computerDnsName !== null && names.filter((n) => n === d.computerDnsName).length > 1,
      ),
    ).toBeGreaterThan(0);
  });

  it('has all-zero and missing AAD device ids, odd host names and missing DNS names', () => {
    const zero = machines.filter((m) => m.aadDeviceId === '00000000-0000-0000-0000-000000000000');
    expect(zero.length).toBeGreaterThan(10);
    for (const m of zero) expect(m.isAadJoined).toBe(false);
    expect(countWhere(machines, (m) => m.aadDeviceId === null)).toBeGreaterThan(10);
    expect(countWhere(machines, (m) => /[ ()]/.test(m.computerDnsName ?? ''))).toBeGreaterThan(2);
    expect(countWhere(machines, (m) => m.computerDnsName === null)).toBeGreaterThan(2);
    expect(countWhere(machines, (m) => m.vmMetadata !== null)).toBeGreaterThan(10);
    expect(
      countWhere(machines, (m) =>
        m.ipAddresses.some((ip) => ip.macAddress === null && ip.type === 'SoftwareLoopback'),
      ),
    ).toBeGreaterThan(10);
    expect(countWhere(machines, (m) => /\.\d{7}Z$/.test(m.lastSeen))).toBeGreaterThan(100);
    expect(new Set(machines.map((m) => m.deviceValue))).toEqual(new Set(['Normal', 'Low', 'High', null]));
  });

  it('has health and onboarding states, and only onboarded devices have TVM rows', () => {
    const health = new Set(machines.map((m) => m.healthStatus));
    for (const state of ['Active', 'Inactive', 'NoSensorData', 'ImpairedCommunication'])
      expect(health).toContain(state);
    const onboarding = new Set(machines.map((m) => m.onboardingStatus));
    for (const state of ['Onboarded', 'CanBeOnboarded', 'Unsupported', 'InsufficientInfo'])
      expect(onboarding).toContain(state);
    expect(countWhere(machines, (m) => m.healthStatus === 'Active') / machines.length).toBeGreaterThan(0.75);
    machines.forEach((m, i) => {
      if (m.onboardingStatus !== 'Onboarded' || m.mergedIntoMachineId !== null || m.isExcluded)
        expect(rows[i]).toEqual([]);
      else expect(rows[i]!.length).toBeGreaterThan(0);
    });
  });

  it('has devices last seen long ago, and more go stale as the clock advances', () => {
    const stale = (list: MachineRecord[], at: number) =>
      countWhere(list, (m) => at - Date.parse(m.lastSeen) > 30 * DAY);
    expect(stale(machines, ORIGIN)).toBeGreaterThan(40);
    const later = ORIGIN + 90 * DAY;
    expect(stale([...tenant.machines(later)], later)).toBeGreaterThan(stale(machines, ORIGIN) + 40);
    const inactive = (at: number) =>
      countWhere([...tenant.machines(at)], (m) => m.healthStatus === 'Inactive');
    expect(inactive(later)).toBeGreaterThan(inactive(ORIGIN));
  });

  it('has rows without a CVE, TVM ids, CVSS 3.0 vectors and CVEs without a vector', () => {
    const all = rows.flat();
    expect(all.length / countWhere(rows, (r) => r.length > 0)).toBeGreaterThan(20);
    expect(all.length / countWhere(rows, (r) => r.length > 0)).toBeLessThan(45);
    expect(countWhere(all, (r) => r.cveId === null)).toBeGreaterThan(1000);
    const ids = [...cves.keys()];
    expect(countWhere(ids, (id) => /^TVM-\d{4}-\d{4}$/.test(id))).toBeGreaterThan(0);
    expect(countWhere(ids, (id) => /^CVE-\d{4}-\d{4,5}$/.test(id))).toBeGreaterThan(500);
    const list = [...cves.values()];
    expect(countWhere(list, (c) => c.cvssVector?.startsWith('CVSS:3.0/') === true)).toBeGreaterThan(5);
    expect(countWhere(list, (c) => c.cvssVector === null && c.cvssV3 === null)).toBeGreaterThan(0);
    expect(countWhere(list, (c) => c.cvssVector?.includes('/E:') === true)).toBeGreaterThan(50);
    for (const c of list) {
      if (c.cvssVector === null) continue;
      expect(scoreOfVector(c.cvssVector), c.id).toBe(c.cvssV3);
      expect(c.severity).toBe(severityOfScore(c.cvssV3!));
    }
    const vendors = new Set(all.map((r) => `${r.softwareVendor}/${r.softwareName}`));
    for (const v of [
      'microsoft/edge_chromium-based',
      'google/chrome',
      'mozilla/firefox',
      'oracle/jre',
      'adobe/acrobat_reader',
      'openssl/openssl',
      'microsoft/windows_10',
    ]) {
      expect(vendors).toContain(v);
    }
  });

  it('keeps rows consistent with the CVE catalog and the recommendations', () => {
    const recommendations = new Set(tenant.recommendations(0).map((r) => r.id));
    expect(countWhere([...recommendations], (id) => id.startsWith('sca-_-scid-'))).toBeGreaterThan(0);
    const levels = ['NoExploit', 'ExploitIsPublic', 'ExploitIsVerified', 'ExploitIsInKit'];
    const seenLevels = new Set<string>();
    // Plain checks collected into one list: 60,000 rows through expect() would dominate the run.
    const problems: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok && problems.length < 20) problems.push(what);
    };
    for (const row of rows.flat()) {
      check(
        row.id === `${row.deviceId}_${row.softwareName}_${row.softwareVersion}_${row.cveId ?? ''}_`,
        `id ${row.id}`,
      );
      if (row.cveId === null) {
        check(
          row.vulnerabilitySeverityLevel === null && row.cvssScore === null,
          `null row severity ${row.id}`,
        );
        check(row.exploitabilityLevel === 'NoExploit', `null row exploitability ${row.id}`);
        continue;
      }
      const cve = cves.get(row.cveId);
      if (cve === undefined) {
        check(false, `unknown CVE ${row.cveId}`);
        continue;
      }
      check(row.cvssScore === cve.cvssV3, `score ${row.id}`);
      check(row.vulnerabilitySeverityLevel === cve.severity, `severity ${row.id}`);
      const level = levels.indexOf(row.exploitabilityLevel);
      seenLevels.add(row.exploitabilityLevel);
      check(
        cve.publicExploit === level >= 1 &&
          cve.exploitVerified === level >= 2 &&
          cve.exploitInKit === level >= 3,
        `exploit flags ${row.id}`,
      );
      check(
        recommendations.has(row.recommendationReference),
        `recommendation ${row.recommendationReference}`,
      );
      if (row.recommendedSecurityUpdateId !== null) {
        check(row.softwareVendor === 'microsoft', `KB on non-Microsoft row ${row.id}`);
        check(
          /^[A-Z][a-z]+ \d{4} Security Updates$/.test(row.recommendedSecurityUpdate ?? ''),
          `KB name ${row.id}`,
        );
        check(
          row.recommendedSecurityUpdateUrl?.includes(`KB${row.recommendedSecurityUpdateId}`) === true,
          `KB url ${row.id}`,
        );
      }
    }
    expect(problems).toEqual([]);
    expect(seenLevels.size).toBe(4);
    expect(countWhere(rows.flat(), (r) => r.recommendedSecurityUpdateId !== null)).toBeGreaterThan(100);
  });

  it('counts exposure, software, recommendations and ground truth from the same rows', () => {
    const devicesByCve = new Map<string, Set<string>>();
    const installsByProduct = new Map<string, Set<string>>();
    const exposedByProduct = new Map<string, Set<string>>();
    let withCve = 0;
    for (const row of rows.flat()) {
      const product = `${row.softwareVendor}-_-${row.softwareName}`;
      if (!installsByProduct.has(product)) installsByProduct.set(product, new Set());
      installsByProduct.get(product)!.add(row.deviceId);
      if (row.cveId === null) continue;
      withCve++;
      if (!devicesByCve.has(row.cveId)) devicesByCve.set(row.cveId, new Set());
      devicesByCve.get(row.cveId)!.add(row.deviceId);
      if (!exposedByProduct.has(product)) exposedByProduct.set(product, new Set());
      exposedByProduct.get(product)!.add(row.deviceId);
    }
    expect(cves.size).toBe(devicesByCve.size);
    for (const [id, devices] of devicesByCve) expect(cves.get(id)?.exposedMachines, id).toBe(devices.size);
    const software = tenant.software(0);
    expect(software.length).toBe(installsByProduct.size);
    for (const sw of software) {
      expect(sw.exposedMachines, sw.id).toBe(exposedByProduct.get(sw.id)?.size ?? 0);
      const distributions = tenant.softwareDistributions(sw.id, 0)!;
      expect(distributions.reduce((n, d) => n + d.installations, 0)).toBe(installsByProduct.get(sw.id)!.size);
    }
    for (const rec of tenant.recommendations(0)) {
      if (!rec.id.startsWith('va-_-')) continue;
      const product = rec.id.slice(5);
      expect(rec.exposedMachinesCount, rec.id).toBe(exposedByProduct.get(product)!.size);
      expect(rec.totalMachineCount, rec.id).toBe(installsByProduct.get(product)!.size);
    }
    const truth = tenant.groundTruth(0, ORIGIN);
    expect(truth.machines).toBe(2000);
    expect(truth.onboardedMachines).toBe(countWhere(machines, (m) => m.onboardingStatus === 'Onboarded'));
    expect(truth.vulnerabilityRows).toBe(rows.flat().length);
    expect(truth.vulnerabilityRowsWithCve).toBe(withCve);
    expect(truth.machinesWithVulnerabilityData).toBe(countWhere(rows, (r) => r.length > 0));
    expect(truth.distinctCves).toBe(devicesByCve.size);
    expect(truth.software).toBe(software.length);
    expect(truth.recommendations).toBe(tenant.recommendations(0).length);
    let inventory = 0;
    let nonCpe = 0;
    for (let i = 0; i < machines.length; i++) {
      inventory += tenant.inventoryRows(i, 0).length;
      nonCpe += tenant.nonCpeInventoryRows(i, 0).length;
    }
    expect(truth.inventoryRows).toBe(inventory);
    expect(truth.nonCpeInventoryRows).toBe(nonCpe);
    expect(truth.alerts).toBe([...tenant.alerts(ORIGIN)].length);
  });

  it('has end-of-support data on inventory rows', () => {
    const statuses = new Set<string>();
    for (let i = 0; i < 300; i++)
      for (const row of tenant.inventoryRows(i, 0)) statuses.add(row.endOfSupportStatus);
    for (const s of ['None', 'EOS Version', 'Upcoming EOS Version', 'EOS Software'])
      expect(statuses).toContain(s);
  });

  it('raises about one alert per five devices, then more, moving New -> InProgress -> Resolved', () => {
    const atOrigin = [...tenant.alerts(ORIGIN)];
    expect(atOrigin.length).toBe(400);
    const later = ORIGIN + 20 * DAY;
    const after = [...tenant.alerts(later)];
    expect(after.length).toBeGreaterThan(atOrigin.length + 200);
    for (const alert of atOrigin.slice(0, 50)) {
      expect(tenant.alertById(alert.id, ORIGIN)).toEqual(alert);
      const machine = machines[tenant.machineIndexById(alert.machineId)!]!;
      expect(alert.computerDnsName).toBe(machine.computerDnsName);
      expect(alert.rbacGroupName).toBe(machine.rbacGroupName);
      expect(alert.aadTenantId).toBe('a839b112-1253-6432-9bf6-94542403f21c');
    }
    expect(tenant.alertById('da637472900382838869_1364969609', ORIGIN)).toBeUndefined();
    expect(tenant.alertById(after[after.length - 1]!.id, ORIGIN)).toBeUndefined();
    // Follow new alerts over time: status only moves forward, lastUpdateTime with it.
    const order = ['New', 'InProgress', 'Resolved'];
    const fresh = after.slice(atOrigin.length, atOrigin.length + 60);
    let resolvedLater = 0;
    for (const alert of fresh) {
      const created = Date.parse(alert.alertCreationTime);
      const atCreation = tenant.alertById(alert.id, created + 10_000)!;
      expect(atCreation.status).toBe('New');
      expect(atCreation.resolvedTime).toBeNull();
      let previous = atCreation;
      for (const dt of [DAY, 3 * DAY, 10 * DAY]) {
        const next = tenant.alertById(alert.id, created + dt)!;
        expect(order.indexOf(next.status)).toBeGreaterThanOrEqual(order.indexOf(previous.status));
        expect(Date.parse(next.lastUpdateTime)).toBeGreaterThanOrEqual(Date.parse(previous.lastUpdateTime));
        if (next.status === 'Resolved') {
          expect(next.resolvedTime).toBe(next.lastUpdateTime);
          expect(next.classification).not.toBeNull();
        }
        previous = next;
      }
      if (previous.status === 'Resolved') resolvedLater++;
    }
    expect(resolvedLater).toBeGreaterThan(10);
  });

  it('moves the estate as the clock advances', () => {
    const later = ORIGIN + 8 * SNAPSHOT_MS;
    expect(tenant.machineCount(later)).toBe(2000 + 8 * 2);
    const truth = tenant.groundTruth(8, later);
    expect(truth.machines).toBe(2016);
    expect(truth.vulnerabilityRows).not.toBe(tenant.groundTruth(0, ORIGIN).vulnerabilityRows);
  });
});
