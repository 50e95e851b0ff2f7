import { SeverityBadge } from '../components/badge';
import { ListView } from '../components/list-view';
import { Link } from '../router';

export function FindingsPage() {
  return (
    <ListView
      entity="findings"
      title="Findings"
      example="severity>=4 status:open"
      defaultSort="-score"
      columns={[
        { field: 'name' },
        { field: 'severity', render: (r) => <SeverityBadge severity={r.severity as number} /> },
        { field: 'score' },
        {
          field: 'cveId',
          label: 'CVE',
          render: (r) =>
            r.cveId ? (
              <Link className="nowrap" href={`/vulnerabilities/${String(r.cveId)}`}>
                {String(r.cveId)}
              </Link>
            ) : (
              '—'
            ),
        },
        {
          field: 'hostName',
          label: 'Host',
          render: (r) => <Link href={`/hosts/${String(r.hostId)}`}>{String(r.hostName ?? r.hostId)}</Link>,
        },
        { field: 'status' },
        { field: 'securityUpdateAvailable', label: 'Update available' },
        { field: 'lastFound' },
      ]}
    />
  );
}
