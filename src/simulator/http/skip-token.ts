/**
 * Opaque `$skiptoken` values for the assessment endpoints (docs/mde-api.md#paging). They carry the position
 * and the snapshot they belong to, so a paged pull stays on one snapshot even if a new one appears.
 */
export function encodeSkipToken(position: Record<string, number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeSkipToken(token: string): Record<string, number> | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    for (const v of Object.values(value)) if (!Number.isInteger(v) || (v as number) < 0) return undefined;
    return value as Record<string, number>;
  } catch {
    return undefined;
  }
}
