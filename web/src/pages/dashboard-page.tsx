import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useMemo } from 'react';
import { api, type ListPage, withQuery } from '../api';
import { LevelBadge } from '../components/badge';
import type { ChartOption } from '../components/chart';
import { Empty, ErrorNote, Loading } from '../components/states';
import { Time } from '../components/time';
import { connectorsKey, listConnectors } from '../connectors';
import { Link } from '../router';
import { StateBadge } from './run-parts';

// ECharts is most of the console's weight: it loads with the dashboard, not before sign-in.
const Chart = lazy(() => import('../components/chart').then((m) => ({ default: m.Chart })));

interface Overview {
  connectors: number;
  hostsByStatus: Record<string, number>;
  hostsByRiskLevel: Record<string, number>;
  openFindingsBySeverity: Record<string, number>;
  alertsBySeverity: Record<string, number>;
  runsByState: Record<string, number>;
}

const SEVERITY_ORDER = [
  '5',
  '4',
  '3',
  '2',
  '1',
  'Critical',
  'High',
  'Medium',
  'Low',
  'Informational',
  'none',
];
const SEVERITY_NAMES: Record<string, string> = {
  '5': 'Critical',
  '4': 'High',
  '3': 'Medium',
  '2': 'Low',
  '1': 'Informational',
};
const COLORS: Record<string, string> = {
  Critical: '#8e1b1b',
  High: '#c2410c',
  Medium: '#a16207',
  Low: '#15803d',
  Informational: '#475569',
  none: '#94a3b8',
  None: '#94a3b8',
};

function ordered(counts: Record<string, number>): Array<[string, number]> {
  const rank = (k: string) => {
    const i = SEVERITY_ORDER.findIndex((s) => s.toLowerCase() === k.toLowerCase());
    return i < 0 ? SEVERITY_ORDER.length : i;
  };
  return Object.entries(counts)
    .map(([k, v]): [string, number] => [SEVERITY_NAMES[k] ?? k, v])
    .sort((a, b) => rank(a[0]) - rank(b[0]));
}

function barOption(data: Array<[string, number]>): ChartOption {
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 16, bottom: 32 },
    xAxis: { type: 'category', data: data.map(([k]) => k) },
    yAxis: { type: 'value' },
    series: [
      {
        type: 'bar',
        data: data.map(([k, v]) => ({ value: v, itemStyle: { color: COLORS[k] ?? '#1d4ed8' } })),
      },
    ],
  };
}

function donutOption(data: Array<[string, number]>): ChartOption {
  return {
    tooltip: { trigger: 'item' },
    legend: { bottom: 0, formatter: (name: string) => `${name} ${data.find(([k]) => k === name)?.[1] ?? 0}` },
    series: [
      {
        type: 'pie',
        radius: ['45%', '70%'],
        top: -20,
        label: { show: false },
        data: data.map(([k, v]) => ({ name: k, value: v, itemStyle: { color: COLORS[k] } })),
      },
    ],
  };
}

const describe = (data: Array<[string, number]>) => data.map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

/** The dashboard: the store at a glance, as charts, with the lists behind them one click away. */
export function DashboardPage() {
  const overview = useQuery({ queryKey: ['stats'], queryFn: () => api<Overview>('/api/stats/overview') });
  const software = useQuery({
    queryKey: ['list', 'software', 'top'],
    queryFn: () => api<ListPage>(withQuery('/api/software', { sort: '-exposedMachines', limit: 8 })),
  });
  const exploitable = useQuery({
    queryKey: ['list', 'vulnerabilities', 'exploitable'],
    queryFn: () =>
      api<ListPage>(
        withQuery('/api/vulnerabilities', { query: 'exploit>=public', sort: '-cvssV3BaseScore', limit: 8 }),
      ),
  });
  const connectors = useQuery({ queryKey: connectorsKey, queryFn: listConnectors });
  const charts = useMemo(() => {
    if (!overview.data) return undefined;
    const findings = ordered(overview.data.openFindingsBySeverity);
    const risk = ordered(overview.data.hostsByRiskLevel);
    const alerts = ordered(overview.data.alertsBySeverity);
    return {
      findings: { option: barOption(findings), label: `Open findings by severity: ${describe(findings)}` },
      risk: { option: donutOption(risk), label: `Hosts by risk level: ${describe(risk)}` },
      alerts: { option: barOption(alerts), label: `Alerts by severity: ${describe(alerts)}` },
    };
  }, [overview.data]);

  if (overview.isPending) return <Loading />;
  if (overview.error) return <ErrorNote error={overview.error} />;
  const o = overview.data;
  const hosts = Object.values(o.hostsByStatus).reduce((a, b) => a + b, 0);
  const open = Object.values(o.openFindingsBySeverity).reduce((a, b) => a + b, 0);
  if (o.connectors === 0)
    return (
      <section>
        <h1>Dashboard</h1>
        <Empty>
          Nothing synced yet. <Link href="/integrations">Add a Defender connector</Link> to bring in hosts and
          findings.
        </Empty>
      </section>
    );
  return (
    <section aria-labelledby="dashboard-title">
      <h1 id="dashboard-title">Dashboard</h1>
      <div className="cards">
        <div className="card fact">
          <span className="fact-label">Hosts</span>
          <span className="fact-value">{hosts.toLocaleString()}</span>
        </div>
        <div className="card fact">
          <span className="fact-label">Open findings</span>
          <span className="fact-value">{open.toLocaleString()}</span>
        </div>
        <div className="card fact">
          <span className="fact-label">Connectors</span>
          <span className="fact-value">{o.connectors}</span>
        </div>
      </div>
      <Suspense fallback={<Loading what="Drawing the charts" />}>
        <div className="chart-grid">
          <figure className="card">
            <figcaption>
              <Link href="/findings?q=status%3Aopen">Open findings by severity</Link>
            </figcaption>
            {charts && <Chart {...charts.findings} />}
          </figure>
          <figure className="card">
            <figcaption>
              <Link href="/hosts">Hosts by risk level</Link>
            </figcaption>
            {charts && <Chart {...charts.risk} />}
          </figure>
          <figure className="card">
            <figcaption>
              <Link href="/alerts">Alerts by severity</Link>
            </figcaption>
            {charts && Object.keys(o.alertsBySeverity).length > 0 ? (
              <Chart {...charts.alerts} />
            ) : (
              <Empty>No alerts.</Empty>
            )}
          </figure>
        </div>
      </Suspense>
      <div className="chart-grid">
        <div className="card">
          <h2>Top vulnerable software</h2>
          {software.error ? (
            <ErrorNote error={software.error} />
          ) : (
            <ol className="top-list">
              {(software.data?.items ?? []).map((s) => (
                <li key={String(s.id)}>
                  {String(s.name)} <span className="muted">({String(s.vendor ?? '')})</span>:{' '}
                  {String(s.exposedMachines ?? 0)} devices, {String(s.weaknesses ?? 0)} weaknesses
                </li>
              ))}
            </ol>
          )}
        </div>
        <div className="card">
          <h2>Exploitable CVEs</h2>
          {exploitable.error ? (
            <ErrorNote error={exploitable.error} />
          ) : (
            <>
              <p className="muted small">{exploitable.data?.total ?? 0} with a public exploit or worse</p>
              <ol className="top-list">
                {(exploitable.data?.items ?? []).map((v) => (
                  <li key={String(v.id)}>
                    <Link href={`/vulnerabilities/${String(v.id)}`}>{String(v.id)}</Link>{' '}
                    <LevelBadge level={v.severity as string} /> CVSS {String(v.cvssV3BaseScore ?? '—')}
                  </li>
                ))}
              </ol>
            </>
          )}
        </div>
        <div className="card">
          <h2>Last run per connector</h2>
          <ul className="top-list">
            {(connectors.data?.items ?? []).map((c) => (
              <li key={c.name}>
                <Link href={`/connectors/${encodeURIComponent(c.name)}`}>{c.name}</Link>{' '}
                <StateBadge state={c.state} />{' '}
                {c.lastRunId ? <Link href={`/runs/${c.lastRunId}`}>run {c.lastRunId}</Link> : 'never run'}{' '}
                <span className="muted">
                  updated <Time value={c.updatedAt} />
                </span>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}
