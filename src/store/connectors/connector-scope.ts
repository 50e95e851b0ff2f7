import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { identityKeyPrefix } from '../hosts/host-identity-key.js';

// biome-ignore lint/suspicious/noExplicitAny: one scope for every table, named at run time.
type AnyBuilder = ExpressionBuilder<any, any>;

/**
 * Which rows of `table` are a connector's, for every view that says "of connector X": exports,
 * `mdec demo` and `mdec sync` summaries. One definition, so their counts agree.
 *
 * Rows of most tables carry the connector's id. Hosts are the connector's when it reports them (a
 * host source of it), or when they are `merged` hosts created by one of its machine records: the
 * record moved to its survivor, the merged host keeps saying where it went.
 */
export function ofConnector(table: string, connectorId: number): (eb: AnyBuilder) => Expression<SqlBool> {
  if (table !== 'hosts') return (eb) => eb(`${table}.connectorId`, '=', connectorId);
  return (eb) =>
    eb.or([
      eb.exists(
        eb
          .selectFrom('hostSources')
          .select('hostSources.id')
          .whereRef('hostSources.hostId', '=', 'hosts.id')
          .where('hostSources.connectorId', '=', connectorId),
      ),
      eb.and([
        eb('hosts.status', '=', 'merged'),
        eb('hosts.identityKey', 'like', `${identityKeyPrefix(connectorId)}%`),
      ]),
    ]);
}
