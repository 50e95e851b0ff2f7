import { isInstant, Time } from './time';

/**
 * One field of a record as text. Everything tenants send (names, titles, descriptions) is rendered as
 * React text children, which the browser never parses as markup.
 */
export function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined || value === '') return <span className="muted">—</span>;
  if (typeof value === 'boolean') return <>{value ? 'Yes' : 'No'}</>;
  if (isInstant(value)) return <Time value={value} />;
  if (Array.isArray(value))
    return <>{value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')}</>;
  if (typeof value === 'object') return <code>{JSON.stringify(value)}</code>;
  return <>{String(value)}</>;
}

/** A camelCase field name as a column heading: `defenderRiskScore` → `Defender risk score`. */
export function labelOf(field: string): string {
  const words = field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
