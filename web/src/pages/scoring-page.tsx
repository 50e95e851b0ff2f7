import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, messageOf } from '../api';
import { ConnectorPicker } from '../components/connector-picker';
import { ErrorNote, Loading } from '../components/states';
import { useCan } from '../session';

interface ScoringRow {
  match: string;
  severity: number;
  score: number;
}
interface ScoringMap {
  rows: ScoringRow[];
  defaultSeverity: number;
  defaultScore: number;
}

/** The scoring map: which source severity becomes which severity (1 to 5) and score (0 to 100). */
export function ScoringPage() {
  return (
    <section aria-labelledby="scoring-title">
      <h1 id="scoring-title">Scoring map</h1>
      <p className="muted">
        Defender's severity text of each finding is matched to a row (ignoring case); values no row names get
        the default. <em>Preview changes</em> counts the open findings an edit would rescore; saving rescores
        the connector's findings at once.
      </p>
      <ConnectorPicker>{(name) => <ScoringEditor key={name} connector={name} />}</ConnectorPicker>
    </section>
  );
}

export function ScoringEditor({ connector }: { connector: string }) {
  const path = `/api/connectors/${encodeURIComponent(connector)}/scoring`;
  const stored = useQuery({
    queryKey: ['connectors', connector, 'scoring'],
    queryFn: () => api<ScoringMap & { custom: boolean }>(path),
  });
  if (stored.isPending) return <Loading />;
  if (stored.error) return <ErrorNote error={stored.error} />;
  return <ScoringForm path={path} initial={stored.data} custom={stored.data.custom} connector={connector} />;
}

function ScoringForm({
  path,
  initial,
  custom,
  connector,
}: {
  path: string;
  initial: ScoringMap;
  custom: boolean;
  connector: string;
}) {
  const queries = useQueryClient();
  const canEdit = useCan('admin');
  const [map, setMap] = useState<ScoringMap>(() => ({
    rows: initial.rows.map((r) => ({ ...r })),
    defaultSeverity: initial.defaultSeverity,
    defaultScore: initial.defaultScore,
  }));
  const [status, setStatus] = useState<{ ok: boolean; text: string }>();
  const [preview, setPreview] = useState<{ ok: boolean; text: string }>();
  const [previewing, setPreviewing] = useState(false);
  const setRow = (i: number, changes: Partial<ScoringRow>) =>
    setMap((m) => ({ ...m, rows: m.rows.map((r, j) => (i === j ? { ...r, ...changes } : r)) }));
  const changedRows = map.rows.filter((r, i) => {
    const before = initial.rows[i];
    return !before || before.match !== r.match || before.severity !== r.severity || before.score !== r.score;
  }).length;

  // Counts on the server what saving would rescore, writing nothing (docs/api.md#connectors).
  const previewChanges = async () => {
    setPreview(undefined);
    setPreviewing(true);
    try {
      const counted = await api<{ examined: number; changed: number }>(`${path}/preview`, {
        method: 'POST',
        body: map,
      });
      setPreview({
        ok: true,
        text: `Preview: ${counted.changed.toLocaleString()} of ${counted.examined.toLocaleString()} open findings would change severity or score. Nothing is saved yet.`,
      });
    } catch (err) {
      setPreview({ ok: false, text: messageOf(err) });
    } finally {
      setPreviewing(false);
    }
  };

  const save = async () => {
    setPreview(undefined);
    setStatus(undefined);
    try {
      const { rescored } = await api<{
        rescored: { examined: number; changed: number; hostsChanged: number };
      }>(path, { method: 'PUT', body: map });
      setStatus({
        ok: true,
        text: `Saved. ${rescored.changed} of ${rescored.examined} findings changed severity or score; ${rescored.hostsChanged} hosts' risk recomputed.`,
      });
      await queries.invalidateQueries({ queryKey: ['connectors', connector, 'scoring'] });
      await queries.invalidateQueries({ queryKey: ['list'] });
    } catch (err) {
      setStatus({ ok: false, text: messageOf(err) });
    }
  };

  return (
    <form
      className="scoring"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <p className="muted small">{custom ? 'A map of its own.' : 'The default map.'}</p>
      <table className="compact">
        <caption className="visually-hidden">Scoring rows of {connector}</caption>
        <thead>
          <tr>
            <th scope="col">Expected source value</th>
            <th scope="col">Severity (1–5)</th>
            <th scope="col">Score (0–100)</th>
          </tr>
        </thead>
        <tbody>
          {map.rows.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; their text may repeat while typing
            <tr key={i}>
              <td>
                <input
                  aria-label={`Row ${i + 1} source value`}
                  value={r.match}
                  disabled={!canEdit}
                  onChange={(e) => setRow(i, { match: e.target.value })}
                />
              </td>
              <td>
                <select
                  aria-label={`Row ${i + 1} severity`}
                  value={r.severity}
                  disabled={!canEdit}
                  onChange={(e) => setRow(i, { severity: Number(e.target.value) })}
                >
                  {[1, 2, 3, 4, 5].map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <input
                  aria-label={`Row ${i + 1} score`}
                  type="number"
                  min={0}
                  max={100}
                  value={r.score}
                  disabled={!canEdit}
                  onChange={(e) => setRow(i, { score: Number(e.target.value) })}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="field inline">
        <label htmlFor="default-severity">Default severity</label>
        <select
          id="default-severity"
          value={map.defaultSeverity}
          disabled={!canEdit}
          onChange={(e) => setMap((m) => ({ ...m, defaultSeverity: Number(e.target.value) }))}
        >
          {[1, 2, 3, 4, 5].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label htmlFor="default-score">Default score</label>
        <input
          id="default-score"
          type="number"
          min={0}
          max={100}
          value={map.defaultScore}
          disabled={!canEdit}
          onChange={(e) => setMap((m) => ({ ...m, defaultScore: Number(e.target.value) }))}
        />
      </div>
      {canEdit && (
        <p>
          <button
            type="button"
            className="secondary"
            disabled={previewing}
            onClick={() => void previewChanges()}
          >
            {previewing ? 'Counting…' : 'Preview changes'}
          </button>{' '}
          <button type="submit">Save scoring map</button>{' '}
          <span className="muted small">
            {changedRows === 0 ? 'No row changed.' : `${changedRows} row(s) changed.`}
          </span>
        </p>
      )}
      {preview && (
        <p className={preview.ok ? 'info-note' : 'error-note'} role={preview.ok ? 'status' : 'alert'}>
          {preview.text}
        </p>
      )}
      {status && (
        <p className={status.ok ? 'ok-note' : 'error-note'} role={status.ok ? 'status' : 'alert'}>
          {status.text}
        </p>
      )}
    </form>
  );
}
