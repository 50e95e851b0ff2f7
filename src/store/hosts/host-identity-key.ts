/**
 * The identity key of a host: the machine record that created it, `mde:<connector id>:<machine id>`.
 * It stays with the host when the record moves away (a record Defender merged into another), so a
 * merged host still names the connector and record it came from.
 */
export function hostIdentityKey(connectorId: number, machineId: string): string {
  return `${identityKeyPrefix(connectorId)}${machineId}`;
}

/** What every identity key of a connector's records starts with. */
export function identityKeyPrefix(connectorId: number): string {
  return `mde:${connectorId}:`;
}

/** The connector and machine id of an identity key; null for a key of another form. */
export function parseHostIdentityKey(key: string): { connectorId: number; machineId: string } | null {
  const m = /^mde:(\d+):(.+)$/.exec(key);
  return m ? { connectorId: Number(m[1]), machineId: m[2]! } : null;
}
