import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { api, messageOf } from '../api';
import { LevelBadge, SeverityBadge } from '../components/badge';
import { Dialog } from '../components/dialog';
import { Time } from '../components/time';
import { Link } from '../router';
import { useCan } from '../session';
import type { HostDetail } from './host-page';
import type { Row } from './rows-table';

/** Only web addresses become links: a value from a tenant never becomes a `javascript:` URL. */
function safeUrl(url: string | null | undefined): string | undefined {
  return url && /^https?:\/\//i.test(url) ? url : undefined;
}

function ExternalLink({ href, children }: { href: string | null | undefined; children: React.ReactNode }) {
  const url = safeUrl(href);
  if (!url) return <span>{children}</span>;
  return (
    <a href={url} target="_blank" rel="noopener noreferrer">
      {children}
      <span className="visually-hidden"> (opens the Defender portal in a new tab)</span>
    </a>
  );
}

const ACTIONS = {
  scan: { label: 'Run Scan', option: 'scanType', choices: ['quick', 'full'] },
  isolate: { label: 'Isolate', option: 'isolationType', choices: ['full', 'selective'] },
  unisolate: { label: 'Unisolate', option: undefined, choices: [] },
} as const;
type ActionType = keyof typeof ACTIONS;

/** Defender's action states that end an action; any other one is still going. */
const FINAL_STATES = new Set(['succeeded', 'failed', 'timeout', 'cancelled', 'canceled']);

/**
 * The Microsoft Defender tab: the most severe vulnerability with its description and the exposure
 * level, the vulnerability count linking to the device's Defender vulnerabilities page, a risk badge
 * from the most severe alert linking to its alerts page, the overview page, and the machine actions.
 */
export function DefenderTab({ hostId, detail }: { hostId: number; detail: HostDetail }) {
  const canAct = useCan('analyst');
  const source = detail.sources[0];
  const worst = [...detail.openFindings.items].sort(
    (a, b) =>
      Number(b.severity ?? 0) - Number(a.severity ?? 0) || Number(b.score ?? 0) - Number(a.score ?? 0),
  )[0];
  const definition = useQuery({
    queryKey: ['vulnerability', worst?.cveId],
    queryFn: () =>
      api<{ vulnerability: Row }>(`/api/vulnerabilities/${encodeURIComponent(String(worst?.cveId))}`),
    enabled: typeof worst?.cveId === 'string',
    retry: false,
  });
  const links = detail.portalLinks;
  const h = detail.host;
  const vulnerabilityCount = Number(h.openVulnerabilityCount ?? detail.openFindings.items.length);

  if (!source)
    return <p className="muted">Microsoft Defender does not report this host (no Defender source).</p>;
  return (
    <div className="defender">
      <section className="card" aria-labelledby="defender-exposure">
        <h2 id="defender-exposure">
          Exposure <LevelBadge level={source.exposureLevel as string} label="Exposure level" />
        </h2>
        {worst ? (
          <>
            <p>
              Most severe vulnerability: <SeverityBadge severity={worst.severity as number} />{' '}
              {worst.cveId ? (
                <Link href={`/vulnerabilities/${String(worst.cveId)}`}>{String(worst.cveId)}</Link>
              ) : null}{' '}
              in {String(worst.softwareVendor ?? '')} {String(worst.softwareName ?? '')}{' '}
              {String(worst.softwareVersion ?? '')}
            </p>
            <p className="description">
              {definition.data
                ? String(
                    definition.data.vulnerability.description ?? definition.data.vulnerability.name ?? '',
                  )
                : definition.isFetching
                  ? 'Loading the description…'
                  : String(worst.name ?? '')}
            </p>
          </>
        ) : (
          <p>No open vulnerability.</p>
        )}
        <p>
          <ExternalLink href={links.vulnerabilities}>
            {vulnerabilityCount} {vulnerabilityCount === 1 ? 'vulnerability' : 'vulnerabilities'} in Defender
          </ExternalLink>
        </p>
      </section>
      <section className="card" aria-labelledby="defender-alerts">
        <h2 id="defender-alerts">
          Alerts <LevelBadge level={(h.topAlertSeverity as string) ?? 'none'} label="Risk level" />
        </h2>
        <p>
          {String(h.openAlertCount ?? detail.alerts.items.length)} open alert(s).{' '}
          <ExternalLink href={links.alerts}>Alerts of this device in Defender</ExternalLink>
        </p>
        <p>
          <ExternalLink href={links.overview}>Device overview in Microsoft Defender</ExternalLink>
        </p>
        {!safeUrl(links.overview) && (
          <p className="muted small">
            No portal links: the Defender portal of this connector's API address (a custom cloud) is not
            known.
          </p>
        )}
        <dl className="facts">
          <dt>Machine id</dt>
          <dd>{String(source.machineId ?? '—')}</dd>
          <dt>Health</dt>
          <dd>{String(source.healthStatus ?? '—')}</dd>
          <dt>Defender risk score</dt>
          <dd>{String(source.riskScore ?? '—')}</dd>
          <dt>Onboarding</dt>
          <dd>{String(source.onboardingStatus ?? '—')}</dd>
          <dt>Last seen</dt>
          <dd>
            <Time value={source.lastSeen as string} />
          </dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="defender-actions">
        <h2 id="defender-actions">Actions</h2>
        {canAct ? (
          <MachineActions hostId={hostId} />
        ) : (
          <p className="muted">Machine actions need the analyst role.</p>
        )}
        <ActionHistory detail={detail} />
      </section>
    </div>
  );
}

function MachineActions({ hostId }: { hostId: number }) {
  const queries = useQueryClient();
  const [asking, setAsking] = useState<ActionType>();
  const [actionId, setActionId] = useState<number | string>();
  const [note, setNote] = useState<{ ok: boolean; text: string }>();
  // GET /api/actions/:id reads the status again from Defender while it is not final.
  const polled = useQuery({
    queryKey: ['actions', actionId],
    queryFn: () =>
      api<{ action: Row; refreshError?: string }>(`/api/actions/${encodeURIComponent(String(actionId))}`),
    enabled: actionId !== undefined,
    refetchInterval: (q) =>
      q.state.data && FINAL_STATES.has(String(q.state.data.action.status).toLowerCase()) ? false : 1500,
  });
  const current = polled.data?.action;
  const status = current ? String(current.status) : undefined;
  const final = status !== undefined && FINAL_STATES.has(status.toLowerCase());
  useEffect(() => {
    if (final) void queries.invalidateQueries({ queryKey: ['hosts', hostId] });
  }, [final, hostId, queries]);

  const submit = async (type: ActionType, comment: string, choice: string | undefined) => {
    const spec = ACTIONS[type];
    try {
      const answer = await api<Row & { duplicate?: boolean }>(`/api/hosts/${hostId}/actions`, {
        method: 'POST',
        body: { type, comment, ...(spec.option && choice ? { [spec.option]: choice } : {}) },
      });
      setAsking(undefined);
      setActionId(answer.id as number);
      setNote({
        ok: true,
        text: answer.duplicate
          ? `${spec.label}: one is already pending; following it.`
          : `${spec.label} requested.`,
      });
    } catch (err) {
      throw new Error(messageOf(err));
    }
  };

  return (
    <>
      <div className="inline-actions">
        {(Object.keys(ACTIONS) as ActionType[]).map((t) => (
          <button
            key={t}
            type="button"
            className={t === 'isolate' ? 'danger' : undefined}
            onClick={() => setAsking(t)}
          >
            {ACTIONS[t].label}
          </button>
        ))}
      </div>
      <div aria-live="polite" className="action-status">
        {note && <p className={note.ok ? 'ok-note' : 'error-note'}>{note.text}</p>}
        {current && (
          <p>
            {actionLabel(current)}: <strong className="action-state">{status}</strong>
            {final ? '' : ' (checking…)'}
            {current.error ? ` ${String(current.error)}` : ''}
          </p>
        )}
        {polled.data?.refreshError && (
          <p className="error-note">Defender could not be asked for the status: {polled.data.refreshError}</p>
        )}
        {polled.error && <p className="error-note">{messageOf(polled.error)}</p>}
      </div>
      {asking && <ActionDialog type={asking} onClose={() => setAsking(undefined)} onSubmit={submit} />}
    </>
  );
}

function ActionDialog({
  type,
  onClose,
  onSubmit,
}: {
  type: ActionType;
  onClose: () => void;
  onSubmit: (type: ActionType, comment: string, choice: string | undefined) => Promise<void>;
}) {
  const spec = ACTIONS[type];
  const [comment, setComment] = useState('');
  const [choice, setChoice] = useState<string | undefined>(spec.choices[0]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ids = useId();
  const warning =
    type === 'isolate'
      ? 'The device loses its network connections (except to Defender) until it is released.'
      : type === 'unisolate'
        ? 'The device gets its network connections back.'
        : 'Defender Antivirus scans the device.';
  return (
    <Dialog open title={`${spec.label}?`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!comment.trim()) {
            setError('A comment is required: it goes to Defender and the audit log.');
            return;
          }
          setBusy(true);
          onSubmit(type, comment.trim(), choice).catch((err: unknown) => {
            setError(err instanceof Error ? err.message : String(err));
            setBusy(false);
          });
        }}
      >
        <p>{warning}</p>
        {spec.choices.length > 0 && (
          <div className="field">
            <label htmlFor={`${ids}-choice`}>{type === 'scan' ? 'Scan type' : 'Isolation type'}</label>
            <select id={`${ids}-choice`} value={choice} onChange={(e) => setChoice(e.target.value)}>
              {spec.choices.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor={`${ids}-comment`}>Comment (required)</label>
          <textarea
            id={`${ids}-comment`}
            value={comment}
            rows={3}
            maxLength={1000}
            onChange={(e) => setComment(e.target.value)}
          />
        </div>
        {error && (
          <p className="error-note" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className={type === 'isolate' ? 'danger' : undefined} disabled={busy}>
            {busy ? 'Sending…' : `Confirm ${spec.label}`}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** "Isolate (Full)": the action and its type, as stored (docs/actions.md). */
function actionLabel(a: Row): string {
  const kind = ACTIONS[a.action as ActionType]?.label ?? String(a.action ?? 'Action');
  return a.actionType ? `${kind} (${String(a.actionType)})` : kind;
}

function ActionHistory({ detail }: { detail: HostDetail }) {
  const items = detail.actions ?? [];
  if (items.length === 0) return null;
  return (
    <>
      <h3>Earlier actions</h3>
      <ul>
        {items.map((a) => (
          <li key={String(a.id)}>
            {actionLabel(a)}: {String(a.status)} <Time value={a.requestedAt as string} />{' '}
            {a.requestedBy ? `by ${String(a.requestedBy)}` : ''} {a.comment ? `“${String(a.comment)}”` : ''}
          </li>
        ))}
      </ul>
    </>
  );
}
