import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type ListPage, messageOf } from '../api';
import { Dialog } from '../components/dialog';
import { Empty, ErrorNote, Loading } from '../components/states';
import { Time } from '../components/time';
import { type ConnectorView, refreshConnectors } from '../connectors';
import { Link, navigate } from '../router';
import { useCan } from '../session';
import { StateBadge } from './run-parts';

/** A connector: its state, schedule, run history with counters, and what an analyst or admin can do. */
export function ConnectorPage({ name }: { name: string }) {
  const queries = useQueryClient();
  const canRun = useCan('analyst');
  const isAdmin = useCan('admin');
  const [actionError, setActionError] = useState<unknown>();
  const [removing, setRemoving] = useState(false);
  const path = `/api/connectors/${encodeURIComponent(name)}`;
  const connector = useQuery({ queryKey: ['connectors', name], queryFn: () => api<ConnectorView>(path) });
  // Runs name their connector by id, which the connector's own view does not carry: its last run does.
  const lastRunId = connector.data?.lastRunId ?? null;
  const lastRun = useQuery({
    queryKey: ['runs', lastRunId],
    queryFn: () => api<Record<string, unknown>>(`/api/runs/${lastRunId}`),
    enabled: lastRunId !== null,
  });
  const connectorId = lastRun.data?.connectorId;
  const runs = useQuery({
    queryKey: ['runs', 'of', name, connectorId],
    queryFn: () => api<ListPage>('/api/runs?sort=-started&limit=200'),
    enabled: connectorId !== undefined,
    refetchInterval: 5000,
  });
  if (connector.isPending) return <Loading />;
  if (connector.error) return <ErrorNote error={connector.error} />;
  const c = connector.data;
  const history = (runs.data?.items ?? []).filter((r) => r.connectorId === connectorId);

  const act = async (work: () => Promise<void>) => {
    setActionError(undefined);
    try {
      await work();
    } catch (err) {
      setActionError(err);
    }
    await refreshConnectors(queries);
  };
  const runNow = () =>
    act(async () => {
      const { runId } = await api<{ runId: number }>(`${path}/runs`, {
        method: 'POST',
        body: { mode: 'auto' },
      });
      navigate(`/runs/${runId}`);
    });

  return (
    <section aria-labelledby="connector-title">
      <p>
        <Link href="/integrations">← Integrations</Link>
      </p>
      <h1 id="connector-title">
        {c.name} <StateBadge state={c.state} />
      </h1>
      <dl className="facts">
        <dt>Tenant</dt>
        <dd>{c.tenantId ?? '—'}</dd>
        <dt>Client</dt>
        <dd>{c.clientId ?? '—'}</dd>
        <dt>Credential</dt>
        <dd>{c.credential}</dd>
        <dt>Cloud</dt>
        <dd>{c.cloud}</dd>
        <dt>Data types</dt>
        <dd>{c.options.dataTypes.join(', ')}</dd>
        <dt>Schedule (UTC)</dt>
        <dd>
          {c.schedule ?? 'manual runs only'}
          {c.active ? '' : ' (inactive: scheduled runs paused)'}
        </dd>
        <dt>Last run</dt>
        <dd>{c.lastRunId ? <Link href={`/runs/${c.lastRunId}`}>run {c.lastRunId}</Link> : 'never run'}</dd>
      </dl>
      <div className="inline-actions">
        {canRun && (
          <button type="button" onClick={() => void runNow()}>
            Run now
          </button>
        )}
        {isAdmin && (
          <>
            <Link className="button secondary" href={`/connectors/${encodeURIComponent(c.name)}/edit`}>
              Edit
            </Link>
            <button
              type="button"
              className="secondary"
              onClick={() =>
                void act(async () => {
                  await api(`${path}/${c.active ? 'deactivate' : 'activate'}`, { method: 'POST' });
                })
              }
            >
              {c.active ? 'Deactivate' : 'Activate'}
            </button>
            <button type="button" className="danger" onClick={() => setRemoving(true)}>
              Delete
            </button>
          </>
        )}
      </div>
      {actionError !== undefined && <ErrorNote error={actionError} title="Not done" />}
      <h2>Run history</h2>
      {runs.error ? (
        <ErrorNote error={runs.error} />
      ) : history.length === 0 ? (
        <Empty>No run yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">State</th>
                <th scope="col">Mode</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
                <th scope="col">API calls</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {history.map((r) => (
                <tr key={String(r.id)}>
                  <td>
                    <Link href={`/runs/${String(r.id)}`}>{String(r.id)}</Link>
                  </td>
                  <td>
                    <StateBadge state={String(r.state)} />
                  </td>
                  <td>{String(r.mode ?? '')}</td>
                  <td>
                    <Time value={r.startedAt as string} />
                  </td>
                  <td>
                    <Time value={r.finishedAt as string} />
                  </td>
                  <td>{String(r.apiCalls ?? '')}</td>
                  <td>{r.error ? String(r.error) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <RemoveDialog
        open={removing}
        name={c.name}
        onClose={() => setRemoving(false)}
        onRemoved={async () => {
          await refreshConnectors(queries);
          navigate('/integrations');
        }}
      />
    </section>
  );
}

function RemoveDialog({
  open,
  name,
  onClose,
  onRemoved,
}: {
  open: boolean;
  name: string;
  onClose: () => void;
  onRemoved: () => Promise<void>;
}) {
  const [purge, setPurge] = useState(false);
  const [error, setError] = useState<string>();
  const remove = async () => {
    try {
      await api(`/api/connectors/${encodeURIComponent(name)}${purge ? '?purgeHosts=true' : ''}`, {
        method: 'DELETE',
      });
      onClose();
      await onRemoved();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <Dialog open={open} title={`Delete connector ${name}?`} onClose={onClose}>
      <p>
        This removes the connector, its settings, its run history and everything it brought in: Defender
        sources, findings, the CVE and software catalogs, recommendations, alerts and its profiles.
      </p>
      <p>
        <strong>What stays:</strong> the hosts themselves, as assets marked <em>retained</em> once no
        connector reports them (hosts another connector reports keep that connector's data).
      </p>
      <label className="check">
        <input type="checkbox" checked={purge} onChange={(e) => setPurge(e.target.checked)} />
        Also delete the hosts no other connector reports
      </label>
      {error && (
        <p className="error-note" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="secondary" onClick={onClose}>
          Keep it
        </button>
        <button type="button" className="danger" onClick={() => void remove()}>
          Delete connector
        </button>
      </div>
    </Dialog>
  );
}
