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

/** GET /api/stats/dashboard (docs/api.md#statistics). */
interface DashboardFigures {
  openFindingsOverRuns: Array<{ runId: number; connector: string; finishedAt: string; open: number }>;
  hostsByExposureLevel: Record<string, number>;
  meanTimeToFix: {
    overallDays: number | null;
    fixed: number;
    bySeverity: Array<{ severity: number; fixed: number; meanDays: number | null }>;
  };
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

function lineOption(points: DashboardFigures['openFindingsOverRuns']): ChartOption {
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 56, right: 16, top: 16, bottom: 32 },
    xAxis: { type: 'category', data: points.map((p) => `run ${p.runId}`) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { type: 'line', data: points.map((p) => p.open), itemStyle: { color: '#1d4ed8' }, areaStyle: {} },
    ],
  };
}

function meanTimeOption(rows: DashboardFigures['meanTimeToFix']['bySeverity']): ChartOption {
  const data = rows.map((r): [string, number] => [
    SEVERITY_NAMES[String(r.severity)] ?? String(r.severity),
    r.meanDays ?? 0,
  ]);
  return {
    ...barOption(data),
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => `${String(v)} days` },
  };
}

const describe = (data: Array<[string, number]>) => data.map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

/** The dashboard: the store at a glance, as charts, with the lists behind them one click away. */
export function DashboardPage() {
  const overview = useQuery({ queryKey: ['stats'], queryFn: () => api<Overview>('/api/stats/overview') });
  const figures = useQuery({
    queryKey: ['stats', 'dashboard'],
    queryFn: () => api<DashboardFigures>('/api/stats/dashboard'),
  });
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
  const more = useMemo(() => {
    if (!figures.data) return undefined;
    const f = figures.data;
    const exposure = ordered(f.hostsByExposureLevel);
    const trend = f.openFindingsOverRuns;
    const times = f.meanTimeToFix.bySeverity;
    return {
      trend: {
        option: lineOption(trend),
        label: `Open findings over the last runs: ${trend.map((p) => `run ${p.runId} ${p.open}`).join(', ') || 'no run yet'}`,
      },
      exposure: { option: donutOption(exposure), label: `Hosts by exposure level: ${describe(exposure)}` },
      fix: {
        option: meanTimeOption(times),
        label: `Mean time to fix in days by severity: ${times.map((t) => `${SEVERITY_NAMES[String(t.severity)] ?? t.severity} ${t.meanDays}`).join(', ') || 'nothing fixed yet'}`,
      },
    };
  }, [figures.data]);

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
          <figure className="card">
            <figcaption>Open findings over the last runs</figcaption>
            {figures.error ? (
              <ErrorNote error={figures.error} />
            ) : more && figures.data?.openFindingsOverRuns.length ? (
              <Chart {...more.trend} />
            ) : more ? (
              <Empty>No finished run yet.</Empty>
            ) : (
              <Loading what="Counting" />
            )}
          </figure>
          <figure className="card">
            <figcaption>
              <Link href="/hosts?sort=-riskScore">Hosts by exposure level</Link>
            </figcaption>
            {more ? <Chart {...more.exposure} /> : figures.error ? null : <Loading what="Counting" />}
          </figure>
          <figure className="card">
            <figcaption>
              Mean time to fix
              {figures.data?.meanTimeToFix.overallDays != null && (
                <span className="muted small">
                  {' '}
                  — {figures.data.meanTimeToFix.overallDays} days over{' '}
                  {figures.data.meanTimeToFix.fixed.toLocaleString()} fixed findings
                </span>
              )}
            </figcaption>
            {more && figures.data?.meanTimeToFix.fixed ? (
              <Chart {...more.fix} />
            ) : more ? (
              <Empty>No finding fixed yet: the time to fix shows once Defender reports fixes.</Empty>
            ) : figures.error ? null : (
              <Loading what="Counting" />
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
