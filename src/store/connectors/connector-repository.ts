import type { Selectable, Updateable } from 'kysely';
import {
  type Cloud,
  type ConnectorOptions,
  parseConnectorOptions,
} from '../../normalize/connector-options.js';
import type { SecretBox } from '../../security/secret-box.js';
import type { ConnectorTable } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { ProfileWriter } from '../hosts/profile-writer.js';

/** Connector states (docs/data-model.md#connector). */
export const CONNECTOR_STATES = ['registered', 'scheduled', 'processing', 'processed', 'failed'] as const;
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

/** A connector as the rest of the code sees it: options parsed, secrets absent. */
export interface Connector {
  id: number;
  name: string;
  kind: string;
  network: string;
  tenantId: string;
  clientId: string;
  cloud: Cloud;
  apiUrl: string;
  loginUrl: string;
  scope: string;
  active: boolean;
  schedule: string | null;
  /** The schedule fires from this instant on (ISO UTC); null: from now on. */
  scheduleStart: string | null;
  /** The schedule fires before this instant only (ISO UTC); null: forever. */
  scheduleEnd: string | null;
  /** Slots of the schedule up to this instant are consumed (src/jobs/scheduler.ts). */
  scheduledThrough: string | null;
  /** Why the schedule stopped after failed runs in a row; null when it did not. */
  suspended: { at: string; reason: string } | null;
  failedRunsInRow: number;
  options: ConnectorOptions;
  state: ConnectorState;
  lastRunId: number | null;
  hasSecret: boolean;
  hasCertificate: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectorCredentials {
  clientSecret?: string;
  certificate?: { privateKeyPem: string; certificatePem: string };
}

/**
 * Another connector's credentials, copied as they are sealed: never opened, so never in memory as
 * plain text (docs/connector-options.md#several-profiles-over-one-tenant).
 */
export interface CopiedCredentials {
  copyFrom: number;
}

export interface NewConnector {
  name: string;
  network: string;
  tenantId: string;
  clientId: string;
  cloud: Cloud;
  apiUrl: string;
  loginUrl: string;
  scope: string;
  active: boolean;
  schedule: string | null;
  scheduleStart?: string | null;
  scheduleEnd?: string | null;
  options: ConnectorOptions;
  credentials: ConnectorCredentials | CopiedCredentials;
}

type Row = Selectable<ConnectorTable>;

function toConnector(row: Row): Connector {
  return {
    id: Number(row.id),
    name: row.name,
    kind: row.kind,
    network: row.network,
    tenantId: row.tenantId,
    clientId: row.clientId,
    cloud: row.cloud as Cloud,
    apiUrl: row.apiUrl,
    loginUrl: row.loginUrl,
    scope: row.scope,
    active: Number(row.active) === 1,
    schedule: row.schedule,
    scheduleStart: row.scheduleStart,
    scheduleEnd: row.scheduleEnd,
    scheduledThrough: row.scheduledThrough,
    suspended:
      row.suspendedAt !== null ? { at: row.suspendedAt, reason: row.suspendedReason ?? 'suspended' } : null,
    failedRunsInRow: Number(row.failedRunsInRow ?? 0),
    options: parseConnectorOptions(JSON.parse(row.options)),
    state: row.state as ConnectorState,
    lastRunId: row.lastRunId === null ? null : Number(row.lastRunId),
    hasSecret: row.secretEncrypted !== null,
    hasCertificate: row.certificateEncrypted !== null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Reads and writes connectors; secrets are sealed before they touch the database. */
export class ConnectorRepository {
  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<Connector[]> {
    const rows = await this.store.db.selectFrom('connectors').selectAll().orderBy('name').execute();
    return rows.map((r) => toConnector(r as Row));
  }

  async byName(name: string): Promise<Connector | undefined> {
    const row = await this.store.db
      .selectFrom('connectors')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toConnector(row as Row);
  }

  async byId(id: number): Promise<Connector | undefined> {
    const row = await this.store.db
      .selectFrom('connectors')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toConnector(row as Row);
  }

  async create(input: NewConnector): Promise<Connector> {
    const at = this.now().toISOString();
    const row = await this.store.db
      .insertInto('connectors')
      .values({
        name: input.name,
        kind: 'mde',
        network: input.network,
        tenantId: input.tenantId,
        clientId: input.clientId,
        ...(await this.sealedCredentials(input.credentials)),
        cloud: input.cloud,
        apiUrl: input.apiUrl,
        loginUrl: input.loginUrl,
        scope: input.scope,
        active: input.active ? 1 : 0,
        schedule: input.schedule,
        scheduleStart: input.scheduleStart ?? null,
        scheduleEnd: input.scheduleEnd ?? null,
        scheduledThrough: at,
        options: JSON.stringify(input.options),
        state: 'registered',
        lastRunId: null,
        createdAt: at,
        updatedAt: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toConnector(row as Row);
  }

  /** The sealed columns of new credentials: sealed here, or copied sealed from another connector. */
  private async sealedCredentials(
    credentials: ConnectorCredentials | CopiedCredentials,
  ): Promise<Pick<ConnectorTable, 'secretEncrypted' | 'certificateEncrypted'>> {
    if ('copyFrom' in credentials) {
      return this.store.db
        .selectFrom('connectors')
        .select(['secretEncrypted', 'certificateEncrypted'])
        .where('id', '=', credentials.copyFrom)
        .executeTakeFirstOrThrow();
    }
    return {
      secretEncrypted: credentials.clientSecret ? this.secrets.seal(credentials.clientSecret) : null,
      certificateEncrypted: credentials.certificate
        ? this.secrets.seal(JSON.stringify(credentials.certificate))
        : null,
    };
  }

  async update(
    id: number,
    patch: Partial<Omit<NewConnector, 'credentials'>> & { credentials?: ConnectorCredentials },
  ): Promise<Connector> {
    const values: Updateable<ConnectorTable> = { updatedAt: this.now().toISOString() };
    for (const key of [
      'name',
      'network',
      'tenantId',
      'clientId',
      'cloud',
      'apiUrl',
      'loginUrl',
      'scope',
      'schedule',
      'scheduleStart',
      'scheduleEnd',
    ] as const) {
      if (patch[key] !== undefined) (values as Record<string, unknown>)[key] = patch[key];
    }
    // A changed schedule counts from now: slots before the edit are not caught up.
    if (patch.schedule !== undefined || patch.scheduleStart !== undefined || patch.scheduleEnd !== undefined)
      values.scheduledThrough = values.updatedAt as string;
    // An edit lifts a suspension after failed runs (docs/scheduling.md#failed-runs).
    values.suspendedAt = null;
    values.suspendedReason = null;
    values.failedRunsInRow = 0;
    if (patch.active !== undefined) values.active = patch.active ? 1 : 0;
    if (patch.options !== undefined) values.options = JSON.stringify(patch.options);
    if (patch.credentials?.clientSecret)
      values.secretEncrypted = this.secrets.seal(patch.credentials.clientSecret);
    if (patch.credentials?.certificate) {
      values.certificateEncrypted = this.secrets.seal(JSON.stringify(patch.credentials.certificate));
    }
    await this.store.db.updateTable('connectors').set(values).where('id', '=', id).execute();
    // Turning profiles off removes the connector's profiles at once; hosts stay.
    if (patch.options && !patch.options.profiles) await new ProfileWriter(this.store).removeForConnector(id);
    const updated = await this.byId(id);
    if (!updated) throw new Error(`connector ${id} vanished during the update`);
    return updated;
  }

  async setState(id: number, state: ConnectorState, lastRunId?: number): Promise<void> {
    await this.store.db
      .updateTable('connectors')
      .set({ state, updatedAt: this.now().toISOString(), ...(lastRunId !== undefined ? { lastRunId } : {}) })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Counts a run's outcome towards the failed runs in a row; the count is reset by any run that is
   * not failed. Returns the count after this run.
   */
  async countRunOutcome(id: number, failed: boolean): Promise<number> {
    await this.store.db
      .updateTable('connectors')
      .set((eb) => ({ failedRunsInRow: failed ? eb('failedRunsInRow', '+', 1) : eb.val(0) }))
      .where('id', '=', id)
      .execute();
    return (await this.byId(id))?.failedRunsInRow ?? 0;
  }

  /** Stops the schedule until an edit or a sync by hand lifts it. */
  async suspend(id: number, reason: string): Promise<void> {
    await this.store.db
      .updateTable('connectors')
      .set({ suspendedAt: this.now().toISOString(), suspendedReason: reason })
      .where('id', '=', id)
      .execute();
  }

  /** A sync by hand lifts a suspension and starts the count of failed runs afresh. */
  async liftSuspension(id: number): Promise<void> {
    await this.store.db
      .updateTable('connectors')
      .set({ suspendedAt: null, suspendedReason: null, failedRunsInRow: 0 })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Consumes the schedule's slots up to `through`, only if no other scheduler did since `seen` was
   * read: of several schedulers looking at one due slot, exactly one gets true.
   */
  async consumeSlots(id: number, seen: string | null, through: string): Promise<boolean> {
    const r = await this.store.db
      .updateTable('connectors')
      .set({ scheduledThrough: through })
      .where('id', '=', id)
      .where((eb) => (seen === null ? eb('scheduledThrough', 'is', null) : eb('scheduledThrough', '=', seen)))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Decrypts the credentials; only the MDE client may call this, and never for output. */
  async credentials(id: number): Promise<ConnectorCredentials> {
    const row = await this.store.db
      .selectFrom('connectors')
      .select(['name', 'secretEncrypted', 'certificateEncrypted'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return {
      ...(row.secretEncrypted
        ? {
            clientSecret: this.secrets.open(row.secretEncrypted, {
              connector: row.name,
              secret: 'client secret',
            }),
          }
        : {}),
      ...(row.certificateEncrypted
        ? {
            certificate: JSON.parse(
              this.secrets.open(row.certificateEncrypted, { connector: row.name, secret: 'certificate' }),
            ) as ConnectorCredentials['certificate'],
          }
        : {}),
    };
  }

  /** Removes the connector and, through foreign keys, everything it brought in. */
  /**
   * Removes a connector with everything it brought in (sources, findings, catalogs, profiles, runs).
   * Its hosts stay as assets (imported endpoints are retained), marked `retained` once no
   * connector reports them; `purgeHosts` deletes those instead.
   */
  async remove(id: number, options: { purgeHosts?: boolean } = {}): Promise<void> {
    // Hosts another connector also reports stay; their other sources rewrite them on their next sync
    // (a cleared hash reads as changed), so no field of the removed connector lingers (README).
    await this.store.db
      .updateTable('hostSources')
      .set({ contentHash: '' })
      .where('connectorId', '!=', id)
      .where('hostId', 'in', (eb) =>
        eb.selectFrom('hostSources as gone').select('gone.hostId').where('gone.connectorId', '=', id),
      )
      .execute();
    await this.store.db.deleteFrom('connectors').where('id', '=', id).execute();
    const unreported = this.store.db
      .selectFrom('hosts')
      .select('hosts.id')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('hostSources')
              .select('hostSources.id')
              .whereRef('hostSources.hostId', '=', 'hosts.id'),
          ),
        ),
      );
    if (options.purgeHosts) {
      await this.store.db.deleteFrom('hosts').where('id', 'in', unreported).execute();
    } else {
      await this.store.db
        .updateTable('hosts')
        .set({ status: 'retained', updatedAt: this.now().toISOString() })
        .where('id', 'in', unreported)
        .execute();
    }
  }
}
