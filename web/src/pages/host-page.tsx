import { useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, type ReactNode, useState } from 'react';
import { api } from '../api';
import { LevelBadge, SeverityBadge } from '../components/badge';
import { ErrorNote, Loading } from '../components/states';
import { Value } from '../components/value';
import { Link } from '../router';
import { DefenderTab } from './defender-tab';
import { type Row, RowsTable } from './rows-table';

export interface HostDetail {
  host: Row;
  sources: Row[];
  openFindings: { items: Row[]; more: boolean };
  installedSoftware: { items: Row[]; more: boolean };
  alerts: { items: Row[]; more: boolean };
  profiles: Row[];
  risk: {
    score: number | null;
    level: string | null;
    components: { vulnerability: number; alert: number; defenderRisk: number; exposure: number };
  };
  portalLinks: Record<string, string | null>;
  actions?: Row[];
}

const TABS = ['Overview', 'Sources', 'Findings', 'Software', 'Alerts', 'Microsoft Defender'] as const;
type Tab = (typeof TABS)[number];

/** The host summary: overview, sources, findings, software, alerts and the Microsoft Defender tab. */
export function HostPage({ id }: { id: number }) {
  const [tab, setTab] = useState<Tab>('Overview');
  const detail = useQuery({ queryKey: ['hosts', id], queryFn: () => api<HostDetail>(`/api/hosts/${id}`) });
  if (detail.isPending) return <Loading />;
  if (detail.error) return <ErrorNote error={detail.error} />;
  const d = detail.data;
  const h = d.host;

  const keyDown = (e: KeyboardEvent<HTMLButtonElement>) => {
    const i = TABS.indexOf(tab);
    const next =
      e.key === 'ArrowRight'
        ? TABS[(i + 1) % TABS.length]
        : e.key === 'ArrowLeft'
          ? TABS[(i - 1 + TABS.length) % TABS.length]
          : e.key === 'Home'
            ? TABS[0]
            : e.key === 'End'
              ? TABS[TABS.length - 1]
              : undefined;
    if (!next) return;
    e.preventDefault();
    setTab(next);
    document.getElementById(tabId(next))?.focus();
  };

  return (
    <section aria-labelledby="host-title">
      <p>
        <Link href="/hosts">← Hosts</Link>
      </p>
      <h1 id="host-title">
        {String(h.name ?? `host ${id}`)} <LevelBadge level={d.risk.level} label="Risk" />
      </h1>
      <div role="tablist" aria-label="Host summary" className="tabs">
        {TABS.map((t) => (
          <button
            key={t}
            id={tabId(t)}
            type="button"
            role="tab"
            aria-selected={t === tab}
            aria-controls={`${tabId(t)}-panel`}
            tabIndex={t === tab ? 0 : -1}
            onClick={() => setTab(t)}
            onKeyDown={keyDown}
          >
            {t}
            {t === 'Findings' ? ` (${d.openFindings.items.length}${d.openFindings.more ? '+' : ''})` : ''}
            {t === 'Alerts' ? ` (${d.alerts.items.length}${d.alerts.more ? '+' : ''})` : ''}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${tabId(tab)}-panel`} aria-labelledby={tabId(tab)} className="tabpanel">
        {tab === 'Overview' && <Overview d={d} />}
        {tab === 'Sources' && <Sources sources={d.sources} />}
        {tab === 'Findings' && (
          <Related
            more={d.openFindings.more}
            moreHref={`/findings?q=${encodeURIComponent(`host:"${String(h.name)}" status:open`)}`}
          >
            <RowsTable
              rows={d.openFindings.items}
              empty="No open findings."
              columns={[
                ['name', 'Finding'],
                ['severity', 'Severity', (r) => <SeverityBadge severity={r.severity as number} />],
                ['score', 'Score'],
                [
                  'cveId',
                  'CVE',
                  (r) =>
                    r.cveId ? (
                      <Link className="nowrap" href={`/vulnerabilities/${String(r.cveId)}`}>
                        {String(r.cveId)}
                      </Link>
                    ) : (
                      '—'
                    ),
                ],
                ['securityUpdateAvailable', 'Update available'],
                ['firstFound', 'First found'],
              ]}
            />
          </Related>
        )}
        {tab === 'Software' && (
          <Related more={d.installedSoftware.more}>
            <RowsTable
              rows={d.installedSoftware.items}
              empty="No installed software reported."
              columns={[
                ['softwareName', 'Software'],
                ['softwareVendor', 'Vendor'],
                ['softwareVersion', 'Version'],
                ['numberOfWeaknesses', 'Weaknesses'],
                ['endOfSupportStatus', 'End of support'],
              ]}
            />
          </Related>
        )}
        {tab === 'Alerts' && (
          <Related more={d.alerts.more}>
            <RowsTable
              rows={d.alerts.items}
              empty="No alerts."
              columns={[
                ['title', 'Alert'],
                ['severity', 'Severity', (r) => <LevelBadge level={r.severity as string} />],
                ['status', 'Status'],
                ['category', 'Category'],
                ['alertCreationTime', 'Created'],
              ]}
            />
          </Related>
        )}
        {tab === 'Microsoft Defender' && <DefenderTab hostId={id} detail={d} />}
      </div>
    </section>
  );
}

const round = (n: number) => Math.round(n * 100) / 100;

const tabId = (t: string) => `host-tab-${t.toLowerCase().replace(/\s+/g, '-')}`;

function Related({ more, moreHref, children }: { more: boolean; moreHref?: string; children: ReactNode }) {
  return (
    <>
      {children}
      {more && (
        <p className="muted">
          Only the first 500 are shown. {moreHref && <Link href={moreHref}>See them all in the list</Link>}
        </p>
      )}
    </>
  );
}

const OVERVIEW_FIELDS: Array<[string, string]> = [
  ['name', 'Name'],
  ['fqdn', 'FQDN'],
  ['hostname', 'Host name'],
  ['ipAddresses', 'IP addresses'],
  ['macAddresses', 'MAC addresses'],
  ['osPlatform', 'OS'],
  ['osVersion', 'OS version'],
  ['osBuild', 'OS build'],
  ['osArchitecture', 'Architecture'],
  ['status', 'Status'],
  ['network', 'Network'],
  ['tags', 'Tags'],
  ['firstSeen', 'First seen'],
  ['lastSeen', 'Last seen'],
];

function Overview({ d }: { d: HostDetail }) {
  const c = d.risk.components;
  return (
    <div className="two-columns">
      <dl className="facts">
        {OVERVIEW_FIELDS.map(([k, label]) => (
          <FactRow key={k} label={label} value={d.host[k]} />
        ))}
      </dl>
      <div>
        <h2>Risk</h2>
        <p>
          <LevelBadge level={d.risk.level} /> score <strong>{d.risk.score ?? '—'}</strong>
        </p>
        <table className="compact">
          <caption>Points of each input</caption>
          <tbody>
            <tr>
              <th scope="row">Vulnerabilities</th>
              <td>{round(c.vulnerability)}</td>
            </tr>
            <tr>
              <th scope="row">Alerts</th>
              <td>{round(c.alert)}</td>
            </tr>
            <tr>
              <th scope="row">Defender risk score</th>
              <td>{round(c.defenderRisk)}</td>
            </tr>
            <tr>
              <th scope="row">Exposure level</th>
              <td>{round(c.exposure)}</td>
            </tr>
          </tbody>
        </table>
        <h2>Profiles</h2>
        {d.profiles.length === 0 ? (
          <p className="muted">No profile.</p>
        ) : (
          <ul>
            {d.profiles.map((p) => (
              <li key={String(p.id)}>
                {String(p.name)}{' '}
                <span className="muted">
                  ({String(p.kind)}, match {String(p.matchScore ?? '')})
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function FactRow({ label, value }: { label: string; value: unknown }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>
        <Value value={value} />
      </dd>
    </>
  );
}

/** Every Defender field of every machine record of the host. */
function Sources({ sources }: { sources: Row[] }) {
  if (sources.length === 0) return <p className="muted">No source reports this host any more.</p>;
  return (
    <>
      {sources.map((s) => (
        <section key={String(s.id)} className="card" aria-label={`Source ${String(s.machineId ?? s.id)}`}>
          <h2>
            {String(s.source ?? 'Defender')}{' '}
            <span className="muted small">machine {String(s.machineId ?? '')}</span>
          </h2>
          <dl className="facts">
            {Object.entries(s)
              .filter(([k]) => !['id', 'hostId', 'connectorId', 'contentHash', 'raw'].includes(k))
              .map(([k, v]) => (
                <FactRow key={k} label={k} value={v} />
              ))}
          </dl>
        </section>
      ))}
    </>
  );
}
