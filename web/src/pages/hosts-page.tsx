import { LevelBadge } from '../components/badge';
import { ListView, type Row } from '../components/list-view';
import { Link } from '../router';

const hostLink = (row: Row) => <Link href={`/hosts/${String(row.id)}`}>{String(row.name ?? row.id)}</Link>;

/** Hosts: every field of the export is a column to choose, Defender fields included. */
export function HostsPage() {
  return (
    <ListView
      entity="hosts"
      title="Hosts"
      example="risk:high os:windows"
      defaultSort="-riskScore"
      columns={[
        { field: 'name', render: hostLink },
        { field: 'osPlatform', label: 'OS' },
        { field: 'riskLevel', label: 'Risk', render: (r) => <LevelBadge level={r.riskLevel as string} /> },
        { field: 'riskScore' },
        { field: 'openVulnerabilityCount', label: 'Open vulnerabilities' },
        {
          field: 'defenderExposureLevel',
          label: 'Defender exposure',
          render: (r) => <LevelBadge level={r.defenderExposureLevel as string} />,
        },
        { field: 'defenderHealthStatus', label: 'Defender health' },
        { field: 'lastSeen' },
      ]}
    />
  );
}
