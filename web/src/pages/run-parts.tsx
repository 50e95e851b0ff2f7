import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { LevelBadge } from '../components/badge';

const STATE_TONES: Record<string, string> = {
  succeeded: 'low',
  processed: 'low',
  partial: 'medium',
  failed: 'critical',
  cancelled: 'neutral',
  processing: 'info',
  queued: 'info',
  scheduled: 'info',
  registered: 'neutral',
};

/** A connector or run state with its word. */
export function StateBadge({ state }: { state: string | null | undefined }) {
  if (!state) return <LevelBadge level={null} />;
  return <span className={`badge badge-${STATE_TONES[state] ?? 'neutral'}`}>{state}</span>;
}

export interface StreamProgress {
  stream: string;
  phase: 'start' | 'update' | 'finish' | 'note';
  done?: number;
  total?: number;
  outcome?: string;
  message?: string;
}

export interface RunFollow {
  streams: Map<string, StreamProgress>;
  notes: string[];
  end?: Record<string, unknown>;
  connected: boolean;
}

/**
 * Follows a run through its Server-Sent Events (docs/api.md#runs): progress of each stream while it
 * runs, then the final run, after which the server closes the stream.
 */
export function useRunEvents(runId: number, enabled: boolean): RunFollow {
  const queries = useQueryClient();
  const [state, setState] = useState<RunFollow>({ streams: new Map(), notes: [], connected: false });
  useEffect(() => {
    if (!enabled) return undefined;
    const source = new EventSource(`/api/runs/${runId}/events`);
    source.onopen = () => setState((s) => ({ ...s, connected: true }));
    source.addEventListener('progress', (e) => {
      const p = JSON.parse((e as MessageEvent<string>).data) as StreamProgress;
      setState((s) => {
        if (p.phase === 'note')
          return { ...s, notes: [...s.notes.slice(-19), `${p.stream}: ${p.message ?? ''}`] };
        const streams = new Map(s.streams);
        streams.set(p.stream, { ...streams.get(p.stream), ...p });
        return { ...s, streams };
      });
    });
    source.addEventListener('end', (e) => {
      const run = JSON.parse((e as MessageEvent<string>).data) as Record<string, unknown>;
      setState((s) => ({ ...s, end: run, connected: false }));
      source.close();
      void queries.invalidateQueries();
    });
    source.onerror = () => {
      // The browser reconnects by itself; once the run has ended the server answers `end` at once.
      setState((s) => ({ ...s, connected: false }));
    };
    return () => source.close();
  }, [runId, enabled, queries]);
  return state;
}

/** One line per stream: a progress bar while it runs, its outcome when it is done. */
export function StreamProgressList({ follow }: { follow: RunFollow }) {
  const streams = [...follow.streams.values()];
  if (streams.length === 0) return <p className="muted">Waiting for the first stream to start…</p>;
  return (
    <ul className="streams" aria-label="Streams">
      {streams.map((s) => (
        <li key={s.stream}>
          <span className="stream-name">{s.stream}</span>
          {s.phase === 'finish' ? (
            <span>
              done{s.outcome ? ` (${s.outcome})` : ''}
              {s.done !== undefined ? `: ${s.done.toLocaleString()} records` : ''}
            </span>
          ) : (
            <>
              <progress
                aria-label={`${s.stream} progress`}
                value={s.done ?? 0}
                max={s.total && s.total > 0 ? s.total : undefined}
              />
              <span>
                {(s.done ?? 0).toLocaleString()}
                {s.total ? ` of ${s.total.toLocaleString()}` : ''}
              </span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
