import type { Kysely, Transaction } from 'kysely';
import type * as z from 'zod';
import type { Database } from '../db/schema.js';
import type { Store } from '../db/store.js';

/**
 * Stream checkpoints: where a stream got to, written in the same transaction as the batch it
 * describes, so a run that dies resumes exactly after the last stored batch
 * (docs/sync.md#checkpoints-and-resume).
 */
export class CheckpointRepository {
  constructor(private readonly store: Store) {}

  /** Whether the stream has a checkpoint at all (an interrupted pass leaves one). */
  async has(connectorId: number, stream: string): Promise<boolean> {
    return (await this.stored(connectorId, stream)) !== undefined;
  }

  /**
   * The checkpoint when it validates; one that does not is removed, `dropped` is told why, and the
   * caller starts as if there were none (a fresh read is always safe, a wrong position is not).
   */
  async trusted<S extends z.ZodType>(
    connectorId: number,
    stream: string,
    schema: S,
    dropped: (why: string) => void,
  ): Promise<z.output<S> | undefined> {
    const saved = await this.read(connectorId, stream, schema);
    if (!saved) return undefined;
    if ('value' in saved) return saved.value;
    dropped(`the saved ${stream} checkpoint is not usable (${saved.invalid}); starting without it`);
    await this.clear(connectorId, stream);
    return undefined;
  }

  /**
   * The checkpoint, validated by `schema`: a stored value is data from an earlier run (or an earlier
   * version), never trusted by its type alone. `invalid` says why one cannot be used.
   */
  async read<S extends z.ZodType>(
    connectorId: number,
    stream: string,
    schema: S,
  ): Promise<{ value: z.output<S> } | { invalid: string } | undefined> {
    const text = await this.stored(connectorId, stream);
    if (text === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return { invalid: 'it is not JSON' };
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) return { value: parsed.data };
    const issue = parsed.error.issues[0];
    return {
      invalid: issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'it does not validate',
    };
  }

  private async stored(connectorId: number, stream: string): Promise<string | undefined> {
    const row = await this.store.db
      .selectFrom('syncCheckpoints')
      .select('value')
      .where('connectorId', '=', connectorId)
      .where('stream', '=', stream)
      .executeTakeFirst();
    return row?.value;
  }

  /** Saves a checkpoint inside the caller's transaction. */
  static async put(
    trx: Kysely<Database> | Transaction<Database>,
    connectorId: number,
    stream: string,
    value: unknown,
    at: string,
  ): Promise<void> {
    await trx
      .insertInto('syncCheckpoints')
      .values({ connectorId, stream, value: JSON.stringify(value), updatedAt: at })
      .onConflict((oc) =>
        oc.columns(['connectorId', 'stream']).doUpdateSet({ value: JSON.stringify(value), updatedAt: at }),
      )
      .execute();
  }

  async put(connectorId: number, stream: string, value: unknown, at: string): Promise<void> {
    await CheckpointRepository.put(this.store.db, connectorId, stream, value, at);
  }

  async clear(connectorId: number, stream: string): Promise<void> {
    await this.store.db
      .deleteFrom('syncCheckpoints')
      .where('connectorId', '=', connectorId)
      .where('stream', '=', stream)
      .execute();
  }
}
