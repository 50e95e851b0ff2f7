import { ListView } from '../components/list-view';

/** Every change made through the API and the CLI, with who made it (GET /api/audit), newest first. */
export function AuditPage() {
  return (
    <ListView
      entity="audit"
      title="Audit log"
      defaultSort="-at"
      example="action:mapping actor:alice"
      columns={[
        { field: 'at', label: 'When' },
        { field: 'actor', label: 'User' },
        { field: 'actorKind', label: 'Via' },
        { field: 'action' },
        { field: 'target' },
        { field: 'outcome' },
        { field: 'detail' },
      ]}
    />
  );
}
