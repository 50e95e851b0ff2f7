import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, messageOf } from '../api';
import { ConnectorPicker } from '../components/connector-picker';
import { ErrorNote, Loading } from '../components/states';
import { useCan } from '../session';

interface MappingRow {
  entity: string;
  sourceField: string;
  dataType: string;
  targetField: string;
  note: string;
  origin: 'default' | 'custom';
}

/** What a mapping change answers: the map in force and its custom fields. */
interface MapAnswer {
  map: string;
  cloned?: boolean;
  note?: string;
}

const ENTITIES = ['host', 'finding'] as const;
const TYPES = ['string', 'number', 'boolean', 'datetime', 'list'] as const;

/** The field mapping of a connector: which Defender field lands in which field of ours. */
export function MappingPage() {
  return (
    <section aria-labelledby="mapping-title">
      <h1 id="mapping-title">Mapping</h1>
      <p className="muted">
        The out-of-the-box map from Defender fields to hosts, findings and the catalogs, with the connector's
        custom fields. Admins clone the map to give a connector its own, then add custom fields: a Defender
        field copied into the host's or finding's custom attributes on the next sync.
      </p>
      <ConnectorPicker>{(name) => <MappingTable key={name} connector={name} />}</ConnectorPicker>
    </section>
  );
}

export function MappingTable({ connector }: { connector: string }) {
  const path = `/api/connectors/${encodeURIComponent(connector)}/mapping`;
  const queries = useQueryClient();
  const canEdit = useCan('admin');
  const [note, setNote] = useState<{ ok: boolean; text: string }>();
  const rows = useQuery({
    queryKey: ['connectors', connector, 'mapping'],
    queryFn: () => api<{ items: MappingRow[] }>(path),
  });
  /** Runs a change, says how it went, and reads the mapping again. */
  const change = async (work: () => Promise<string>) => {
    setNote(undefined);
    try {
      const text = await work();
      // The note follows the table it describes: said once the mapping has been read again.
      await queries.invalidateQueries({ queryKey: ['connectors', connector, 'mapping'] });
      setNote({ ok: true, text });
      return true;
    } catch (err) {
      setNote({ ok: false, text: messageOf(err) });
      return false;
    }
  };
  if (rows.isPending) return <Loading />;
  if (rows.error) return <ErrorNote error={rows.error} />;
  const custom = rows.data.items.filter((r) => r.origin === 'custom');
  // The connector's own fields first: they are what a person added and may remove.
  const shown = [...custom, ...rows.data.items.filter((r) => r.origin !== 'custom')];
  return (
    <>
      <p className="inline-actions">
        <a className="button secondary" href={`${path}?format=csv`} download={`${connector}-mapping.csv`}>
          Download mapping CSV
        </a>
        {canEdit && (
          <button
            type="button"
            className="secondary"
            onClick={() =>
              void change(async () => {
                const a = await api<MapAnswer>(`${path}/clone`, { method: 'POST' });
                return a.cloned
                  ? `Cloned the default map as "${a.map}".`
                  : `The connector already has its own map, "${a.map}".`;
              })
            }
          >
            Clone the map
          </button>
        )}
      </p>
      <div aria-live="polite">
        {note && (
          <p className={note.ok ? 'ok-note' : 'error-note'} role={note.ok ? 'status' : 'alert'}>
            {note.text}
          </p>
        )}
      </div>
      {canEdit && (
        <AddCustomField
          onAdd={(field) =>
            change(async () => {
              const a = await api<MapAnswer>(`${path}/fields`, { method: 'POST', body: field });
              return `${a.cloned ? `Cloned the default map as "${a.map}". ` : ''}Mapped ${field.entity} ${field.sourceField} to ${field.targetField}; the next sync fills it.${a.note ? ` Note: ${a.note}.` : ''}`;
            })
          }
        />
      )}
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
              {canEdit && custom.length > 0 && <th scope="col">Change</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
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
                {canEdit && custom.length > 0 && (
                  <td>
                    {r.origin === 'custom' && (
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Remove ${r.targetField}`}
                        onClick={() =>
                          void change(async () => {
                            const target = r.targetField.slice(r.entity.length + 1);
                            await api(
                              `${path}/fields/${encodeURIComponent(r.entity)}/${encodeURIComponent(target)}`,
                              { method: 'DELETE' },
                            );
                            return `Removed ${r.targetField}; the next sync clears it.`;
                          })
                        }
                      >
                        Remove
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

interface NewField {
  entity: (typeof ENTITIES)[number];
  sourceField: string;
  dataType: (typeof TYPES)[number];
  targetField: string;
}

/** The form of a custom field mapping: the columns of the mapping download. */
function AddCustomField({ onAdd }: { onAdd: (field: NewField) => Promise<boolean> }) {
  const titleId = useId();
  const empty: NewField = {
    entity: 'host',
    sourceField: '',
    dataType: 'string',
    targetField: 'customAttributes.',
  };
  const [field, setField] = useState<NewField>(empty);
  const set = (changes: Partial<NewField>) => setField((f) => ({ ...f, ...changes }));
  return (
    <form
      className="card add-field"
      aria-labelledby={titleId}
      onSubmit={(e) => {
        e.preventDefault();
        void onAdd(field).then((ok) => ok && setField(empty));
      }}
    >
      <h2 id={titleId}>Add a custom field</h2>
      <div className="field-row">
        <Choice
          label="Entity"
          value={field.entity}
          choices={ENTITIES}
          onChange={(entity) => set({ entity })}
        />
        <Text
          label="Defender field"
          value={field.sourceField}
          placeholder="vmMetadata.vmId"
          onChange={(sourceField) => set({ sourceField })}
        />
        <Choice
          label="Type"
          value={field.dataType}
          choices={TYPES}
          onChange={(dataType) => set({ dataType })}
        />
        <Text
          label="Custom attribute"
          value={field.targetField}
          onChange={(targetField) => set({ targetField })}
        />
        <button type="submit">Add field</button>
      </div>
    </form>
  );
}

/** A labelled choice among fixed values. */
function Choice<T extends string>({
  label,
  value,
  choices,
  onChange,
}: {
  label: string;
  value: T;
  choices: readonly T[];
  onChange: (value: T) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as T)}>
        {choices.map((x) => (
          <option key={x} value={x}>
            {x}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A labelled, required text input. */
function Text({
  label,
  value,
  placeholder,
  onChange,
}: {
  label: string;
  value: string;
  placeholder?: string;
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={value}
        required
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}
