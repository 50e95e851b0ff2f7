import { LevelBadge } from '../components/badge';
import { ListView } from '../components/list-view';

export function AlertsPage() {
  return (
    <ListView
      entity="alerts"
      title="Alerts"
      example="severity:high status:new"
      columns={[
        { field: 'title' },
        { field: 'severity', render: (r) => <LevelBadge level={r.severity as string} /> },
        { field: 'status' },
        { field: 'category' },
        { field: 'computerDnsName', label: 'Host' },
        { field: 'mitreTechniques', label: 'MITRE techniques' },
        { field: 'alertCreationTime', label: 'Created' },
      ]}
    />
  );
}
