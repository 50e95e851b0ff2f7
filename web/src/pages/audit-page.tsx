import { ListView } from '../components/list-view';

/** Every change made through the API, with who made it (GET /api/audit). */
export function AuditPage() {
  return (
    <ListView
      entity="audit"
      title="Audit log"
      columns={[
        { field: 'at', label: 'When' },
        { field: 'user' },
        { field: 'action' },
        { field: 'target' },
        { field: 'detail' },
      ]}
    />
  );
}
