import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, messageOf } from '../api';
import { ErrorNote, Loading } from '../components/states';
import { Time } from '../components/time';
import { Value } from '../components/value';
import { Link } from '../router';
import { useCan } from '../session';
import { StateBadge, StreamProgressList, useRunEvents } from './run-parts';

const RUNNING = new Set(['queued', 'processing']);

/** One sync run: live progress while it runs (events stream), its counters and error when it ends. */
export function RunPage({ id }: { id: number }) {
  const queries = useQueryClient();
  const canRun = useCan('analyst');
  const run = useQuery({
    queryKey: ['runs', id],
    queryFn: () => api<Record<string, unknown>>(`/api/runs/${id}`),
  });
  const running = run.data ? RUNNING.has(String(run.data.state)) : false;
  const follow = useRunEvents(id, running);
  const [cancelError, setCancelError] = useState<string>();
  if (run.isPending) return <Loading />;
  if (run.error) return <ErrorNote error={run.error} />;
  const current = follow.end ?? run.data;
  const ended = !RUNNING.has(String(current.state));
  const cancel = async () => {
    setCancelError(undefined);
    try {
      await api(`/api/runs/${id}/cancel`, { method: 'POST' });
    } catch (err) {
      setCancelError(messageOf(err));
    }
    await queries.invalidateQueries({ queryKey: ['runs', id] });
  };
  return (
    <section aria-labelledby="run-title">
      {typeof current.connector === 'string' && (
        <p>
          <Link href={`/connectors/${encodeURIComponent(current.connector)}`}>
            ← Connector {current.connector}
          </Link>
        </p>
      )}
      <h1 id="run-title">
        Run {id} <StateBadge state={String(current.state)} />
      </h1>
      <p>
        {String(current.mode ?? '')} sync, {String(current.trigger ?? 'manual')}, started{' '}
        <Time value={current.startedAt as string} />
        {ended && (
          <>
            , finished <Time value={current.finishedAt as string} />
          </>
        )}
      </p>
      <div aria-live="polite" className="run-live">
        {!ended && (
          <>
            <h2>Progress</h2>
            <StreamProgressList follow={follow} />
            {canRun && (
              <button type="button" className="danger" onClick={() => void cancel()}>
                Cancel run
              </button>
            )}
            {cancelError && (
              <p className="error-note" role="alert">
                {cancelError}
              </p>
            )}
          </>
        )}
        {ended && <p className="run-ended">The run has ended: {String(current.state)}.</p>}
      </div>
      {follow.notes.length > 0 && (
        <>
          <h2>Notes</h2>
          <ul>
            {follow.notes.map((n, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: notes arrive in order and never move
              <li key={i}>{n}</li>
            ))}
          </ul>
        </>
      )}
      {Boolean(current.error) && (
        <div className="error-note" role="alert">
          <strong>Error:</strong> {String(current.error)}
        </div>
      )}
      {ended && <RunCounters run={current} />}
    </section>
  );
}

interface StreamCounters {
  fetched?: number;
  inserted?: number;
  updated?: number;
  unchanged?: number;
  closed?: number;
  rejected?: number;
  leftOut?: Record<string, number>;
  outcome?: string;
  note?: string;
}

interface NotImported {
  stream: string;
  count: number;
  reason: string;
}

const COUNTERS = ['fetched', 'inserted', 'updated', 'unchanged', 'closed', 'rejected'] as const;

/** The run's counters: one row per stream; then its other figures. */
export function RunCounters({ run }: { run: Record<string, unknown> }) {
  const counters = (run.counters ?? {}) as Record<string, StreamCounters>;
  const notImported = (run.notImported ?? []) as NotImported[];
  const entries = Object.entries(run).filter(
    ([k, v]) =>
      !['id', 'connector', 'connectorId', 'error', 'state', 'counters', 'notImported'].includes(k) &&
      v !== null &&
      v !== '',
  );
  return (
    <>
      <h2>Counters</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Stream</th>
              {COUNTERS.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
              <th scope="col">left out</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(counters).map(([stream, s]) => (
              <tr key={stream}>
                <th scope="row">{stream}</th>
                {COUNTERS.map((c) => (
                  <td key={c}>{(s[c] ?? 0).toLocaleString()}</td>
                ))}
                <td>
                  {Object.values(s.leftOut ?? {})
                    .reduce((a, b) => a + b, 0)
                    .toLocaleString()}
                </td>
                <td>
                  {s.outcome ?? ''}
                  {s.note ? <span className="muted small"> ({s.note})</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {notImported.length > 0 && (
        <>
          <h2>Not imported</h2>
          <ul>
            {notImported.map((n) => (
              <li key={`${n.stream}:${n.reason}`}>
                {n.stream}: {n.count.toLocaleString()} {n.reason}
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>Details</h2>
      <table className="compact">
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>
                <Value value={v} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
