import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import { ConnectorPicker } from '../components/connector-picker';
import { ErrorNote, Loading } from '../components/states';

interface MappingRow {
  entity: string;
  sourceField: string;
  dataType: string;
  targetField: string;
  note: string;
  origin: 'default' | 'custom';
}

/** The field mapping of a connector: which Defender field lands in which field of ours. */
export function MappingPage() {
  return (
    <section aria-labelledby="mapping-title">
      <h1 id="mapping-title">Mapping</h1>
      <p className="muted">
        The out-of-the-box map from Defender fields to hosts, findings and the catalogs, with the connector's
        custom fields (added with <code>mdec mapping</code>).
      </p>
      <ConnectorPicker>{(name) => <MappingTable connector={name} />}</ConnectorPicker>
    </section>
  );
}

export function MappingTable({ connector }: { connector: string }) {
  const path = `/api/connectors/${encodeURIComponent(connector)}/mapping`;
  const rows = useQuery({
    queryKey: ['connectors', connector, 'mapping'],
    queryFn: () => api<{ items: MappingRow[] }>(path),
  });
  if (rows.isPending) return <Loading />;
  if (rows.error) return <ErrorNote error={rows.error} />;
  return (
    <>
      <p>
        <a className="button secondary" href={`${path}?format=csv`} download={`${connector}-mapping.csv`}>
          Download mapping CSV
        </a>
      </p>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Field mapping of {connector}</caption>
          <thead>
            <tr>
              <th scope="col">Entity</th>
              <th scope="col">Defender field</th>
              <th scope="col">Type</th>
              <th scope="col">Our field</th>
              <th scope="col">Origin</th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {rows.data.items.map((r) => (
              <tr key={`${r.entity}|${r.sourceField}|${r.targetField}`}>
                <td>{r.entity}</td>
                <td>
                  <code>{r.sourceField}</code>
                </td>
                <td>{r.dataType}</td>
                <td>
                  <code>{r.targetField}</code>
                </td>
                <td>{r.origin}</td>
                <td>{r.note}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
