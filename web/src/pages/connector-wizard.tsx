import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useId, useState } from 'react';
import { ApiError, api, messageOf } from '../api';
import { ErrorNote, Loading } from '../components/states';
import {
  CLOUDS,
  type ConnectorView,
  type CredentialCheck,
  connectorBodyFields,
  DATA_TYPES,
  IDENTIFICATION_RULE_LABELS,
  refreshConnectors,
} from '../connectors';
import { Link, navigate } from '../router';
import { parseSchedule, type ScheduleForm, scheduleText, WEEKDAYS } from '../schedule';
import { MappingTable } from './mapping-page';
import { ScoringEditor } from './scoring-page';

/** Everything the wizard edits, as form text; turned into the API's body by `bodyOf`. */
interface WizardForm {
  name: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  cloud: string;
  apiUrl: string;
  loginUrl: string;
  scope: string;
  network: string;
  staleDays: string;
  tags: string;
  filter: string;
  initialLookbackDays: string;
  includeUnscanned: boolean;
  softwareId: string;
  softwareName: string;
  softwareVendor: string;
  vulnerabilityRbacGroupId: string;
  vulnerabilitySeverity: string[];
  dataTypes: string[];
  schedule: ScheduleForm;
  active: boolean;
  maxRetries: string;
  fullSyncEveryDays: string;
  profiles: boolean;
  /** Machine actions allowed (Run Scan, Isolate, Unisolate); sent only when the server has the option. */
  actions: boolean;
  identificationRules: Array<{ rule: string; enabled: boolean }>;
}

const STEPS = [
  'Connection',
  'Scope and filters',
  'Data types',
  'Schedule and activation',
  'Scoring map',
  'Mapping',
  'Identification rules',
  'Review',
] as const;

/** Which step holds a body field, so an error answer can send the user to it. */
const STEP_OF_FIELD: Record<string, number> = {
  name: 0,
  tenantId: 0,
  clientId: 0,
  clientSecret: 0,
  cloud: 0,
  apiUrl: 0,
  loginUrl: 0,
  scope: 0,
  network: 0,
  staleDays: 1,
  tags: 1,
  filter: 1,
  initialLookbackDays: 1,
  includeUnscanned: 1,
  softwareId: 1,
  softwareName: 1,
  softwareVendor: 1,
  vulnerabilityRbacGroupId: 1,
  vulnerabilitySeverity: 1,
  dataTypes: 2,
  schedule: 3,
  active: 3,
  maxRetries: 3,
  fullSyncEveryDays: 3,
  profiles: 6,
  identificationRules: 6,
};

function formOf(c: ConnectorView | undefined): WizardForm {
  const o = c?.options;
  return {
    name: c?.name ?? '',
    tenantId: c?.tenantId ?? '',
    clientId: c?.clientId ?? '',
    clientSecret: '',
    cloud: c?.cloud ?? 'commercial',
    apiUrl: c?.cloud === 'custom' ? (c.apiUrl ?? '') : '',
    loginUrl: c?.cloud === 'custom' ? (c.loginUrl ?? '') : '',
    scope: c?.cloud === 'custom' ? (c.scope ?? '') : '',
    network: c?.network ?? 'default',
    staleDays: String(o?.staleDays ?? 0),
    tags: (o?.tags ?? []).join(', '),
    filter: o?.filter ?? '',
    // Not set unless chosen, as on the command line: the first run then reads every device.
    initialLookbackDays: o?.initialLookbackDays === undefined ? '' : String(o.initialLookbackDays),
    includeUnscanned: o?.includeUnscanned ?? true,
    softwareId: o?.softwareId ?? '',
    softwareName: o?.softwareName ?? '',
    softwareVendor: o?.softwareVendor ?? '',
    vulnerabilityRbacGroupId:
      o?.vulnerabilityRbacGroupId === undefined ? '' : String(o.vulnerabilityRbacGroupId),
    vulnerabilitySeverity: o?.vulnerabilitySeverity ?? [],
    dataTypes: o?.dataTypes ?? [
      'machines',
      'vulnerabilities',
      'vulnerability-definitions',
      'software',
      'recommendations',
      'alerts',
    ],
    schedule: parseSchedule(c ? c.schedule : 'daily@02:00'),
    active: c?.active ?? true,
    maxRetries: String(o?.maxRetries ?? 10),
    fullSyncEveryDays: String(o?.fullSyncEveryDays ?? 7),
    profiles: o?.profiles ?? true,
    actions: o?.actions === true,
    identificationRules: o?.identificationRules ?? [
      { rule: 'machineId', enabled: true },
      { rule: 'aadDeviceId', enabled: true },
      { rule: 'fqdn', enabled: true },
      { rule: 'hostname', enabled: false },
      { rule: 'ipMac', enabled: false },
    ],
  };
}

const int = (text: string) => (text.trim() === '' ? undefined : Number(text));

/** The connection part of the body (what Test Credentials needs). */
function connectionBody(f: WizardForm, creating: boolean): Record<string, unknown> {
  return {
    ...(creating ? { name: f.name.trim() } : {}),
    tenantId: f.tenantId.trim(),
    clientId: f.clientId.trim(),
    ...(f.clientSecret ? { clientSecret: f.clientSecret } : {}),
    cloud: f.cloud,
    ...(f.cloud === 'custom'
      ? {
          apiUrl: f.apiUrl.trim(),
          loginUrl: f.loginUrl.trim(),
          ...(f.scope.trim() ? { scope: f.scope.trim() } : {}),
        }
      : {}),
    network: f.network.trim() || 'default',
  };
}

function bodyOf(f: WizardForm, creating: boolean, fields: Set<string>): Record<string, unknown> {
  // An optional setting left empty: not sent for a new connector; cleared (null) on an edit.
  const optional = (key: string, value: unknown) =>
    value === undefined || value === '' || (Array.isArray(value) && value.length === 0)
      ? creating
        ? {}
        : { [key]: null }
      : { [key]: value };
  return {
    ...connectionBody(f, creating),
    ...(!creating && f.name.trim() ? { name: f.name.trim() } : {}),
    staleDays: int(f.staleDays) ?? 0,
    tags: f.tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    ...optional('filter', f.filter.trim()),
    ...optional('initialLookbackDays', int(f.initialLookbackDays)),
    includeUnscanned: f.includeUnscanned,
    ...optional('softwareId', f.softwareId.trim()),
    ...optional('softwareName', f.softwareName.trim()),
    ...optional('softwareVendor', f.softwareVendor.trim()),
    ...optional('vulnerabilityRbacGroupId', int(f.vulnerabilityRbacGroupId)),
    ...optional('vulnerabilitySeverity', f.vulnerabilitySeverity),
    dataTypes: f.dataTypes,
    schedule: scheduleText(f.schedule),
    active: f.active,
    maxRetries: int(f.maxRetries),
    fullSyncEveryDays: int(f.fullSyncEveryDays),
    profiles: f.profiles,
    ...(fields.has('actions') ? { actions: f.actions } : {}),
    identificationRules: f.identificationRules,
  };
}

/**
 * The connector wizard: every option, grouped in steps the user may visit in any order, a review, and
 * Save or Save-and-run. Test Credentials needs the connection on the server, so on a new connector it
 * first saves it as an inactive draft, which Save then completes.
 */
export function ConnectorWizard({ existing }: { existing?: string | undefined }) {
  const current = useQuery({
    queryKey: ['connectors', existing],
    queryFn: () => api<ConnectorView>(`/api/connectors/${encodeURIComponent(existing!)}`),
    enabled: existing !== undefined,
  });
  if (existing && current.isPending) return <Loading />;
  if (existing && current.error) return <ErrorNote error={current.error} />;
  return <WizardBody key={existing ?? 'new'} existing={current.data} />;
}

function WizardBody({ existing }: { existing: ConnectorView | undefined }) {
  const queries = useQueryClient();
  const bodyFields = useQuery({ queryKey: ['openapi', 'connector-fields'], queryFn: connectorBodyFields });
  const fields = bodyFields.data ?? new Set<string>();
  const [form, setForm] = useState<WizardForm>(() => formOf(existing));
  const [step, setStep] = useState(0);
  /** The connector's name on the server: set once a draft or the connector exists. */
  const [savedName, setSavedName] = useState<string | undefined>(existing?.name);
  const [checks, setChecks] = useState<CredentialCheck[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string | undefined>();
  const set = <K extends keyof WizardForm>(key: K, value: WizardForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const headingId = useId();

  // A new step: focus its heading, so keyboard and screen-reader users start at its top.
  // biome-ignore lint/correctness/useExhaustiveDependencies: step is the trigger
  useEffect(() => {
    document.getElementById(`${headingId}-step`)?.focus();
  }, [step, headingId]);

  const save = async (body: Record<string, unknown>): Promise<string> => {
    if (savedName === undefined) {
      const created = await api<ConnectorView>('/api/connectors', { method: 'POST', body });
      setSavedName(created.name);
      return created.name;
    }
    const changed = await api<ConnectorView>(`/api/connectors/${encodeURIComponent(savedName)}`, {
      method: 'PATCH',
      body,
    });
    setSavedName(changed.name);
    return changed.name;
  };

  const act = async (what: string, work: () => Promise<void>) => {
    setBusy(what);
    setError(undefined);
    try {
      await work();
    } catch (err) {
      setError(err);
      const field =
        err instanceof ApiError ? err.details[0]?.path.replace(/^body\./, '').split('.')[0] : undefined;
      if (field !== undefined && STEP_OF_FIELD[field] !== undefined) setStep(STEP_OF_FIELD[field]);
    } finally {
      setBusy(undefined);
      await refreshConnectors(queries);
    }
  };

  const testCredentials = () =>
    act('test', async () => {
      setChecks(undefined);
      const creating = savedName === undefined;
      const name = await save(
        creating ? { ...connectionBody(form, true), active: false } : connectionBody(form, false),
      );
      const answer = await api<{ ok: boolean; checks: CredentialCheck[] }>(
        `/api/connectors/${encodeURIComponent(name)}/test-credentials`,
        { method: 'POST' },
      );
      setChecks(answer.checks);
    });

  const finish = (andRun: boolean) =>
    act(andRun ? 'run' : 'save', async () => {
      const name = await save(bodyOf(form, savedName === undefined, fields));
      if (andRun) {
        const { runId } = await api<{ runId: number }>(`/api/connectors/${encodeURIComponent(name)}/runs`, {
          method: 'POST',
          body: { mode: 'auto' },
        });
        navigate(`/runs/${runId}`);
      } else navigate(`/connectors/${encodeURIComponent(name)}`);
    });

  return (
    <section aria-labelledby={headingId} className="wizard">
      <p>
        <Link href="/integrations">← Integrations</Link>
      </p>
      <h1 id={headingId}>
        {existing ? `Edit connector ${existing.name}` : 'New Microsoft Defender connector'}
      </h1>
      <ol className="steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s}>
            <button
              type="button"
              className={i === step ? 'step current' : 'step'}
              aria-current={i === step ? 'step' : undefined}
              onClick={() => setStep(i)}
            >
              {i + 1}. {s}
            </button>
          </li>
        ))}
      </ol>
      {error !== undefined && <WizardError error={error} />}
      <form
        className="wizard-step"
        onSubmit={(e) => {
          e.preventDefault();
          setStep((s) => Math.min(s + 1, STEPS.length - 1));
        }}
      >
        <h2 id={`${headingId}-step`} tabIndex={-1}>
          {STEPS[step]}
        </h2>
        {step === 0 && (
          <ConnectionStep
            form={form}
            set={set}
            existing={existing}
            checks={checks}
            busy={busy}
            onTest={testCredentials}
            draft={existing === undefined && savedName !== undefined}
          />
        )}
        {step === 1 && <ScopeStep form={form} set={set} />}
        {step === 2 && <DataTypesStep form={form} set={set} />}
        {step === 3 && <ScheduleStep form={form} set={set} actionsOption={fields.has('actions')} />}
        {step === 4 &&
          (savedName ? (
            <ScoringEditor connector={savedName} />
          ) : (
            <p className="muted">
              The default map applies: Critical → severity 5, score 95; High → 4, 80; Medium → 3, 55; Low → 2,
              25; Informational → 1, 5; anything else → 3, 55. Test the credentials or save first to change it
              here, or later on the Scoring map page.
            </p>
          ))}
        {step === 5 &&
          (savedName ? (
            <MappingTable connector={savedName} />
          ) : (
            <p className="muted">
              The out-of-the-box mapping applies. Once the connector is saved, its map can be viewed and
              downloaded as CSV here and on the Mapping page.
            </p>
          ))}
        {step === 6 && <IdentificationStep form={form} set={set} />}
        {step === 7 && <ReviewStep form={form} existing={existing} />}
        <div className="wizard-actions">
          <button type="button" className="secondary" disabled={step === 0} onClick={() => setStep(step - 1)}>
            Back
          </button>
          {step < STEPS.length - 1 && <button type="submit">Next</button>}
          {step === STEPS.length - 1 && (
            <>
              <button type="button" disabled={busy !== undefined} onClick={() => void finish(false)}>
                {busy === 'save' ? 'Saving…' : 'Save'}
              </button>
              <button type="button" disabled={busy !== undefined} onClick={() => void finish(true)}>
                {busy === 'run' ? 'Starting…' : 'Save and run'}
              </button>
            </>
          )}
        </div>
      </form>
    </section>
  );
}

function WizardError({ error }: { error: unknown }) {
  const details = error instanceof ApiError ? error.details : [];
  return (
    <div className="error-note" role="alert">
      <strong>Not saved.</strong> {details.length === 0 && messageOf(error)}
      {details.length > 0 && (
        <ul>
          {details.map((d) => (
            <li key={d.path}>
              <code>{d.path.replace(/^body\./, '')}</code>: {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

type Setter = <K extends keyof WizardForm>(key: K, value: WizardForm[K]) => void;

function Field({
  label,
  hint,
  children,
  id,
}: {
  label: string;
  hint?: ReactNode;
  children: (id: string, hintId: string | undefined) => ReactNode;
  id?: string;
}) {
  const generated = useId();
  const fieldId = id ?? generated;
  const hintId = hint ? `${fieldId}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={fieldId}>{label}</label>
      {children(fieldId, hintId)}
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

function TextField({
  label,
  value,
  onChange,
  hint,
  type = 'text',
  required,
  autoComplete = 'off',
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  hint?: ReactNode;
  type?: string;
  required?: boolean;
  autoComplete?: string;
}) {
  return (
    <Field label={label} hint={hint}>
      {(id, hintId) => (
        <input
          id={id}
          type={type}
          value={value}
          required={required}
          autoComplete={autoComplete}
          aria-describedby={hintId}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

function ConnectionStep({
  form,
  set,
  existing,
  checks,
  busy,
  onTest,
  draft,
}: {
  form: WizardForm;
  set: Setter;
  existing: ConnectorView | undefined;
  checks: CredentialCheck[] | undefined;
  busy: string | undefined;
  onTest: () => void;
  draft: boolean;
}) {
  return (
    <>
      <p className="muted">
        An app registration in Entra ID with the application permissions Machine.Read.All and
        Vulnerability.Read.All (plus Software, SecurityRecommendation and Alert read permissions for those
        data types), granted admin consent.
      </p>
      <TextField label="Connector name" value={form.name} onChange={(v) => set('name', v)} required />
      <TextField
        label="Directory (tenant) ID"
        value={form.tenantId}
        onChange={(v) => set('tenantId', v)}
        required
      />
      <TextField
        label="Application (client) ID"
        value={form.clientId}
        onChange={(v) => set('clientId', v)}
        required
      />
      <TextField
        label="Client secret"
        type="password"
        autoComplete="new-password"
        value={form.clientSecret}
        onChange={(v) => set('clientSecret', v)}
        hint={
          existing
            ? `Stored encrypted and never shown (${existing.credential}). Leave empty to keep it.`
            : 'Stored encrypted; never shown again.'
        }
      />
      <Field label="Cloud">
        {(id) => (
          <select id={id} value={form.cloud} onChange={(e) => set('cloud', e.target.value)}>
            {CLOUDS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        )}
      </Field>
      {form.cloud === 'custom' && (
        <>
          <TextField label="API URL" value={form.apiUrl} onChange={(v) => set('apiUrl', v)} />
          <TextField label="Login URL" value={form.loginUrl} onChange={(v) => set('loginUrl', v)} />
          <TextField
            label="Scope"
            value={form.scope}
            onChange={(v) => set('scope', v)}
            hint="Empty: the API URL's /.default scope."
          />
        </>
      )}
      <TextField
        label="Network"
        value={form.network}
        onChange={(v) => set('network', v)}
        hint="The network the connector's hosts belong to."
      />
      <div className="inline-actions">
        <button type="button" className="secondary" disabled={busy !== undefined} onClick={onTest}>
          {busy === 'test' ? 'Testing…' : 'Test credentials'}
        </button>
        {draft && <span className="muted small">Saved as an inactive draft; Save completes it.</span>}
      </div>
      {checks && (
        <ul className="checks" aria-label="Credential checks">
          {checks.map((c) => (
            <li key={c.check} className={c.ok ? 'ok' : 'bad'}>
              <span className="check-mark">{c.ok ? '✓ passed' : '✗ failed'}</span> <strong>{c.check}</strong>:{' '}
              {c.detail}
              {c.fix && (
                <>
                  {' '}
                  <span className="fix">Fix: {c.fix}</span>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function ScopeStep({ form, set }: { form: WizardForm; set: Setter }) {
  return (
    <>
      <TextField
        label="Devices stale threshold (days)"
        type="number"
        value={form.staleDays}
        onChange={(v) => set('staleDays', v)}
        hint="Only devices seen within this many days; 0 for no threshold."
      />
      <TextField
        label="Device tags"
        value={form.tags}
        onChange={(v) => set('tags', v)}
        hint="Comma-separated; only devices carrying one of them. Empty: every device."
      />
      <TextField
        label="OData filter for machines"
        value={form.filter}
        onChange={(v) => set('filter', v)}
        hint="e.g. deviceValue eq 'High' — checked against the properties Defender can filter on."
      />
      <TextField
        label="Oldest data on the first run (days)"
        type="number"
        value={form.initialLookbackDays}
        onChange={(v) => set('initialLookbackDays', v)}
        hint="30 to 365, or empty for every device; applies to the first run only (alerts then reach back 30 days)."
      />
      <Check
        label="Include devices never scanned for vulnerabilities"
        checked={form.includeUnscanned}
        onChange={(v) => set('includeUnscanned', v)}
      />
      <fieldset>
        <legend>Operation options</legend>
        <TextField label="Software id" value={form.softwareId} onChange={(v) => set('softwareId', v)} />
        <TextField label="Software name" value={form.softwareName} onChange={(v) => set('softwareName', v)} />
        <TextField
          label="Software vendor"
          value={form.softwareVendor}
          onChange={(v) => set('softwareVendor', v)}
        />
        <TextField
          label="Vulnerability RBAC group id"
          type="number"
          value={form.vulnerabilityRbacGroupId}
          onChange={(v) => set('vulnerabilityRbacGroupId', v)}
        />
        <fieldset>
          <legend>Vulnerability severities (none ticked: all)</legend>
          {['Low', 'Medium', 'High', 'Critical'].map((s) => (
            <Check
              key={s}
              label={s}
              checked={form.vulnerabilitySeverity.includes(s)}
              onChange={(on) =>
                set(
                  'vulnerabilitySeverity',
                  on ? [...form.vulnerabilitySeverity, s] : form.vulnerabilitySeverity.filter((x) => x !== s),
                )
              }
            />
          ))}
        </fieldset>
      </fieldset>
    </>
  );
}

function Check({
  label,
  checked,
  onChange,
  disabled,
}: {
  label: string;
  checked: boolean;
  onChange: (on: boolean) => void;
  disabled?: boolean;
}) {
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
      />
      {label}
    </label>
  );
}

function DataTypesStep({ form, set }: { form: WizardForm; set: Setter }) {
  return (
    <fieldset>
      <legend>Data to collect</legend>
      {DATA_TYPES.map(([value, label]) => (
        <Check
          key={value}
          label={label}
          checked={value === 'machines' || form.dataTypes.includes(value)}
          disabled={value === 'machines'}
          onChange={(on) =>
            set('dataTypes', on ? [...form.dataTypes, value] : form.dataTypes.filter((d) => d !== value))
          }
        />
      ))}
    </fieldset>
  );
}

function ScheduleStep({
  form,
  set,
  actionsOption,
}: {
  form: WizardForm;
  set: Setter;
  actionsOption: boolean;
}) {
  const s = form.schedule;
  const setS = (changes: Partial<ScheduleForm>) => set('schedule', { ...s, ...changes });
  return (
    <>
      <Field label="Repeats (times are UTC, 24-hour)">
        {(id) => (
          <select
            id={id}
            value={s.repeats}
            onChange={(e) => setS({ repeats: e.target.value as ScheduleForm['repeats'] })}
          >
            <option value="none">Manual runs only</option>
            <option value="hourly">Hourly</option>
            <option value="daily">Daily</option>
            <option value="weekly">Weekly</option>
            <option value="monthly">Monthly</option>
            <option value="once">Once</option>
            <option value="cron">Cron line</option>
          </select>
        )}
      </Field>
      {s.repeats === 'weekly' && (
        <Field label="Day of the week">
          {(id) => (
            <select id={id} value={s.weekday} onChange={(e) => setS({ weekday: e.target.value })}>
              {WEEKDAYS.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {s.repeats === 'monthly' && (
        <TextField
          label="Day of the month"
          type="number"
          value={s.dayOfMonth}
          onChange={(v) => setS({ dayOfMonth: v })}
        />
      )}
      {['daily', 'weekly', 'monthly'].includes(s.repeats) && (
        <TextField label="Start time (UTC)" type="time" value={s.time} onChange={(v) => setS({ time: v })} />
      )}
      {s.repeats === 'once' && (
        <TextField
          label="Run at (UTC)"
          type="datetime-local"
          value={s.onceAt}
          onChange={(v) => setS({ onceAt: v })}
        />
      )}
      {s.repeats === 'cron' && (
        <TextField label="Cron line (UTC)" value={s.cron} onChange={(v) => setS({ cron: v })} />
      )}
      <Check label="Active: run on this schedule" checked={form.active} onChange={(v) => set('active', v)} />
      {actionsOption && (
        <Check
          label="Allow machine actions (Run Scan, Isolate, Unisolate)"
          checked={form.actions}
          onChange={(v) => set('actions', v)}
        />
      )}
      <TextField
        label="Full sync every (days)"
        type="number"
        value={form.fullSyncEveryDays}
        onChange={(v) => set('fullSyncEveryDays', v)}
        hint="1 to 14; delta syncs in between."
      />
      <TextField
        label="Maximum retries"
        type="number"
        value={form.maxRetries}
        onChange={(v) => set('maxRetries', v)}
        hint="Per run, across all calls (default 10)."
      />
    </>
  );
}

function IdentificationStep({ form, set }: { form: WizardForm; set: Setter }) {
  const rules = form.identificationRules;
  const move = (i: number, by: number) => {
    const next = [...rules];
    const [r] = next.splice(i, 1);
    next.splice(i + by, 0, r!);
    set('identificationRules', next);
  };
  return (
    <>
      <p className="muted">
        In this order, the first rule that finds an existing host decides which host a Defender machine is. At
        least one rule must stay on.
      </p>
      <ol className="rules">
        {rules.map((r, i) => (
          <li key={r.rule}>
            <Check
              label={IDENTIFICATION_RULE_LABELS[r.rule] ?? r.rule}
              checked={r.enabled}
              onChange={(on) =>
                set(
                  'identificationRules',
                  rules.map((x) => (x.rule === r.rule ? { ...x, enabled: on } : x)),
                )
              }
            />
            <button
              type="button"
              className="small secondary"
              disabled={i === 0}
              aria-label={`Move ${IDENTIFICATION_RULE_LABELS[r.rule] ?? r.rule} up`}
              onClick={() => move(i, -1)}
            >
              ↑
            </button>
            <button
              type="button"
              className="small secondary"
              disabled={i === rules.length - 1}
              aria-label={`Move ${IDENTIFICATION_RULE_LABELS[r.rule] ?? r.rule} down`}
              onClick={() => move(i, 1)}
            >
              ↓
            </button>
          </li>
        ))}
      </ol>
      <Check
        label="Dynamic OS and OS_VERSION profiles"
        checked={form.profiles}
        onChange={(v) => set('profiles', v)}
      />
    </>
  );
}

function ReviewStep({ form, existing }: { form: WizardForm; existing: ConnectorView | undefined }) {
  const rows: Array<[string, string]> = [
    ['Name', form.name],
    ['Tenant ID', form.tenantId],
    ['Client ID', form.clientId],
    ['Client secret', form.clientSecret ? 'new secret entered' : existing ? 'unchanged' : 'none entered'],
    ['Cloud', form.cloud],
    ...(form.cloud === 'custom'
      ? ([
          ['API URL', form.apiUrl],
          ['Login URL', form.loginUrl],
        ] as Array<[string, string]>)
      : []),
    ['Network', form.network],
    ['Data types', form.dataTypes.join(', ')],
    ['Stale threshold', form.staleDays === '0' ? 'none' : `${form.staleDays} days`],
    ['Tags', form.tags || 'all devices'],
    ['OData filter', form.filter || 'none'],
    [
      'First run reaches back',
      form.initialLookbackDays.trim() ? `${form.initialLookbackDays} days` : 'every device (not set)',
    ],
    ['Include unscanned devices', form.includeUnscanned ? 'yes' : 'no'],
    ['Schedule (UTC)', scheduleText(form.schedule) ?? 'manual runs only'],
    ['Active', form.active ? 'yes' : 'no'],
    ['Full sync every', `${form.fullSyncEveryDays} days`],
    ['Maximum retries', form.maxRetries],
    [
      'Identification rules',
      form.identificationRules
        .filter((r) => r.enabled)
        .map((r) => r.rule)
        .join(' → '),
    ],
  ];
  return (
    <table className="compact review">
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
