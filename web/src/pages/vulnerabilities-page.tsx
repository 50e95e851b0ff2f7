import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import { LevelBadge } from '../components/badge';
import { ListView } from '../components/list-view';
import { ErrorNote, Loading } from '../components/states';
import { Value } from '../components/value';
import { Link } from '../router';

/** The CVE catalog, and one CVE with its CVSS components, EPSS, exploit maturity, affected software. */
export function VulnerabilitiesPage({ cve }: { cve?: string }) {
  if (cve) return <VulnerabilityDetail cve={cve} />;
  return (
    <ListView
      entity="vulnerabilities"
      title="Vulnerabilities"
      example="exploit:verified cvss>=9"
      defaultSort="-cvssV3BaseScore"
      rowKey={(r) => String(r.id)}
      columns={[
        {
          field: 'id',
          label: 'CVE',
          render: (r) => <Link href={`/vulnerabilities/${String(r.id)}`}>{String(r.id)}</Link>,
        },
        { field: 'severity', render: (r) => <LevelBadge level={r.severity as string} /> },
        { field: 'cvssV3BaseScore', label: 'CVSS 3' },
        { field: 'epss', label: 'EPSS' },
        { field: 'exploitMaturity' },
        { field: 'patchAvailable', label: 'Patch' },
        { field: 'exposedMachines' },
        { field: 'publishedOn', label: 'Published' },
      ]}
    />
  );
}

interface VulnerabilityAnswer {
  vulnerability: Record<string, unknown>;
  definitions: Record<string, unknown>[];
  openFindings: number;
}

const COMPONENT_NAMES: Record<string, string> = {
  AV: 'Attack vector',
  AC: 'Attack complexity',
  PR: 'Privileges required',
  UI: 'User interaction',
  S: 'Scope',
  C: 'Confidentiality',
  I: 'Integrity',
  A: 'Availability',
  E: 'Exploit maturity',
  RL: 'Remediation level',
  RC: 'Report confidence',
};

function VulnerabilityDetail({ cve }: { cve: string }) {
  const q = useQuery({
    queryKey: ['vulnerability', cve],
    queryFn: () => api<VulnerabilityAnswer>(`/api/vulnerabilities/${encodeURIComponent(cve)}`),
  });
  if (q.isPending) return <Loading />;
  if (q.error) return <ErrorNote error={q.error} />;
  const v = q.data.vulnerability;
  const components = (v.cvssV3Components as Record<string, string> | null) ?? {};
  const software = (v.affectedSoftware as Array<Record<string, unknown>> | null) ?? [];
  return (
    <section aria-labelledby="cve-title">
      <p>
        <Link href="/vulnerabilities">← Vulnerabilities</Link>
      </p>
      <h1 id="cve-title">
        {cve} <LevelBadge level={v.severity as string} />
      </h1>
      <p className="description">{String(v.description ?? v.name ?? '')}</p>
      <div className="cards">
        <Fact label="CVSS 3 base" value={v.cvssV3BaseScore} />
        <Fact label="CVSS 3 temporal" value={v.cvssV3TemporalScore} />
        <Fact label="EPSS" value={v.epss} />
        <Fact label="Exploit maturity" value={v.exploitMaturity} />
        <Fact label="Patch available" value={v.patchAvailable} />
        <Fact label="Open findings" value={q.data.openFindings} />
      </div>
      <h2>CVSS components</h2>
      {Object.keys(components).length === 0 ? (
        <p className="muted">No CVSS vector reported.</p>
      ) : (
        <table className="compact">
          <tbody>
            {Object.entries(components).map(([k, val]) => (
              <tr key={k}>
                <th scope="row">
                  {COMPONENT_NAMES[k] ?? k} ({k})
                </th>
                <td>{val}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">
        Vector: <code>{String(v.cvssV3Vector ?? '—')}</code>
      </p>
      <h2>Affected software</h2>
      {software.length === 0 ? (
        <p className="muted">None reported.</p>
      ) : (
        <ul>
          {software.map((s, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the catalog's list has no key of its own
            <li key={i}>{[s.vendor, s.name, s.version].filter(Boolean).join(' ')}</li>
          ))}
        </ul>
      )}
      <p>
        <Link href={`/findings?q=${encodeURIComponent(`cve:${cve}`)}`}>Findings of {cve}</Link>
      </p>
    </section>
  );
}

export function Fact({ label, value }: { label: string; value: unknown }) {
  return (
    <div className="card fact">
      <span className="fact-label">{label}</span>
      <span className="fact-value">
        <Value value={value} />
      </span>
    </div>
  );
}
